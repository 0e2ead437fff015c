'use strict';
// Active speaker: a participant whose microphone plays speech-like tones becomes the dominant
// speaker; the other participant receives `active-speaker` naming them, and their tile is marked.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 90000;

/** A 16-bit mono 48 kHz WAV of `seconds`: "syllables" of a warbling tone (250 ms on, 100 ms off),
 *  loud enough and not stationary, so the browser's noise suppression lets it through; or
 *  silence. */
function speechLikeWav(file, { seconds = 4, silent = false } = {}) {
  const rate = 48000;
  const n = rate * seconds;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const on = !silent && (t % 0.35) < 0.25;
    const f = 300 + 200 * Math.sin(2 * Math.PI * 3 * t);
    const v = on ? 0.5 * Math.sin(2 * Math.PI * f * t) * Math.sin(Math.PI * ((t % 0.35) / 0.25)) : 0;
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const hdr = Buffer.alloc(44);
  hdr.write('RIFF', 0);
  hdr.writeUInt32LE(36 + data.length, 4);
  hdr.write('WAVE', 8);
  hdr.write('fmt ', 12);
  hdr.writeUInt32LE(16, 16);
  hdr.writeUInt16LE(1, 20); // PCM
  hdr.writeUInt16LE(1, 22); // mono
  hdr.writeUInt32LE(rate, 24);
  hdr.writeUInt32LE(rate * 2, 28);
  hdr.writeUInt16LE(2, 32);
  hdr.writeUInt16LE(16, 34);
  hdr.write('data', 36);
  hdr.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([hdr, data]));
}

test('a participant who talks becomes the active speaker; the others see the highlight', { timeout: 240000 }, async (t) => {
  const wav = path.join(os.tmpdir(), `hoinghi-speech-${process.pid}.wav`);
  const quiet = path.join(os.tmpdir(), `hoinghi-silence-${process.pid}.wav`);
  speechLikeWav(wav);
  speechLikeWav(quiet, { silent: true });
  const server = await h.startServer();
  // The talker's browser plays the speech-like WAV as its microphone, the listener's silence
  // (Chromium's own fake device beeps twice a second with a 350 ms tail: that is sound too).
  const talkerBrowser = await h.launchBrowser({ extraArgs: [`--use-file-for-fake-audio-capture=${wav}`] });
  const listenerBrowser = await h.launchBrowser({ extraArgs: [`--use-file-for-fake-audio-capture=${quiet}`] });
  const diag = [];
  const pages = {};
  t.after(async () => {
    await talkerBrowser.close().catch(() => {});
    await listenerBrowser.close().catch(() => {});
    await server.stop();
    fs.rmSync(wav, { force: true });
    fs.rmSync(quiet, { force: true });
  });

  const room = `e2e-speaker-${process.pid}-${Date.now()}`;
  try {
    for (const [key, browser] of [['listener', listenerBrowser], ['talker', talkerBrowser]]) {
      const ctx = await browser.newContext({ viewport: { width: 960, height: 600 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      pages[key] = { page };
    }
    for (const key of Object.keys(pages)) {
      const st = await h.waitFor(async () => {
        const s = await pages[key].page.evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id ? s : null;
      }, { timeout: 60000, message: `${key} joined` });
      pages[key].id = st.id;
    }
    const talker = pages.talker.id;

    // The listener is told the talker has the floor, and the talker's tile is highlighted.
    const seen = await h.waitFor(async () => {
      const s = await pages.listener.page.evaluate((id) => {
        const tile = document.querySelector(`.tile.remote[data-participant-id="${id}"]`);
        return { speaker: window.hoinghi.state().activeSpeaker,
          dominant: !!tile && tile.classList.contains('dominant'),
          speaking: !!tile && tile.classList.contains('speaking'),
          first: !!tile && getComputedStyle(tile).order === '-1' };
      }, talker);
      return s.speaker.id === talker && s.dominant && s.speaking ? s : null;
    }, { timeout: MEDIA_TIMEOUT, interval: 500, message: 'listener sees the talker as active speaker' });
    assert.equal(seen.first, true, 'the dominant speaker is shown first');
    const log = await pages.listener.page.evaluate(() => window.hoinghi.log());
    const msgs = log.filter((e) => e.dir === 'in' && e.type === 'active-speaker');
    assert.ok(msgs.some((m) => m.id === talker && Array.isArray(m.speaking)), 'active-speaker message received');
    // The listener, silent, never had the floor.
    assert.ok(msgs.every((m) => m.id !== pages.listener.id), 'the listener is never the dominant speaker');
    // An operator sees it in /metrics: levels read, messages sent, one change at least.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const total = (name) => metrics.split('\n').filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.ok(total('hoinghi_audio_levels_total') > 0, 'audio levels counted');
    assert.ok(total('hoinghi_active_speaker_updates_total') > 0, 'updates counted');
    assert.ok(total('hoinghi_active_speaker_changes_total') >= 1, 'a dominant speaker change counted');
    // The talker is told too: its own tile is marked.
    await h.waitFor(async () => pages.talker.page.evaluate(() => {
      const el = document.querySelector('.tile.self');
      return el && el.classList.contains('dominant');
    }), { timeout: 20000, message: 'talker sees itself marked' });
    // One who joins while the talker holds the floor is told at once (updates go out on change
    // only: before the room told newcomers, such a listener saw nobody speaking; CI once failed
    // on it when the talker joined first).
    const lateCtx = await listenerBrowser.newContext({ viewport: { width: 960, height: 600 } });
    const late = await lateCtx.newPage();
    h.recordPage(late, 'late', diag);
    pages.late = { page: late };
    await late.goto(`${server.url}/?room=${room}&name=late&q=low`, { waitUntil: 'domcontentloaded' });
    const told = await h.waitFor(async () => late.evaluate(() => {
      const s = window.hoinghi.state();
      const inMsg = window.hoinghi.log().find((e) => e.dir === 'in' && e.type === 'active-speaker');
      return s.phase === 'joined' && inMsg ? inMsg : null;
    }), { timeout: 30000, message: 'a late joiner is told the active speaker' });
    assert.equal(told.id, talker, 'the late joiner is told the talker has the floor');
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key].page)}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n'));
    throw err;
  }
});
