'use strict';
// A WHIP encoder sends H.264 (a room system's codec) into a room where a Firefox official has
// H.264 disabled (media.peerconnection.video.h264_enabled = false, as a Firefox without the
// OpenH264 plugin): Firefox rejects the H.264 section and plays the encoder's camera transcoded
// to VP8 (docs/room-systems.md, "VP8 for browsers without H.264").

const test = require('node:test');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 90000;

test('Firefox without H.264 plays a room system\'s H.264 as VP8', { timeout: 240000 }, async (t) => {
  // busy_lag_ms 0: a loaded CI machine must not refuse the join (this test is not about that)
  const server = await h.startServer({ config: '[media]\nbusy_lag_ms = 0\n[room:hoi-truong]\naccess = open\n' });
  const firefox = await h.launchFirefox({ 'media.peerconnection.video.h264_enabled': false });
  const diag = [];
  let enc = null;
  t.after(async () => {
    if (enc && enc.exitCode === null) enc.kill('SIGKILL');
    await firefox.close().catch(() => {});
    await server.stop();
  });
  const page = await firefox.newPage();
  h.recordPage(page, 'firefox', diag);
  try {
    await page.goto(`${server.url}/?room=hoi-truong&name=official&q=low`, { waitUntil: 'domcontentloaded' });
    await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'),
      { timeout: 60000, message: 'official joined' });
    let encLog = '';
    enc = spawn('/usr/bin/python3', [path.join(h.REPO, 'tests', 'integration', 'whip_client.py'),
      '--url', `${server.url}/whip/hoi-truong?name=Site`, '--video-codec', 'h264',
      '--duration', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
    enc.stderr.on('data', (c) => { encLog = (encLog + c.toString()).slice(-8192); });
    diag.push(() => `--- whip_client ---\n${encLog}`);
    const tile = await h.waitFor(async () => {
      const snap = await h.snapshot(page);
      const t0 = snap.tiles.find((x) => x.name === 'Site');
      return t0 && t0.videoWidth > 0 ? t0 : null;
    }, { timeout: MEDIA_TIMEOUT, message: 'the site tile shows video' });
    const counters = async () => (await h.snapshot(page)).stats.participants.find((p) => p.id === tile.id) || {};
    const first = await counters();
    await h.waitFor(async () => {
      const c = await counters();
      return c.videoFramesDecoded > (first.videoFramesDecoded || 0) + 30;
    }, { timeout: MEDIA_TIMEOUT, interval: 1000, message: 'VP8 frames advancing' });
    await h.waitFor(async () => /producer \d+ transcoded to VP8/.test(server.log()),
      { timeout: 5000, message: 'the server transcoded' });
  } catch (err) {
    diag.push(`--- page ---\n${await h.pageLog(page)}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.map((d) => (typeof d === 'function' ? d() : d)).join('\n'));
    throw err;
  }
});
