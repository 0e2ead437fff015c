'use strict';
// Admission control in the browser (issue 14): a newcomer to an overloaded server is told so in
// Vietnamese on the join form, with the wait the server asked for, and joins by itself after it.
// The server is made busy by stopping it for 1.5 s (SIGSTOP/SIGCONT of its PID): its worker's
// loop lag then passes [media] busy_lag_ms and stays "busy" for busy_hold seconds.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

test('server-busy: the form says how long, then the client joins by itself', { timeout: 180000 }, async (t) => {
  const server = await h.startServer({ config: '[server]\nworkers = 1\n[media]\nbusy_hold = 20\n' });
  const browser = await h.launchBrowser();
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.fill('#room', 'qua-tai');
  await page.fill('#name', 'Trần Thị Bình');

  process.kill(server.pid, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(server.pid, 'SIGCONT');

  await page.click('#join-btn');
  const alert = page.locator('#alerts .alert-text', { hasText: 'Máy chủ đang quá tải' });
  await alert.waitFor({ state: 'visible', timeout: 30000 });
  const text = await alert.innerText();
  const m = /^Máy chủ đang quá tải, vui lòng thử lại sau (\d+) giây$/.exec(text);
  assert.ok(m, `alert text: ${text}`);
  assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= 20, text);
  assert.equal(await page.evaluate(() => window.hoinghi.state().phase), 'idle');

  // After the hint the client tries again; the server is no longer busy and lets it in.
  await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'),
    { timeout: 120000, message: 'joined after the retry' });
  assert.match(server.log(), /server-busy/);
});
