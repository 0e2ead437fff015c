'use strict';
// Moderation in three Chromium pages of one browser: the chair (the first to join an open room)
// mutes a participant from the participants panel; at the third participant that person's
// inbound audio bytes stop growing within 1 s and the tile shows muted; the muted person's mic
// button is disabled and a raw `state {audio:true}` is refused until the chair allows it; raised
// hands appear in the chair's list in order.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

const MEDIA_TIMEOUT = 60000;

const evalOn = (page, fn, arg) => page.evaluate(fn, arg);
const audioBytes = async (page, id) => {
  const s = await page.evaluate(() => window.hoinghi.stats());
  const p = s.participants.find((x) => x.id === id);
  return p ? p.audioBytesReceived : 0;
};
const logHas = (page, pred) => page.evaluate((src) => {
  const f = new Function('m', `return (${src})(m)`); // eslint-disable-line no-new-func
  return window.hoinghi.log().some((m) => m.dir === 'in' && f(m));
}, pred.toString());

test('the chair mutes, the muted cannot unmute until allowed, hands queue in order', { timeout: 180000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const diag = [];
  const pages = {};
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `e2e-mod-${process.pid}-${Date.now()}`;
  try {
    const open = async (key) => {
      const ctx = await browser.newContext({ viewport: { width: 640, height: 400 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      const st = await h.waitFor(async () => {
        const s = await evalOn(page, () => window.hoinghi.state());
        return s.phase === 'joined' && s.id ? s : null;
      }, { timeout: 60000, message: `${key} joined` });
      pages[key] = { page, id: st.id, role: st.role };
    };
    await open('chair'); // first: the chair of this open room
    await Promise.all([open('ana'), open('bao')]);
    assert.equal(pages.chair.role, 'chair', 'the first to join an open room chairs it');
    assert.equal(pages.ana.role, 'member');
    const { chair, ana, bao } = pages;

    // Bảo hears Ana.
    await h.waitFor(async () => {
      const a = await audioBytes(bao.page, ana.id);
      await new Promise((r) => setTimeout(r, 500));
      return (await audioBytes(bao.page, ana.id)) > a;
    }, { timeout: MEDIA_TIMEOUT, message: 'Bảo receives Ana\'s audio' });

    // The chair mutes Ana from the participants panel.
    await chair.page.click('#panel-participants');
    const muteBtn = `li[data-participant-id="${ana.id}"] button[data-action="mod.mute"]`;
    await chair.page.waitForSelector(muteBtn, { timeout: 10000 });
    await chair.page.click(muteBtn);
    await h.waitFor(() => logHas(bao.page, (m) => m.type === 'participant-updated' && m.participant.audio_locked),
      { timeout: 10000, message: 'Bảo is told Ana is muted' });
    await new Promise((r) => setTimeout(r, 1000)); // within 1 s forwarding stopped
    const before = await audioBytes(bao.page, ana.id);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await audioBytes(bao.page, ana.id);
    assert.equal(after, before, `Ana's audio at Bảo stopped growing (${before} -> ${after})`);
    const badge = await evalOn(bao.page, (id) => {
      const b = document.querySelector(`.tile.remote[data-participant-id="${id}"] .badge.mic-off`);
      return !!b && !b.hidden;
    }, ana.id);
    assert.ok(badge, 'Ana\'s tile at Bảo shows muted');

    // Ana cannot unmute: the button is disabled and a raw state is refused.
    await h.waitFor(() => evalOn(ana.page, () => document.getElementById('mic').disabled),
      { timeout: 5000, message: 'Ana\'s mic button disabled' });
    await evalOn(ana.page, () => window.hoinghi.send({ type: 'state', audio: true, id: 'raw' }));
    await h.waitFor(() => logHas(ana.page, (m) => m.type === 'error' && m.code === 'forbidden' && m.id === 'raw'),
      { timeout: 5000, message: 'raw unmute refused' });
    // Until the chair allows it.
    await chair.page.click(`li[data-participant-id="${ana.id}"] button[data-action="mod.askUnmute"]`);
    await h.waitFor(() => evalOn(ana.page, () => !document.getElementById('mic').disabled),
      { timeout: 5000, message: 'Ana\'s mic button enabled again' });
    await ana.page.click('[data-notice="unmute-request"] button'); // accept the chair's request
    await h.waitFor(async () => {
      const a = await audioBytes(bao.page, ana.id);
      await new Promise((r) => setTimeout(r, 500));
      return (await audioBytes(bao.page, ana.id)) > a;
    }, { timeout: 15000, message: 'Ana heard again' });

    // Hands: Bảo then Ana; the chair's list shows them in that order.
    await bao.page.click('#hand');
    await h.waitFor(() => logHas(chair.page, (m) => m.type === 'participant-updated' && m.participant.hand === 1),
      { timeout: 5000, message: 'first hand' });
    await ana.page.click('#hand');
    const order = await h.waitFor(async () => {
      const rows = await evalOn(chair.page, () => [...document.querySelectorAll('#participants li.person')]
        .filter((li) => li.querySelector('.hand')).map((li) => li.dataset.participantId));
      return rows.length === 2 ? rows : null;
    }, { timeout: 5000, message: 'two hands in the chair\'s list' });
    assert.deepEqual(order, [bao.id, ana.id]);
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key].page)}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n').slice(-20000));
    throw err;
  }
});
