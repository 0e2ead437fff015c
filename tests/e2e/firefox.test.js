'use strict';
// Firefox ESR and Chromium in one meeting: a Firefox official and two Chromium officials each
// see the two others' video advance and receive their audio, and the Firefox official follows a
// Chromium official's presentation (docs/client.md, "Browsers"). Firefox as the presenter is not
// tested: headless Firefox has no screen to capture (getDisplayMedia: NotFoundError).

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 90000;

function counters(snap) {
  const out = {};
  for (const p of snap.stats.participants) out[p.id] = { frames: p.videoFramesDecoded, audio: p.audioBytesReceived };
  return out;
}

test('Firefox and Chromium officials see and hear each other; Firefox follows a presentation', { timeout: 240000 }, async (t) => {
  const server = await h.startServer();
  const chromium = await h.launchBrowser({ extraArgs: ['--auto-select-desktop-capture-source=Entire screen'] });
  const firefox = await h.launchFirefox();
  const diag = [];
  t.after(async () => {
    await firefox.close().catch(() => {});
    await chromium.close().catch(() => {});
    await server.stop();
  });
  const room = `ff-${process.pid}-${Date.now()}`;
  const url = (name) => `${server.url}/?room=${room}&name=${encodeURIComponent(name)}&q=low`;
  const pages = {};
  try {
    pages.F = await firefox.newPage();
    h.recordPage(pages.F, 'F', diag);
    await pages.F.goto(url('Phạm Thị Firefox'), { waitUntil: 'domcontentloaded' });
    for (const key of ['A', 'B']) {
      const ctx = await chromium.newContext({ viewport: { width: 960, height: 600 } });
      pages[key] = await ctx.newPage();
      h.recordPage(pages[key], key, diag);
      await pages[key].goto(url(`Chromium ${key}`), { waitUntil: 'domcontentloaded' });
    }
    const ids = {};
    for (const key of Object.keys(pages)) {
      ids[key] = (await h.waitFor(async () => {
        const s = await pages[key].evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id;
      }, { timeout: 30000, message: `${key} joined` }));
    }
    // Everyone decodes the two others' video and receives their audio ...
    const first = {};
    for (const key of Object.keys(pages)) {
      const others = Object.keys(ids).filter((k) => k !== key).map((k) => ids[k]);
      first[key] = await h.waitFor(async () => {
        const c = counters(await h.snapshot(pages[key]));
        return others.every((id) => c[id] && c[id].frames > 0 && c[id].audio > 0) && c;
      }, { timeout: MEDIA_TIMEOUT, interval: 1000, message: `${key}: video and audio from both others` });
    }
    // ... and it keeps flowing.
    for (const key of Object.keys(pages)) {
      await h.waitFor(async () => {
        const c = counters(await h.snapshot(pages[key]));
        return Object.keys(first[key]).every((id) => c[id] &&
          c[id].frames > first[key][id].frames + 10 && c[id].audio > first[key][id].audio + 2000);
      }, { timeout: MEDIA_TIMEOUT, interval: 1000, message: `${key}: frames and audio advancing` });
    }
    // A presents: Firefox shows A's screen, advancing, in the presentation layout.
    await pages.A.click('#share');

    const screenAtF = () => pages.F.evaluate((pid) => {
      const v = document.querySelector(`.tile.screen[data-screen-of="${pid}"] video`);
      if (!v) return null;
      // Firefox counts no frames of a MediaStream in getVideoPlaybackQuality: count the frames
      // presented (requestVideoFrameCallback).
      if (!v.framesSeen) {
        v.framesSeen = 0;
        const count = () => { v.framesSeen++; v.requestVideoFrameCallback(count); };
        v.requestVideoFrameCallback(count);
      }
      return v ? { frames: v.framesSeen, width: v.videoWidth,
        presentation: document.getElementById('grid').classList.contains('presentation') } : null;
    }, ids.A);
    const s0 = await h.waitFor(async () => { const v = await screenAtF(); return v && v.frames > 0 && v.width > 0 && v; },
      { timeout: MEDIA_TIMEOUT, message: "F shows A's screen" });
    assert.equal(s0.presentation, true);
    await h.waitFor(async () => (await screenAtF()).frames > s0.frames + 2,
      { timeout: MEDIA_TIMEOUT, message: "A's screen advances at F" });
    await h.screenshot(pages.F, 'firefox-presentation');
    await pages.A.click('#share');

    // The Firefox official leaves with the button: the others are told "left".
    await pages.F.click('#leave');
    for (const key of ['A', 'B']) {
      await h.waitFor(async () => (await pages[key].evaluate(() => window.hoinghi.log()))
        .some((e) => e.dir === 'in' && e.type === 'participant-left' && e.id === ids.F),
      { timeout: 20000, message: `${key}: told that F left` });
      const told = (await pages[key].evaluate(() => window.hoinghi.log()))
        .filter((e) => e.dir === 'in' && e.type === 'participant-left' && e.id === ids.F);
      assert.deepEqual(told.map((e) => e.reason), ['left']);
    }
  } catch (err) {
    for (const [key, page] of Object.entries(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(page)}`);
    console.error(diag.join('\n').slice(-20000));
    throw err;
  }
});
