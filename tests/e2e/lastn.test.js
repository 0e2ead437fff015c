'use strict';
// Last-N with last_n = 1 and three participants: a quiet one (An), another quiet one (Binh) and
// one who talks (Chi). Chi has the floor, so An and Binh receive Chi's video only; the other
// quiet one's video is paused at the server and shown as an avatar tile ("video-paused"), while
// its audio still flows. Chi receives An's (the first to join). Follow-the-speaker makes the
// speaker's tile large.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

/** A 16-bit mono 48 kHz WAV: warbling "syllables" (250 ms on, 100 ms off), or silence. */
function wav(file, silent) {
  const rate = 48000;
  const n = rate * 4;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; !silent && i < n; i++) {
    const t = i / rate;
    const f = 300 + 200 * Math.sin(2 * Math.PI * 3 * t);
    const v = (t % 0.35) < 0.25 ? 0.5 * Math.sin(2 * Math.PI * f * t) * Math.sin(Math.PI * ((t % 0.35) / 0.25)) : 0;
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const hdr = Buffer.alloc(44);
  hdr.write('RIFF', 0);
  hdr.writeUInt32LE(36 + data.length, 4);
  hdr.write('WAVE', 8);
  hdr.write('fmt ', 12);
  hdr.writeUInt32LE(16, 16);
  hdr.writeUInt16LE(1, 20);
  hdr.writeUInt16LE(1, 22);
  hdr.writeUInt32LE(rate, 24);
  hdr.writeUInt32LE(rate * 2, 28);
  hdr.writeUInt16LE(2, 32);
  hdr.writeUInt16LE(16, 34);
  hdr.write('data', 36);
  hdr.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([hdr, data]));
}

test('last_n = 1: viewers get the speaker\'s video, the others as avatars, everyone\'s audio', {
  timeout: 90000,
  skip: h.external() ? 'needs a server configured with last_n' : false,
}, async (t) => {
  const talk = path.join(os.tmpdir(), `hoinghi-lastn-talk-${process.pid}.wav`);
  const quiet = path.join(os.tmpdir(), `hoinghi-lastn-quiet-${process.pid}.wav`);
  wav(talk, false);
  wav(quiet, true);
  const server = await h.startServer({ config: '[rooms]\nlast_n = 1\n' });
  const quietBrowser = await h.launchBrowser({ extraArgs: [`--use-file-for-fake-audio-capture=${quiet}`] });
  const talkBrowser = await h.launchBrowser({ extraArgs: [`--use-file-for-fake-audio-capture=${talk}`] });
  const diag = [];
  const pages = {};
  t.after(async () => {
    await quietBrowser.close().catch(() => {});
    await talkBrowser.close().catch(() => {});
    await server.stop();
    fs.rmSync(talk, { force: true });
    fs.rmSync(quiet, { force: true });
  });
  const room = `e2e-lastn-${process.pid}-${Date.now()}`;
  try {
    for (const [key, browser] of [['an', quietBrowser], ['binh', quietBrowser], ['chi', talkBrowser]]) {
      const ctx = await browser.newContext({ viewport: { width: 800, height: 600 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      const st = await h.waitFor(async () => {
        const s = await page.evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id ? s : null;
      }, { timeout: 30000, message: `${key} joined` });
      pages[key] = { page, id: st.id };
    }
    const ids = Object.fromEntries(Object.entries(pages).map(([k, v]) => [k, v.id]));
    const view = async (key) => pages[key].page.evaluate(async () => {
      const tiles = {};
      for (const el of document.querySelectorAll('.tile.remote')) {
        tiles[el.dataset.participantId] = {
          paused: el.classList.contains('video-paused'),
          hasVideo: el.classList.contains('has-video'),
          avatar: getComputedStyle(el.querySelector('.avatar')).display !== 'none',
          width: el.getBoundingClientRect().width,
        };
      }
      const stats = await window.hoinghi.stats();
      const byId = Object.fromEntries(stats.participants.map((p) => [p.id, p]));
      return { tiles, byId, state: window.hoinghi.state() };
    });

    // Chi talks and gets the floor; An and Binh then see Chi's video, and each other as avatars.
    for (const [viewer, other] of [['an', 'binh'], ['binh', 'an']]) {
      const v = await h.waitFor(async () => {
        const s = await view(viewer);
        const chi = s.byId[ids.chi];
        const ot = s.tiles[ids[other]];
        return chi && chi.videoFramesDecoded > 20 && s.tiles[ids.chi]?.hasVideo && ot && ot.paused && ot.avatar ? s : null;
      }, { timeout: 45000, message: `${viewer} sees Chi's video and ${other} as an avatar` });
      assert.equal(v.state.activeSpeaker.id, ids.chi, `${viewer}: Chi has the floor`);
      assert.ok(v.state.videoPaused.includes(ids[other]), `${viewer}: told ${other}'s video is paused`);
      // The paused participant's audio still arrives (silence: Opus DTX, a few packets a
      // second); its video does not.
      const before = v.byId[ids[other]];
      await h.sleep(3000);
      const after = (await view(viewer)).byId[ids[other]];
      assert.ok(after.audioPacketsReceived > before.audioPacketsReceived, `${viewer}: ${other}'s audio flows`);
      assert.ok(after.videoFramesDecoded - before.videoFramesDecoded <= 2, `${viewer}: ${other}'s video is paused`);
    }
    // Chi (who has the floor) gets the first other participant: An.
    await h.waitFor(async () => {
      const s = await view('chi');
      return s.byId[ids.an]?.videoFramesDecoded > 20 && s.tiles[ids.binh]?.paused ? s : null;
    }, { timeout: 30000, message: 'Chi sees An, Binh as an avatar' });
    const log = await pages.an.page.evaluate(() => window.hoinghi.log());
    assert.ok(log.some((e) => e.dir === 'in' && e.type === 'video-paused' && e.participant === ids.binh &&
      e.paused === true && e.reason === 'last-n'), 'An received video-paused for Binh');

    // Follow the speaker: Chi's tile across An's grid, wider than Binh's.
    await pages.an.page.click('#follow');
    const follow = await h.waitFor(async () => {
      const s = await view('an');
      return s.tiles[ids.chi].width > 1.5 * s.tiles[ids.binh].width ? s : null;
    }, { timeout: 10000, message: 'the speaker\'s tile is large' });
    assert.equal(follow.state.follow, true);
    await h.screenshot(pages.an.page, 'meeting-speaker');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const total = (name) => metrics.split('\n').filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.ok(total('hoinghi_lastn_pauses_total') >= 3, 'last-N pauses counted');
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key].page)}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n'));
    throw err;
  }
});
