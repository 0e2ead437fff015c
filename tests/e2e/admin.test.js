'use strict';
// The account pages in the browser: /admin/audit without a session sends to /login, an admin
// logs in there (the real POST /api/login and its HttpOnly cookie) and lands on the audit page,
// whose table shows the log, filters it and offers the same filter as CSV.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

const PASSWORD = 'mat-khau-quan-tri-e2e';

test('login page and audit table', { timeout: 60000, skip: h.external() && 'needs its own data dir' }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-admin-'));
  const bin = path.resolve(__dirname, '..', '..', process.env.HOINGHI_BIN || 'build/server/hoinghi');
  const add = spawnSync(bin, ['--data-dir', dataDir, 'user', 'add', 'quan-tri', '--role', 'admin'],
    { input: `${PASSWORD}\n`, encoding: 'utf-8' });
  assert.equal(add.status, 0, add.stderr);
  const server = await h.startServer({ dataDir });
  const browser = await h.launchBrowser();
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = await browser.newPage();
  await page.goto(`${server.url}/admin/audit`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.locator('#login-heading').innerText(), 'Đăng nhập');
  await page.fill('#login-name', 'quan-tri');
  await page.fill('#login-password', 'sai-mat-khau');
  await page.click('#login-btn');
  await page.locator('#login-error').waitFor({ state: 'visible', timeout: 20000 });
  assert.equal(await page.locator('#login-error').innerText(), 'Sai tên đăng nhập hoặc mật khẩu.');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-btn');
  await page.waitForURL((u) => u.pathname === '/admin/audit', { timeout: 20000 });
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((c) => c.name === 'hn_session' && c.httpOnly && c.sameSite === 'Strict'));
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session is not readable by scripts');

  const actions = () => page.locator('#audit-table tbody tr td:nth-child(3)').allInnerTexts();
  await h.waitFor(async () => (await actions()).includes('login'), { timeout: 10000, message: 'rows' });
  const all = await actions();
  assert.ok(all.includes('login-failed') && all.includes('user-add'), all.join(','));
  await page.fill('input[name=action]', 'login-failed');
  await page.click('#audit-filter button[type=submit]');
  await h.waitFor(async () => (await actions()).every((a) => a === 'login-failed'), { timeout: 10000, message: 'filtered' });
  assert.deepEqual(await actions(), ['login-failed']);
  assert.match(await page.locator('#audit-csv').getAttribute('href'), /^\/admin\/audit\.csv\?action=login-failed$/);
  await page.click('#lang');
  assert.equal(await page.locator('#audit-table th:nth-child(3)').innerText(), 'Action');
});
