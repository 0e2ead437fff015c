'use strict';
// Who may join, in the browser: a PIN room shows the PIN field after the server answers
// auth-required, a wrong PIN is reported under it, the right one joins; an invitation link with
// ?token= joins with the role the token gives.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const SECRET = 'e2e-secret-5a4b3c2d1e0f9a8b7c';
const PIN = '482913';

const mint = (claims) => h.mintToken(SECRET, claims);

test('PIN form and invitation token', { timeout: 120000 }, async (t) => {
  const server = await h.startServer({
    config: `[auth]\njwt_secret = ${SECRET}\nlockout_failures = 50\n[room:giao-ban]\npin = ${PIN}\naccess = pin\n[room:hoi-dong]\n`,
  });
  const browser = await h.launchBrowser();
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = await browser.newPage();
  const joined = () => page.evaluate(() => window.hoinghi.state().phase === 'joined');

  // The PIN room: the invitation link without PIN brings the form back with the PIN field.
  await page.goto(`${server.url}/?room=giao-ban&name=${encodeURIComponent('Nguyễn Văn An')}`);
  await page.locator('#pin').waitFor({ state: 'visible', timeout: 60000 });
  assert.equal(await page.locator('label[for=pin]').innerText(), 'Mã PIN của phòng');
  await page.fill('#pin', '000000');
  await page.click('#join-btn');
  await h.waitFor(async () => (await page.locator('#pin-error').isVisible()), { timeout: 30000, message: 'PIN error' });
  assert.equal(await page.locator('#pin-error').innerText(), 'Mã PIN không đúng.');
  await page.fill('#pin', PIN);
  await page.click('#join-btn');
  await h.waitFor(joined, { timeout: 60000, message: 'joined with the PIN' });
  assert.equal(await page.evaluate(() => window.hoinghi.state().role), 'member');
  assert.ok(!server.log().includes(PIN), 'the PIN is not in the server log');

  // An invitation link with a token: joined at once, as the chair the token names.
  const token = mint({ room: 'hoi-dong', name: 'Chủ tịch', role: 'chair', exp: Math.floor(Date.now() / 1000) + 600 });
  const page2 = await browser.newPage();
  await page2.goto(`${server.url}/?room=hoi-dong&name=Khach&token=${token}`);
  await h.waitFor(() => page2.evaluate(() => window.hoinghi.state().phase === 'joined'),
    { timeout: 60000, message: 'joined with the token' });
  assert.equal(await page2.evaluate(() => window.hoinghi.state().role), 'chair');
});
