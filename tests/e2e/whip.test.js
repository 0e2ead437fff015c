'use strict';
// A WHIP encoder (tests/integration/whip_client.py: GStreamer webrtcbin, HTTP only) publishes
// into a room; a Chromium official in the room sees its tile, with the encoder's name and role
// `site`, decodes its video and receives its audio, and is told `left` when the encoder DELETEs.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 90000;

test('a WHIP encoder shows as a site tile that plays in the browser', { timeout: 240000 }, async (t) => {
  const server = await h.startServer({ config: '[room:hoi-truong]\naccess = open\n' });
  const browser = await h.launchBrowser();
  const diag = [];
  let enc = null;
  t.after(async () => {
    if (enc && enc.exitCode === null) enc.kill('SIGKILL');
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = await (await browser.newContext({ viewport: { width: 960, height: 600 } })).newPage();
  h.recordPage(page, 'official', diag);
  try {
    await page.goto(`${server.url}/?room=hoi-truong&name=official&q=low`, { waitUntil: 'domcontentloaded' });
    await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'),
      { timeout: 60000, message: 'official joined' });
    let encLog = '';
    enc = spawn('/usr/bin/python3', [path.join(h.REPO, 'tests', 'integration', 'whip_client.py'),
      '--url', `${server.url}/whip/hoi-truong?name=X%C3%A3%20T%C3%A2n%20L%E1%BA%ADp`,
      '--duration', '25'], { stdio: ['ignore', 'ignore', 'pipe'] });
    enc.stderr.on('data', (c) => { encLog = (encLog + c.toString()).slice(-8192); });
    diag.push(() => `--- whip_client ---\n${encLog}`);

    const tile = await h.waitFor(async () => {
      const snap = await h.snapshot(page);
      const t0 = snap.tiles.find((x) => x.name === 'Xã Tân Lập');
      return t0 && t0.videoWidth > 0 && t0.audioTracks > 0 ? t0 : null;
    }, { timeout: MEDIA_TIMEOUT, message: 'the WHIP site tile shows video' });
    const counters = async () => (await h.snapshot(page)).stats.participants.find((p) => p.id === tile.id) || {};
    const first = await counters();
    await h.waitFor(async () => {
      const c = await counters();
      return c.videoFramesDecoded > (first.videoFramesDecoded || 0) + 30 &&
        c.audioBytesReceived > (first.audioBytesReceived || 0) + 2000;
    }, { timeout: MEDIA_TIMEOUT, interval: 1000, message: 'frames and audio advancing' });
    const joined = (await page.evaluate(() => window.hoinghi.log()))
      .filter((e) => e.dir === 'in' && e.type === 'participant-joined' && e.participant && e.participant.id === tile.id);
    assert.equal(joined.length, 1);
    assert.equal(joined[0].participant.role, 'site');

    // The encoder stops at the end of its run and DELETEs its resource: the official is told.
    await h.waitFor(async () => (await page.evaluate(() => window.hoinghi.log()))
      .some((e) => e.dir === 'in' && e.type === 'participant-left' && e.id === tile.id && e.reason === 'left'),
    { timeout: 60000, message: 'told that the encoder left' });
  } catch (err) {
    diag.push(`--- page ---\n${await h.pageLog(page)}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.map((d) => (typeof d === 'function' ? d() : d)).join('\n'));
    throw err;
  }
});
