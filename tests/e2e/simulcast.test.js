'use strict';
// Simulcast: a Chromium publisher sends its 1280x720 fake camera as three VP8 layers (q, h, f);
// a viewer showing it in a small tile receives a lower layer than one showing it large, and
// a viewer whose tile grows switches up while its video keeps decoding; a layer nobody watches
// is paused at the publisher and resumed when a large tile wants it. /metrics counts the switch.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const TIMEOUT = 120000; // generous: a loaded 2-core machine runs three Chromium pages

/** Forces the size of the remote tiles of a page (the client reports it in `view`). */
async function setTile(page, width, height) {
  await page.evaluate(({ width, height }) => {
    let el = document.getElementById('e2e-tile-size');
    if (!el) {
      el = document.createElement('style');
      el.id = 'e2e-tile-size';
      document.head.append(el);
    }
    el.textContent = `#grid .tile.remote { width: ${width}px !important; height: ${height}px !important;
      max-width: none !important; max-height: none !important; flex: none !important; aspect-ratio: auto !important; }`;
  }, { width, height });
}

/** The publisher's video as the viewer receives it (found by name: on a machine loaded enough
 *  for a signalling timeout the publisher comes back with a new id). */
async function received(page) {
  const st = await page.evaluate(() => window.hoinghi.stats());
  return st.participants.find((p) => p.name === 'pub') || { frameWidth: 0, videoFramesDecoded: 0 };
}

test('simulcast: small tile gets a low layer, large tile the full one, switching keeps decoding', { timeout: 420000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const diag = [];
  const pages = {};
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `e2e-simulcast-${process.pid}-${Date.now()}`;
  try {
    for (const [key, vw, vh] of [['pub', 800, 600], ['small', 800, 600], ['large', 1600, 1000]]) {
      const ctx = await browser.newContext({ viewport: { width: vw, height: vh } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      // Viewers send one low-resolution stream of their own: less CPU on a loaded machine.
      const own = key === 'pub' ? '' : '&q=low&simulcast=0';
      await page.goto(`${server.url}/?room=${room}&name=${key}${own}`, { waitUntil: 'domcontentloaded' });
      pages[key] = { page };
      const st = await h.waitFor(async () => {
        const s = await page.evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id ? s : null;
      }, { timeout: 60000, message: `${key} joined` });
      pages[key].id = st.id;
    }
    await setTile(pages.small.page, 160, 90);
    await setTile(pages.large.page, 1280, 720);
    const pub = pages.pub.page;

    // The publisher sends at least two layers (Chromium adds the top one as its estimate grows).
    const layers = await h.waitFor(async () => {
      const st = await pub.evaluate(() => window.hoinghi.stats());
      const l = (st.local.video && st.local.video.layers) || [];
      const sending = l.filter((x) => x.frameWidth > 0 && x.framesEncoded > 0);
      return sending.length >= 2 ? l : null;
    }, { timeout: TIMEOUT, message: 'the publisher sending two simulcast layers' });
    t.diagnostic(`publisher layers: ${JSON.stringify(layers)}`);

    // Small tile: a layer narrower than the publisher's top layer.
    const small = await h.waitFor(async () => {
      const r = await received(pages.small.page);
      return r.frameWidth > 0 && r.frameWidth <= 320 && r.videoFramesDecoded > 10 ? r : null;
    }, { timeout: TIMEOUT, message: 'the small tile receiving the quarter layer' });

    // Large tile: the widest layer the publisher sends (1280 once Chromium sends f).
    const large = await h.waitFor(async () => {
      const st = await pub.evaluate(() => window.hoinghi.stats());
      const top = Math.max(...st.local.video.layers.filter((x) => x.framesEncoded > 0).map((x) => x.frameWidth));
      const r = await received(pages.large.page);
      return r.frameWidth >= 640 && r.frameWidth === top && r.videoFramesDecoded > 10 ? { r, top } : null;
    }, { timeout: TIMEOUT, message: 'the large tile receiving the top layer' });
    t.diagnostic(`small ${small.frameWidth}x${small.frameHeight}, large ${large.r.frameWidth}x${large.r.frameHeight} (top ${large.top})`);
    assert.ok(small.frameWidth < large.r.frameWidth);

    // The small tile grows: the viewer switches up and its frames keep decoding.
    const before = await received(pages.small.page);
    await setTile(pages.small.page, 1280, 720);
    const after = await h.waitFor(async () => {
      const r = await received(pages.small.page);
      return r.frameWidth > before.frameWidth ? r : null;
    }, { timeout: TIMEOUT, message: 'the grown tile switching to a larger layer' });
    let base = after.videoFramesDecoded;
    const later = await h.waitFor(async () => {
      const r = await received(pages.small.page);
      base = Math.min(base, r.videoFramesDecoded); // a rejoin starts a new count
      return r.videoFramesDecoded >= base + 20 && r.frameWidth > before.frameWidth ? r : null;
    }, { timeout: TIMEOUT, message: 'frames decoding after the switch' });
    t.diagnostic(`switch: ${before.frameWidth} -> ${later.frameWidth}, frames ${before.videoFramesDecoded} -> ${later.videoFramesDecoded}`);

    // Nobody watches the top layer any more: after the debounce the publisher pauses it
    // (the server's `layers` message), keeping the lowest; a large tile resumes it.
    await setTile(pages.small.page, 160, 90);
    await setTile(pages.large.page, 160, 90);
    const paused = await h.waitFor(async () => {
      const st = await pub.evaluate(() => window.hoinghi.stats());
      const l = st.local.video.layers;
      const f = l.find((x) => x.rid === 'f');
      const q = l.find((x) => x.rid === 'q');
      return f && !f.active && q.active ? l : null;
    }, { timeout: TIMEOUT, message: 'the publisher pausing the unwatched top layer' }).catch(async (err) => {
      const st = await pub.evaluate(() => window.hoinghi.stats());
      diag.push(`publisher layers at timeout: ${JSON.stringify(st.local.video.layers)}`);
      for (const k of ['small', 'large']) diag.push(`${k} receives ${JSON.stringify(await received(pages[k].page))}`);
      throw err;
    });
    t.diagnostic(`paused: ${JSON.stringify(paused.map((x) => [x.rid, x.active]))}`);
    await setTile(pages.large.page, 1280, 720);
    await h.waitFor(async () => {
      const st = await pub.evaluate(() => window.hoinghi.stats());
      return st.local.video.layers.find((x) => x.rid === 'f').active;
    }, { timeout: TIMEOUT, message: 'the publisher resuming the top layer' });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const switches = metrics.split('\n').filter((l) => l.startsWith('hoinghi_simulcast_layer_switches_total'))
      .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    assert.ok(switches >= 1, `layer switches in /metrics: ${switches}`);
  } catch (err) {
    for (const [key, p] of Object.entries(pages)) diag.push(`--- ${key} log ---\n${(await h.pageLog(p.page)).slice(-4000)}`);
    diag.push(`--- server ---\n${server.log().slice(-6000)}`);
    const m = await (await fetch(`${server.url}/metrics`)).text().catch(() => '');
    diag.push(m.split('\n').filter((l) => /simulcast|keyframe|layer|pli/.test(l) && !l.startsWith('#')).join('\n'));
    t.diagnostic(diag.join('\n'));
    throw err;
  }
});
