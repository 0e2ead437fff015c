'use strict';
// ICE restart: a network change breaks a viewer's media path (nftables drops every UDP datagram
// to and from the port its `sub` connection uses, and the publisher's `pub` port too). The
// client restarts ICE by itself (`restart-ice` for `sub`, an iceRestart offer for `pub`), from new
// local ports, and video resumes in the same session: same participant ids, no rejoin.
// Needs root for nft (the rules live in a table of their own, removed at the end).

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness.js');

function nft(...args) {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function haveNft() {
  if (process.getuid && process.getuid() !== 0) return false;
  try {
    nft('list', 'tables');
    return true;
  } catch {
    return false;
  }
}

/** The local UDP port of a "udp 127.0.0.1:PORT host" candidate description. */
const portOf = (desc) => Number(/:(\d+) /.exec(desc || '')?.[1] || 0);

test('a viewer whose path breaks restarts ICE and gets video back without rejoining', {
  timeout: 90000, // about 30 s alone; more on a loaded machine
  skip: h.external() || !haveNft() ? 'needs a local server and nft as root' : false,
}, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const table = `hn_reconnect_${process.pid}`;
  const diag = [];
  const pages = {};
  t.after(async () => {
    try {
      nft('delete', 'table', 'inet', table);
    } catch {
      /* not created */
    }
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `e2e-reconnect-${process.pid}-${Date.now()}`;
  try {
    for (const key of ['pub', 'view']) {
      const ctx = await browser.newContext({ viewport: { width: 640, height: 480 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      pages[key] = page;
    }
    const frames = async () => {
      const s = await h.snapshot(pages.view);
      const p = s.stats.participants[0];
      return { n: p ? p.videoFramesDecoded : 0, s };
    };
    const before = await h.waitFor(async () => {
      const f = await frames();
      return f.n > 20 && f.s.stats.sub && f.s.stats.sub.local ? f : null;
    }, { timeout: 30000, message: 'the viewer decodes video' });
    const pubStats = await h.snapshot(pages.pub);
    const viewId = before.s.state.id;
    const pubId = pubStats.state.id;
    // Every local port of the viewer's `sub` and of the publisher's `pub` (one per interface:
    // the browser would otherwise just move to another pair), from the candidates they sent.
    const candPorts = async (page, pc) => (await page.evaluate(() => window.hoinghi.log()))
      .filter((e) => e.dir === 'out' && e.type === 'candidate' && e.pc === pc && e.candidate)
      .map((e) => Number(e.candidate.split(' ')[5]));
    const ports = [...new Set([...await candPorts(pages.view, 'sub'), ...await candPorts(pages.pub, 'pub')])];
    assert.ok(ports.includes(portOf(before.s.stats.sub.local)), `the viewer's path is among ${ports}`);

    // The network change: nothing more reaches or leaves those two ports.
    nft('add', 'table', 'inet', table);
    for (const hook of ['input', 'output']) {
      nft('add', 'chain', 'inet', table, hook, `{ type filter hook ${hook} priority -5 ; }`);
      for (const p of ports) {
        nft('add', 'rule', 'inet', table, hook, 'udp', 'sport', String(p), 'drop');
        nft('add', 'rule', 'inet', table, hook, 'udp', 'dport', String(p), 'drop');
      }
    }
    const cut = await frames();
    // The client notices (ICE disconnected for 2 s), says so (the notice may be up only for
    // the moment the restart takes: the log says it was), and restarts ICE.
    await h.waitFor(async () => (await pages.view.evaluate(() => window.hoinghi.log()))
      .some((e) => e.dir === 'ice' && e.phase === 'restarting'),
    { timeout: 20000, message: 'the viewer restarts ICE' });
    // Video comes back in the same session.
    const after = await h.waitFor(async () => {
      const f = await frames();
      return f.n > cut.n + 30 ? f : null;
    }, { timeout: 30000, message: 'video resumes after the ICE restart' });
    assert.equal(after.s.state.id, viewId, 'the viewer kept its participant id');
    assert.equal((await h.snapshot(pages.pub)).state.id, pubId, 'the publisher kept its participant id');
    assert.equal(after.s.state.reconnectAttempts, 0, 'no rejoin');
    assert.ok(!ports.includes(portOf(after.s.stats.sub.local)), 'the viewer is on a new local port');
    const viewLog = await pages.view.evaluate(() => window.hoinghi.log());
    assert.ok(viewLog.some((e) => e.dir === 'out' && e.type === 'restart-ice'), 'the viewer sent restart-ice');
    assert.equal(viewLog.filter((e) => e.dir === 'out' && e.type === 'join').length, 1, 'joined once');
    await h.waitFor(async () => pages.view.evaluate(() => !document.querySelector('[data-notice="ice"]')),
      { timeout: 10000, message: 'the notice goes' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const total = (name) => metrics.split('\n').filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.ok(total('hoinghi_ice_restarts_total') >= 2, 'both restarts counted (pub re-offer, restart-ice)');
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key])}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n'));
    throw err;
  }
});
