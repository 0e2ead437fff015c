'use strict';
// The join form and the meeting controls: Vietnamese by default, English when switched (and
// remembered), and no request to any host other than the hoinghi server.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const texts = (page, sel) => page.locator(sel).allInnerTexts();
const text = (page, sel) => page.locator(sel).innerText();

test('join form and controls: Vietnamese by default, English when switched, nothing from other hosts', { timeout: 180000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });

  const origin = new URL(server.url).origin;
  const foreign = [];
  const context = await browser.newContext();
  context.on('request', (req) => {
    const u = new URL(req.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.origin !== origin) foreign.push(req.url());
  });
  const page = await context.newPage();
  h.recordPage(page, 'page', diag);
  page.on('websocket', (ws) => {
    const u = new URL(ws.url());
    if (u.host !== new URL(origin).host) foreign.push(ws.url());
  });

  try {
    // --- Vietnamese by default ---
    await page.goto(`${server.url}/`);
    await page.locator('#join-form').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    assert.equal(await text(page, '#join-heading'), 'Tham gia phòng họp');
    assert.equal(await text(page, 'label[for=room]'), 'Phòng họp');
    assert.equal(await text(page, 'label[for=name]'), 'Tên hiển thị');
    assert.equal(await text(page, '#join-btn'), 'Tham gia');
    assert.equal(await page.title(), 'Hội nghị trực tuyến');

    // A human room name shows the room id it becomes; one over 64 characters (after dropping
    // accents) is refused, not cut; one without a letter or digit is refused; in Vietnamese,
    // before anything is sent.
    await page.fill('#room', 'Sở Y tế Đồng Nai');
    assert.equal(await text(page, '#room-slug'), 'Mã phòng: so-y-te-dong-nai');
    await page.fill('#room', 'Phòng họp giao ban '.repeat(4));
    await page.fill('#name', 'Nguyễn Văn An');
    await page.click('#join-btn');
    assert.match(await text(page, '#room-error'), /Tên phòng quá dài/);
    await page.fill('#room', '*** ***');
    await page.click('#join-btn');
    assert.match(await text(page, '#room-error'), /ít nhất một chữ cái hoặc chữ số/);
    assert.equal(await page.getAttribute('#room', 'aria-invalid'), 'true');

    // --- switch to English ---
    await page.click('#lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, '#join-heading'), 'Join a meeting');
    assert.equal(await text(page, 'label[for=room]'), 'Meeting room');
    assert.equal(await text(page, 'label[for=name]'), 'Display name');
    assert.equal(await text(page, '#join-btn'), 'Join');
    assert.match(await text(page, '#room-error'), /at least one letter or digit/);
    assert.equal(await text(page, '#lang'), 'Tiếng Việt');

    // Remembered across a reload; ?lang= overrides.
    await page.reload();
    assert.equal(await text(page, '#join-heading'), 'Join a meeting');
    await page.goto(`${server.url}/?lang=vi`);
    assert.equal(await text(page, '#join-heading'), 'Tham gia phòng họp');

    // --- in a meeting (alone): controls in Vietnamese, toggles, language switch, leave ---
    const room = `e2e-ui-${process.pid}-${Date.now()}`;
    await page.fill('#room', room);
    await page.fill('#name', 'Nguyễn Văn An');
    await page.click('#join-btn');
    await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'),
      { timeout: 60000, message: 'joined' });
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('room'), room, 'the address bar carries the room');
    assert.equal(await text(page, '#mic .label'), 'Tắt micrô');
    assert.equal(await text(page, '#cam .label'), 'Tắt camera');
    assert.equal(await text(page, '#leave .label'), 'Rời phòng');
    assert.equal(await text(page, '.tile.self .name'), 'Nguyễn Văn An (bạn)');
    // The page title names the room and the count; the clock runs; focus is on the controls.
    assert.equal(await page.title(), `(1) ${room} - hoinghi`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'mic');
    assert.match(await text(page, '#room-clock'), /^00:0\d$/);
    assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true');
    // Keyboard: M and V toggle, ? shows the shortcuts.
    await page.keyboard.press('m');
    await page.keyboard.press('v');
    assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'false');
    assert.equal(await text(page, '#mic .label'), 'Bật micrô');
    await page.keyboard.press('Shift+?');
    assert.equal(await page.evaluate(() => document.getElementById('help').open), true);
    assert.match(await text(page, '#help'), /Phím tắt/);
    await page.keyboard.press('Escape');
    await page.keyboard.press('m');
    await page.keyboard.press('v');
    await page.click('#mic');
    await page.click('#cam');
    assert.equal(await text(page, '#mic .label'), 'Bật micrô');
    assert.equal(await text(page, '#cam .label'), 'Bật camera');
    const local = await page.evaluate(() => window.hoinghi.state().local);
    assert.equal(local.micOn, false);
    assert.equal(local.camOn, false);
    const enabled = await page.evaluate(() => {
      const s = document.getElementById('local-video').srcObject;
      return s.getTracks().map((tr) => `${tr.kind}:${tr.enabled}`).sort();
    });
    assert.deepEqual(enabled, ['audio:false', 'video:false'], 'toggles use track.enabled');
    await page.click('#lang');
    assert.equal(await text(page, '#mic .label'), 'Unmute microphone');
    assert.equal(await text(page, '#cam .label'), 'Turn camera on');
    assert.equal(await text(page, '#leave .label'), 'Leave');
    await page.click('#lang');

    await page.click('#leave');
    await page.locator('#join-form').waitFor();
    assert.equal(await page.evaluate(() => window.hoinghi.state().phase), 'idle');
    assert.equal(await page.inputValue('#room'), room, 'the form keeps the room after leaving');
    assert.deepEqual(await texts(page, '.tile.remote'), []);

    // --- a fresh browser profile with ?lang=en starts in English ---
    const ctx2 = await browser.newContext();
    const page2 = await ctx2.newPage();
    ctx2.on('request', (req) => {
      const u = new URL(req.url());
      if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.origin !== origin) foreign.push(req.url());
    });
    await page2.goto(`${server.url}/?lang=en`);
    assert.equal(await text(page2, '#join-heading'), 'Join a meeting');
    await ctx2.close();

    assert.deepEqual(foreign, [], 'every request goes to the hoinghi server');
  } catch (err) {
    console.log(diag.join('\n'));
    console.log('--- page protocol log ---\n' + (await h.pageLog(page)));
    console.log('--- server log ---\n' + server.log());
    throw err;
  }
});
