'use strict';
// The clerks' portal in Chromium: a clerk opens /archive, is sent to /login, logs in and comes
// back; finds a meeting by a participant's name typed without diacritics; plays the composed
// recording (the video's currentTime advances), seeks (it jumps and keeps advancing: the server
// answers HTTP Range), verifies its SHA-256 and downloads it (the download's bytes equal the
// file). The archive folder is real: its meeting.webm (VP8 + Opus) is made by the composer
// (`hoinghi compose` of track files: tests/integration/archive_fixture.py).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

const PASSWORD = 'mat-khau-van-thu-e2e';

test('a clerk finds, plays, seeks, verifies and downloads a recording', { timeout: 45000, skip: h.external() && 'needs its own data dir' }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-archive-'));
  const bin = path.resolve(h.REPO, process.env.HOINGHI_BIN || 'build/server/hoinghi');
  // meeting.webm made by the real composer (`hoinghi compose` of track files): VP8 + Opus
  const fixture = spawnSync('/usr/bin/python3', [path.join(h.REPO, 'tests', 'integration', 'archive_fixture.py'), dataDir],
    { encoding: 'utf-8', timeout: 30000, env: { ...process.env, HOINGHI_BIN: bin } });
  assert.equal(fixture.status, 0, fixture.stderr);
  const made = JSON.parse(fixture.stdout);
  const add = spawnSync(bin, ['--data-dir', dataDir, 'user', 'add', 'van-thu', '--role', 'clerk'],
    { input: `${PASSWORD}\n`, encoding: 'utf-8' });
  assert.equal(add.status, 0, add.stderr);
  const server = await h.startServer({ dataDir });
  const browser = await h.launchBrowser({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/archive`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('#login-name', 'van-thu');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-btn');
  await page.waitForURL((u) => u.pathname === '/archive', { timeout: 20000 });

  // search by a participant's name without diacritics
  await page.fill('input[name=participant]', 'nguyen van anh');
  await page.click('#archive-filter button[type=submit]');
  const rows = page.locator('#archive-table tbody tr');
  await h.waitFor(async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-id')) === '12',
    { timeout: 10000, message: 'the meeting found' });
  assert.match(await rows.first().innerText(), /Giao ban tháng 12/);
  await h.screenshot(page, 'archive-list');

  await rows.first().locator('a').click();
  await page.locator('#archive-meeting').waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await page.locator('#meeting-heading').innerText(), 'Giao ban tháng 12');
  const people = await page.locator('#people-table tbody tr td:first-child').allInnerTexts();
  assert.deepEqual(people, ['Nguyễn Văn Ánh', 'Trần Thị Bình']);

  // play the composed file, then seek
  const video = page.locator('#player');
  assert.match(await video.getAttribute('src'), /\/archive\/files\/12\/meeting\.webm$/);
  await video.evaluate((v) => v.play());
  const time = () => video.evaluate((v) => v.currentTime);
  await h.waitFor(async () => (await time()) > 0.5, { timeout: 15000, message: 'playback advancing' });
  const duration = await video.evaluate((v) => v.duration);
  assert.ok(duration > 7 && duration < 9, `duration ${duration}`);
  await video.evaluate((v) => { v.currentTime = 5; });
  await h.waitFor(async () => (await time()) >= 5, { timeout: 10000, message: 'the seek' });
  const afterSeek = await time();
  await h.waitFor(async () => (await time()) > afterSeek + 0.3, { timeout: 10000, message: 'playing after the seek' });
  assert.ok(await video.evaluate((v) => !v.error), 'no media error');

  // verify on the server
  await page.click('#verify-all');
  const check = page.locator('#files-table tr[data-file="meeting.webm"] .archive-check');
  await h.waitFor(async () => (await check.getAttribute('data-check')) === 'match', { timeout: 15000, message: 'verified' });
  assert.equal(await check.innerText(), 'Khớp');
  await video.evaluate((v) => v.pause());
  await page.evaluate(() => window.scrollTo(0, 0));
  await h.screenshot(page, 'archive-meeting');

  // download it: the bytes are the file's
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 15000 }),
    page.locator('#files-table tr[data-file="meeting.webm"] a').click(),
  ]);
  const saved = await download.path();
  assert.ok(fs.readFileSync(saved).equals(fs.readFileSync(made.composed)), 'the download equals the file');
  assert.equal(download.suggestedFilename(), '12-meeting.webm');

  await page.click('#lang');
  assert.equal(await page.locator('#people-table th:first-child').innerText(), 'Name');
});
