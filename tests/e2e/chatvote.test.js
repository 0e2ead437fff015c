'use strict';
// Chat and votes in the browser, three pages on one server: a chat line appears at the others
// (with the unread badge while their panel is closed); the chair opens a vote, the three of them
// vote, the chair closes it and every page shows the same tally as bars with numbers.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const SECRET = 'e2e-chatvote-secret-9f8e7d6c5b4a';
const ROOM = 'hoi-dong';

test('chat line and a vote with three voters', { timeout: 120000 }, async (t) => {
  const server = await h.startServer({ config: `[auth]\njwt_secret = ${SECRET}\n[room:${ROOM}]\naccess = open\n` });
  const browser = await h.launchBrowser();
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const token = h.mintToken(SECRET, { room: ROOM, name: 'Chủ trì', role: 'chair', sub: 'u-chair', exp: Math.floor(Date.now() / 1000) + 600 });
  const urls = [
    `${server.url}/?room=${ROOM}&name=x&q=low&token=${token}`,
    `${server.url}/?room=${ROOM}&name=${encodeURIComponent('Nguyễn Văn An')}&q=low`,
    `${server.url}/?room=${ROOM}&name=${encodeURIComponent('Trần Thị Bình')}&q=low`,
  ];
  const pages = await Promise.all(urls.map(async (url, i) => {
    const page = await browser.newPage();
    h.recordPage(page, `p${i}`, diag);
    await page.goto(url);
    return page;
  }));
  const [chair, an, binh] = pages;
  try {
    for (const page of pages) {
      await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'), { timeout: 60000, message: 'joined' });
    }
    assert.equal(await chair.evaluate(() => window.hoinghi.state().role), 'chair');

    // --- chat: An writes, the others see the line (and the badge while the panel is closed) ---
    await an.click('#panel-chat');
    await an.fill('#chat-input', 'Xin chào các đồng chí');
    await an.click('#chat-send');
    for (const page of [chair, binh]) {
      await page.locator('#panel-chat .count').waitFor({ state: 'visible', timeout: 20000 });
      assert.equal(await page.locator('#panel-chat .count').innerText(), '1');
      await page.click('#panel-chat');
      await page.locator('.chat-line .chat-text').first().waitFor({ timeout: 10000 });
      assert.equal(await page.locator('.chat-line .chat-text').first().innerText(), 'Xin chào các đồng chí');
      assert.equal(await page.locator('.chat-line .chat-name').first().innerText(), 'Nguyễn Văn An');
      assert.ok(await page.locator('#panel-chat .count').isHidden(), 'the badge clears when the panel opens');
    }
    await an.locator('.chat-line.mine').waitFor({ timeout: 10000 });

    // --- the vote: only the chair has the form ---
    for (const page of pages) await page.click('#panel-votes');
    assert.ok(await an.locator('#vote-new').isHidden(), 'a participant has no "new vote" form');
    await chair.fill('#vote-question', 'Thông qua chương trình họp?');
    await chair.click('#vote-open');
    const choices = [0, 0, 1];
    for (const [i, page] of pages.entries()) {
      const button = page.locator(`.vote-option[data-option="${choices[i]}"]`);
      await button.waitFor({ timeout: 20000 });
      await button.click();
      await page.locator('.vote-voted').waitFor({ timeout: 20000 });
    }
    await h.waitFor(async () => (await chair.locator('.vote-count').innerText()) === 'Đã có 3 phiếu', { timeout: 20000, message: '3 ballots at the chair' });
    await chair.click('#vote-close');
    for (const page of pages) {
      await page.locator('#vote-current[data-state="closed"] .vote-result').waitFor({ timeout: 20000 });
      const counts = await page.locator('.vote-row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.count)));
      assert.deepEqual(counts, [2, 1, 0]);
      const numbers = await page.locator('.vote-row .vote-n').allInnerTexts();
      assert.deepEqual(numbers, ['2', '1', '0']);
      assert.equal(await page.locator('.vote-row .vote-label').first().innerText(), 'Đồng ý');
    }
  } catch (err) {
    for (const [i, page] of pages.entries()) diag.push(`--- p${i} log\n${await h.pageLog(page)}`);
    console.error(diag.join('\n'));
    console.error(server.log());
    throw err;
  }
});
