'use strict';
// The lobby in the browser: in a lobby room the newcomer sees the waiting message and receives
// no remote video; the chair sees the knock and admits; then both see each other's video.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const SECRET = 'e2e-lobby-secret-9f8e7d6c5b4a39';
const MEDIA_TIMEOUT = 60000;

const token = (name, role) => h.mintToken(SECRET,
  { room: 'sanh', name, role, exp: Math.floor(Date.now() / 1000) + 600 });

/** True when the page decodes video and receives audio from every remote tile it shows. */
function seesOthers(snap, n) {
  return snap.tiles.length === n && snap.tiles.every((tile) => {
    const p = snap.stats.participants.find((x) => x.id === tile.id);
    return tile.videoWidth > 0 && p && p.videoFramesDecoded > 0;
  });
}

test('a newcomer waits in the lobby until the chair admits it', { timeout: 120000 }, async (t) => {
  const server = await h.startServer({ config: `[auth]\njwt_secret = ${SECRET}\n[room:sanh]\nlobby = true\n` });
  const browser = await h.launchBrowser();
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const open = async (label, name, role) => {
    const ctx = await browser.newContext({ viewport: { width: 960, height: 600 } });
    const page = await ctx.newPage();
    h.recordPage(page, label, diag);
    await page.goto(`${server.url}/?room=sanh&name=x&q=low&token=${token(name, role)}`);
    return page;
  };
  try {
    const chair = await open('chair', 'Chủ trì', 'chair');
    await h.waitFor(() => chair.evaluate(() => window.hoinghi.state().phase === 'joined'),
      { timeout: MEDIA_TIMEOUT, message: 'the chair joined' });

    const guest = await open('guest', 'Đại biểu An', 'participant');
    const notice = guest.locator('[data-notice="lobby"]');
    await notice.waitFor({ state: 'visible', timeout: MEDIA_TIMEOUT });
    assert.match(await notice.innerText(), /Đang chờ chủ trì cho vào phòng…/);

    // the chair sees the knock (a toast) and the waiting panel
    const knock = chair.locator('.toast.knock');
    await knock.waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await knock.innerText(), /Đại biểu An/);
    await chair.click('#panel-lobby');
    assert.match(await chair.locator('.lobby-row').innerText(), /Đại biểu An/);
    await h.screenshot(guest, 'lobby-waiting');
    await h.screenshot(chair, 'lobby-chair');

    // while it waits, the guest has no participant, no tile, no media
    await new Promise((r) => setTimeout(r, 2000));
    let snap = await h.snapshot(guest);
    assert.equal(snap.state.phase, 'joining');
    assert.deepEqual(snap.state.participants, []);
    assert.equal(snap.tiles.length, 0);
    assert.equal(snap.stats.participants.length, 0);
    assert.equal((await h.snapshot(chair)).tiles.length, 0, 'the chair has no tile for the guest');

    await chair.locator('.lobby-row button.primary').click();
    await h.waitFor(async () => seesOthers(await h.snapshot(guest), 1) && seesOthers(await h.snapshot(chair), 1),
      { timeout: MEDIA_TIMEOUT, message: 'both see each other after the admission' });
    snap = await h.snapshot(guest);
    assert.equal(snap.state.phase, 'joined');
    assert.equal(await notice.count(), 0, 'the waiting message is gone');
    assert.equal(await chair.locator('.lobby-row').count(), 0, 'nobody waits any more');
  } catch (err) {
    console.error(diag.join('\n'));
    throw err;
  }
});
