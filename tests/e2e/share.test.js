'use strict';
// Presentation sharing (docs/client.md): a participant shares a screen; the two others get a
// second video, of source "screen", whose frames advance at the shared resolution, in the
// presentation layout; a second presenter takes over (the first is told `share-stopped`);
// stopping the share removes it everywhere; the chair stops another's share from the participants
// panel.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const TIMEOUT = 60000;

/** What a page shows of participant `id`'s screen: frames, size, layout. */
function screenView(page, id) {
  return page.evaluate((pid) => {
    const tile = document.querySelector(`.tile.screen[data-screen-of="${pid}"]`);
    const v = tile && tile.querySelector('video');
    return {
      shown: Boolean(tile),
      frames: v ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
      width: v ? v.videoWidth : 0,
      height: v ? v.videoHeight : 0,
      presentation: document.getElementById('grid').classList.contains('presentation'),
    };
  }, id);
}

test('a shared screen reaches the others in the presentation layout; take-over; stop', { timeout: 240000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser({ extraArgs: ['--auto-select-desktop-capture-source=Entire screen'] });
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `share-${process.pid}-${Date.now()}`;
  const pages = {};
  const ids = {};
  try {
    for (const key of ['A', 'B', 'C']) {
      pages[key] = await (await browser.newContext({ viewport: { width: 1000, height: 640 } })).newPage();
      h.recordPage(pages[key], key, diag);
      await pages[key].goto(`${server.url}/?room=${room}&name=${key}&q=low`);
      ids[key] = await h.waitFor(async () => {
        const s = await pages[key].evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id;
      }, { timeout: 30000, message: `${key} joined` });
    }
    // A presents.
    await pages.A.click('#share');
    await h.waitFor(() => pages.A.evaluate(() => window.hoinghi.state().sharing), { timeout: 15000, message: 'A shares' });
    const sent = await pages.A.evaluate(() => {
      const v = document.querySelector('.tile.screen[data-screen-of="self"] video');
      const s = v.srcObject.getVideoTracks()[0].getSettings();
      return { width: s.width, height: s.height };
    });
    for (const key of ['B', 'C']) {
      const first = await h.waitFor(async () => {
        const v = await screenView(pages[key], ids.A);
        return v.shown && v.frames > 0 && v.width > 0 && v;
      }, { timeout: TIMEOUT, message: `${key} shows A's screen` });
      assert.equal(first.presentation, true, `${key}: presentation layout`);
      const later = await h.waitFor(async () => {
        const v = await screenView(pages[key], ids.A);
        return v.frames > first.frames + 2 && v.width === sent.width && v;
      }, { timeout: TIMEOUT, interval: 500, message: `${key}: A's screen advances at ${sent.width}x${sent.height}` });
      assert.equal(later.height, sent.height, `${key}: the shared resolution`);
    }
    await h.screenshot(pages.C, 'presentation');
    // A's camera still reaches B, as a separate tile.
    const tilesB = await h.snapshot(pages.B);
    assert.ok(tilesB.tiles.some((tl) => tl.id === ids.A), "B still has A's camera tile");

    // B takes over (the confirm dialog is accepted): A is told and stops.
    pages.B.once('dialog', (d) => d.accept());
    await pages.B.click('#share');
    await h.waitFor(() => pages.A.evaluate(() => !window.hoinghi.state().sharing), { timeout: 20000, message: 'A stopped after the take-over' });
    const told = (await pages.A.evaluate(() => window.hoinghi.log())).filter((e) => e.dir === 'in' && e.type === 'share-stopped');
    assert.deepEqual(told.map((e) => e.by), [ids.B]);
    await h.waitFor(async () => {
      const a = await screenView(pages.C, ids.A);
      const b = await screenView(pages.C, ids.B);
      return !a.shown && b.shown && b.frames > 0;
    }, { timeout: TIMEOUT, message: "C shows B's screen instead of A's" });

    // B stops: the screen goes everywhere, the grid layout comes back.
    await pages.B.click('#share');
    for (const key of ['A', 'C']) {
      await h.waitFor(async () => {
        const v = await screenView(pages[key], ids.B);
        return !v.shown && !v.presentation;
      }, { timeout: TIMEOUT, message: `${key}: B's screen removed, grid layout back` });
    }

    // C presents; the chair (A: the first to join this open room) stops it from the
    // participants panel, where C is marked as presenting. C is told why and stops; B loses it.
    await pages.C.click('#share');
    await h.waitFor(async () => {
      const v = await screenView(pages.B, ids.C);
      return v.shown && v.frames > 0;
    }, { timeout: TIMEOUT, message: "B shows C's screen" });
    await pages.A.click('#panel-participants');
    const rowC = pages.A.locator(`#participants li.person[data-participant-id="${ids.C}"]`);
    await rowC.locator('.presenting').waitFor({ timeout: 15000 });
    await rowC.locator('button', { hasText: /Dừng trình chiếu|Stop presenting/ }).click({ timeout: 15000 });
    await h.waitFor(() => pages.C.evaluate(() => !window.hoinghi.state().sharing), { timeout: 20000, message: 'C stopped at the chair\'s request' });
    const toldC = (await pages.C.evaluate(() => window.hoinghi.log())).filter((e) => e.dir === 'in' && e.type === 'share-stopped');
    assert.deepEqual(toldC.map((e) => [e.by, e.reason]), [[ids.A, 'chair']]);
    await h.waitFor(async () => !(await screenView(pages.B, ids.C)).shown, { timeout: TIMEOUT, message: "B: C's screen removed" });
  } catch (err) {
    for (const [key, page] of Object.entries(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(page)}`);
    console.error(diag.join('\n').slice(-20000));
    throw err;
  }
});
