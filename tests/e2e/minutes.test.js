'use strict';
// The minutes in the browser (docs/minutes.md): the secretary (an account session) types an
// opinion and a conclusion under agenda item 2 in the minutes panel during the meeting; once the
// meeting has ended (everyone out, [rooms] end_grace), both appear under item 2 in the draft on
// /minutes.html; the secretary edits the opinion (a new draft version) and the chair approves.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

const SECRET = 'e2e-minutes-secret-0a1b2c3d4e5f';
const ROOM = 'so-noi-vu';

function cli(bin, dataDir, args, input) {
  const r = spawnSync(bin, ['--data-dir', dataDir, ...args], { input, encoding: 'utf-8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('minutes panel, draft page, edit and approval', { timeout: 60000, skip: h.external() && 'needs its own data dir' }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-minutes-'));
  const bin = path.resolve(__dirname, '..', '..', process.env.HOINGHI_BIN || 'build/server/hoinghi');
  const key = cli(bin, dataDir, ['apikey', 'add', 'cong-thong-tin']);
  cli(bin, dataDir, ['user', 'add', 'thu-ky', '--role', 'secretary', '--display-name', 'Trần Thị B'], 'mat-khau-thu-ky\n');
  cli(bin, dataDir, ['user', 'add', 'chu-toa', '--role', 'chair', '--display-name', 'Nguyễn Văn A'], 'mat-khau-chu-toa\n');
  const server = await h.startServer({ dataDir, config: `[auth]\njwt_secret = ${SECRET}\n[rooms]\nend_grace = 1\n[room:${ROOM}]\ntitle = Sở Nội vụ\n` });
  const browser = await h.launchBrowser();
  const diag = [];
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const res = await fetch(`${server.url}/api/v1/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Giao ban tháng 12', room: ROOM, starts: Math.floor(Date.now() / 1000),
      agenda: ['Tình hình kinh tế', 'Công tác cán bộ'], invited: [{ name: 'Lê Văn C', site: 'Xã Hải Phú' }],
      sites: ['Xã Hải Phú'],
    }),
  });
  assert.equal(res.status, 201);
  const meeting = (await res.json()).id;

  const person = async (name, password, label) => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const login = await ctx.request.post(`${server.url}/api/login`, { data: { name, password } });
    assert.equal(login.status(), 200);
    const page = await ctx.newPage();
    h.recordPage(page, label, diag);
    return page;
  };
  const sec = await person('thu-ky', 'mat-khau-thu-ky', 'secretary');
  const chair = await person('chu-toa', 'mat-khau-chu-toa', 'chair');
  try {
    for (const page of [chair, sec]) {
      await page.goto(`${server.url}/?room=${ROOM}&name=x&q=low`);
      await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'), { timeout: 30000, message: 'joined' });
    }
    assert.equal(await sec.evaluate(() => window.hoinghi.state().role), 'secretary');

    // --- the panel: agenda items of the scheduled meeting; an opinion and a conclusion under 2 ---
    await sec.click('#panel-minutes');
    await sec.locator('#minutes-form').waitFor({ state: 'visible', timeout: 15000 });
    assert.deepEqual(await sec.locator('#minutes-item option').allInnerTexts(),
      ['1. Tình hình kinh tế', '2. Công tác cán bộ', 'Nội dung khác']);
    await sec.selectOption('#minutes-item', '2');
    await sec.fill('#minutes-who', 'Lê Văn C');
    await sec.fill('#minutes-text', 'Đề nghị bổ sung hai biên chế');
    await sec.click('#minutes-add');
    await sec.selectOption('#minutes-kind', 'conclusion');
    await sec.fill('#minutes-text', 'Giao Sở Nội vụ tham mưu');
    await sec.click('#minutes-add');
    const item2 = sec.locator('.minutes-item[data-n="2"]');
    await item2.locator('.minutes-note.conclusion').waitFor({ timeout: 15000 });
    assert.equal(await item2.locator('.minutes-note.opinion .minutes-text').innerText(), 'Đề nghị bổ sung hai biên chế');
    assert.equal(await item2.locator('.minutes-note.opinion .minutes-who').innerText(), 'Lê Văn C: ');
    await h.screenshot(sec, 'minutes-panel');
    // the chair also keeps the minutes: the panel shows it the secretary's notes
    await chair.click('#panel-minutes');
    await chair.locator('.minutes-item[data-n="2"] .minutes-note.conclusion').waitFor({ timeout: 15000 });

    // --- the meeting ends: everyone leaves, end_grace later the draft exists ---
    for (const page of [sec, chair]) await page.goto('about:blank');
    await sec.goto(`${server.url}/minutes.html?meeting=${meeting}`);
    await h.waitFor(async () => {
      if ((await sec.locator('#mp-version').getAttribute('data-version')) === '1') return true;
      await sec.reload();
      return false;
    }, { timeout: 20000, interval: 1000, message: 'draft v1' });
    const doc = sec.frameLocator('#mp-doc');
    const draftItem2 = doc.locator('.agenda-item[data-n="2"]');
    await draftItem2.locator('.opinions li').waitFor({ timeout: 10000 });
    assert.equal(await draftItem2.locator('.opinions li').innerText(), 'Lê Văn C: Đề nghị bổ sung hai biên chế');
    assert.equal(await draftItem2.locator('.conclusions li').innerText(), 'Giao Sở Nội vụ tham mưu');
    assert.ok(await sec.locator('#mp-approve').isHidden(), 'the secretary does not approve');

    // --- the secretary edits the opinion: version 2 ---
    await sec.click('#mp-edit');
    await sec.fill('.mp-item[data-n="2"] .mp-opinions', 'Lê Văn C: Đề nghị bổ sung ba biên chế');
    await sec.click('#mp-save');
    await sec.locator('#mp-version[data-version="2"]').waitFor({ timeout: 15000 });
    await doc.locator('.agenda-item[data-n="2"] .opinions li', { hasText: 'ba biên chế' }).waitFor({ timeout: 10000 });

    // --- the chair approves ---
    await chair.goto(`${server.url}/minutes.html?meeting=${meeting}`);
    await chair.locator('#mp-approve').waitFor({ state: 'visible', timeout: 15000 });
    await chair.click('#mp-approve');
    await chair.locator('#mp-version[data-state="approved"]').waitFor({ timeout: 15000 });
    assert.equal(await chair.locator('#mp-version').getAttribute('data-version'), '2');
    await chair.frameLocator('#mp-doc').locator('.agenda-item[data-n="2"] .opinions li', { hasText: 'ba biên chế' }).waitFor({ timeout: 10000 });
    assert.equal(await chair.frameLocator('#mp-doc').locator('.draft').count(), 0, 'no draft banner once approved');
    // the approved version's minutes.pdf (unsigned: this server has no [minutes] p12) to download
    await chair.locator('#mp-pdf').waitFor({ state: 'visible', timeout: 20000 });
    const pdf = await chair.request.get(`${server.url}${await chair.locator('#mp-pdf').getAttribute('href')}`);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
    await h.screenshot(chair, 'minutes-draft');
  } catch (err) {
    for (const [label, page] of [['secretary', sec], ['chair', chair]]) diag.push(`--- ${label} log\n${await h.pageLog(page)}`);
    console.error(diag.join('\n'));
    console.error(server.log());
    throw err;
  }
});
