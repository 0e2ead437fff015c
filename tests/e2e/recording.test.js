'use strict';
// Recording from the browser: the chair (the first to join an open room) presses "Ghi hình";
// both pages show the red "● Đang ghi hình" indicator; a member has no record button; the
// chair stops it and the indicator goes on both.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const shown = (page) => page.evaluate(() => {
  const el = document.getElementById('rec-indicator');
  return el && !el.hidden ? el.textContent : null;
});

test('the chair records, everyone sees the indicator', { timeout: 120000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `e2e-rec-${process.pid}-${Date.now()}`;
  const pages = {};
  try {
    const open = async (key) => {
      const ctx = await browser.newContext({ viewport: { width: 640, height: 400 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      await h.waitFor(async () => {
        const s = await page.evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id ? s : null;
      }, { timeout: 60000, message: `${key} joined` });
      pages[key] = page;
    };
    await open('chair');
    await open('ana');
    const { chair, ana } = pages;
    assert.equal(await ana.evaluate(() => { const b = document.getElementById('record'); return !!b && !b.hidden; }), false,
      'a member has no record button');
    await chair.click('#record');
    for (const p of [chair, ana]) {
      const text = await h.waitFor(() => shown(p), { timeout: 10000, message: 'the indicator shows' });
      assert.match(text, /● Đang ghi hình/);
    }
    await chair.click('#record');
    for (const p of [chair, ana]) {
      await h.waitFor(async () => (await shown(p)) === null, { timeout: 10000, message: 'the indicator goes' });
    }
  } catch (e) {
    console.error(diag.slice(-40).join('\n'));
    throw e;
  }
});
