'use strict';
// Device check before joining and device switching during the meeting (docs/client.md):
// the join form previews the camera with a microphone level, joining with the camera off is
// honoured, and switching cameras in the meeting replaces the sent track without a new
// `publish` while the other participant's picture keeps advancing.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 60000;

test('preview before joining, join with camera off, switch camera in the meeting', { timeout: 180000 }, async (t) => {
  const server = await h.startServer();
  // Three fake cameras. Chromium's fake_device_1 delivers Y16 (a depth camera's format) that
  // the video encoder ignores, so the switch goes from fake_device_0 (I420) to fake_device_2
  // (MJPEG), as from a laptop camera to a USB one.
  const browser = await h.launchBrowser({ extraArgs: ['--use-fake-device-for-media-stream=device-count=3'] });
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `dev-${process.pid}-${Date.now()}`;
  const pages = {};
  try {
    // A opens an invitation link without a name: the form, with the preview.
    pages.A = await (await browser.newContext()).newPage();
    h.recordPage(pages.A, 'A', diag);
    await pages.A.goto(`${server.url}/?room=${room}&q=low`);
    await pages.A.locator('#preview').waitFor({ state: 'visible', timeout: 20000 });
    await h.waitFor(() => pages.A.evaluate(() => document.getElementById('preview-video').videoWidth > 0),
      { timeout: 20000, message: 'the preview shows the camera' });
    await h.waitFor(() => pages.A.evaluate(() => Number(document.getElementById('mic-meter').dataset.level) > 0.005),
      { timeout: 20000, interval: 100, message: 'the microphone level meter moves' });
    await pages.A.locator('summary').click();
    await h.screenshot(pages.A, 'join-form-preview');
    const cams = await pages.A.evaluate(() => [...document.querySelectorAll('#pre-videoId option')].map((o) => o.textContent));
    assert.ok(cams.includes('fake_device_2'), `cameras offered: ${cams}`);
    // Join with the camera off.
    await pages.A.uncheck('#join-cam');
    await pages.A.fill('#name', 'Nguyễn Văn An');
    await pages.A.click('#join-btn');
    const stA = await h.waitFor(async () => {
      const s = await pages.A.evaluate(() => window.hoinghi.state());
      return s.phase === 'joined' && s;
    }, { timeout: 30000, message: 'A joined' });
    assert.equal(stA.local.camOn, false, 'A joined with the camera off');
    assert.equal(stA.local.micOn, true);
    assert.equal(await pages.A.evaluate(() => document.getElementById('preview-video').srcObject), null,
      'the preview is closed after joining');

    // B joins by a full link (no form, no preview) and publishes fake_device_0.
    pages.B = await (await browser.newContext()).newPage();
    h.recordPage(pages.B, 'B', diag);
    await pages.B.goto(`${server.url}/?room=${room}&name=B&q=low`);
    const idB = (await h.waitFor(async () => {
      const s = await pages.B.evaluate(() => window.hoinghi.state());
      return s.phase === 'joined' && s;
    }, { timeout: 30000, message: 'B joined' })).id;
    const framesOfB = async () => {
      const st = await pages.A.evaluate(() => window.hoinghi.stats());
      const p = st.participants.find((x) => x.id === idB);
      return p ? p.videoFramesDecoded : 0;
    };
    await h.waitFor(async () => (await framesOfB()) > 20, { timeout: MEDIA_TIMEOUT, message: "A decodes B's video" });
    const label = () => pages.B.evaluate(() => window.hoinghi.sending().find((x) => x.kind === 'video').label);
    assert.equal(await label(), 'fake_device_0');

    // B switches to the second camera from the devices panel.
    await pages.B.click('#panel-devices');
    await pages.B.selectOption('#in-videoId', { label: 'fake_device_2' });
    await h.waitFor(async () => (await label()) === 'fake_device_2', { timeout: 15000, message: 'B sends fake_device_2' });
    // A's picture of B keeps advancing; measure the longest pause in the frame counter.
    let last = await framesOfB();
    let lastAt = Date.now();
    let longest = 0;
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      await h.sleep(100);
      const f = await framesOfB();
      if (f > last) {
        longest = Math.max(longest, Date.now() - lastAt);
        last = f;
        lastAt = Date.now();
      }
    }
    longest = Math.max(longest, Date.now() - lastAt);
    console.log(`# longest pause in B's frames at A after the switch: ${longest} ms`);

    // The figure is 1 s; the bound here is looser because two Chromium pages share a
    // loaded 2-core CI machine (measured on the development machine: about 200 ms).
    assert.ok(longest < 3000, `A's picture of B stalled ${longest} ms after the switch`);
    const publishes = (await pages.B.evaluate(() => window.hoinghi.log())).filter((e) => e.dir === 'out' && e.type === 'publish');
    assert.equal(publishes.length, 1, 'the switch sent no new publish (replaceTrack, no renegotiation)');
    assert.equal(await pages.B.evaluate(() => JSON.parse(localStorage.getItem('hoinghi.devices')).videoId !== ''), true,
      'the choice is remembered');
  } catch (err) {
    for (const [key, page] of Object.entries(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(page)}`);
    console.error(diag.join('\n').slice(-20000));
    throw err;
  }
});
