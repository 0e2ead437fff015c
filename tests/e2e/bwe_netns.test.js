'use strict';
// The downlink estimate on a rate-capped link: hoinghi runs in a network namespace of its own
// (created and removed here) joined to the host by one veth pair whose server end is capped at
// 500 kbit/s (tc tbf), so everything the server sends (each participant's downlink) shares
// 500 kbit/s while uplinks are free. Two Chromium participants on the host publish their fake
// cameras to each other; each one's estimate (the `link` message, source twcc) must fall below
// 700 kbit/s. Needs root (ip netns, tc); skipped otherwise.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');

const NS = `hnbwe${process.pid % 100000}`;
const IF_NS = `hnbws${process.pid % 100000}`;
const IF_HOST = `hnbwh${process.pid % 100000}`;
const SRV_IP = '10.81.0.1';
const HOST_IP = '10.81.0.2';
const RATE = '500kbit';

function run(cmd, args, check = true) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 }).toString();
  } catch (err) {
    if (check) throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr ? err.stderr.toString() : err}`);
    return null;
  }
}

function removeNetns() {
  run('ip', ['netns', 'del', NS], false); // removes the ns end of the pair, and with it the host end
  run('ip', ['link', 'del', 'dev', IF_HOST], false);
}

function createNetns() {
  removeNetns();
  run('ip', ['netns', 'add', NS]);
  run('ip', ['link', 'add', IF_HOST, 'type', 'veth', 'peer', 'name', IF_NS]);
  run('ip', ['link', 'set', IF_NS, 'netns', NS]);
  // No IPv6 on the pair: a link-local address appearing a second after `up` is a network change
  // to Chromium, which then aborts the page's loads (net::ERR_NETWORK_CHANGED).
  run('sysctl', ['-q', '-w', `net.ipv6.conf.${IF_HOST}.disable_ipv6=1`], false);
  run('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', `net.ipv6.conf.${IF_NS}.disable_ipv6=1`], false);
  run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', IF_HOST]);
  run('ip', ['link', 'set', IF_HOST, 'up']);
  run('ip', ['-n', NS, 'addr', 'add', `${SRV_IP}/24`, 'dev', IF_NS]);
  run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', NS, 'link', 'set', IF_NS, 'up']);
  // the server's egress: every participant's downlink
  run('ip', ['netns', 'exec', NS, 'tc', 'qdisc', 'add', 'dev', IF_NS, 'root', 'tbf', 'rate', RATE,
    'burst', '8kb', 'latency', '150ms']);
}

function unavailable() {
  if (h.external()) return 'needs its own server in a namespace (HOINGHI_URL is set)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (ip netns, tc)';
  if (run('ip', ['netns', 'list'], false) === null) return 'no ip netns';
  return false;
}

async function startServer(bin, dataDir) {
  const port = 18000 + (process.pid % 1000);
  const url = `http://${SRV_IP}:${port}`;
  // plain HTTP on the namespace's own address: allowed only by insecure_http
  const conf = path.join(dataDir, 'bwe.conf');
  fs.writeFileSync(conf, '[server]\ninsecure_http = true\n');
  const proc = spawn('ip', ['netns', 'exec', NS, bin, '--config', conf, '--listen', `${SRV_IP}:${port}`,
    '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c) => { output = (output + c.toString()).slice(-64 * 1024); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(exited = { code, signal })));
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      if (!(await Promise.race([exit, h.sleep(5000).then(() => null)]))) {
        proc.kill('SIGKILL');
        await exit;
      }
    }
  };
  await h.waitFor(async () => {
    if (exited) throw new Error(`server exited (${JSON.stringify(exited)}):\n${output}`);
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  }, { timeout: 20000, interval: 200, message: `${url}/healthz` });
  return { url, stop, log: () => output };
}

test('the downlink estimate falls below 700 kbit/s on a 500 kbit/s link', { timeout: 150000, skip: unavailable() }, async (t) => {
  const bin = path.resolve(h.REPO, process.env.HOINGHI_BIN || 'build/server/hoinghi');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bwe-netns-'));
  const diag = [];
  const pages = {};
  let server = null;
  let browser = null;
  t.after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    removeNetns();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  createNetns();
  server = await startServer(bin, dataDir);
  browser = await h.launchBrowser({ extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] });
  try {
    for (const key of ['a', 'b']) {
      const ctx = await browser.newContext({ viewport: { width: 800, height: 500 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      pages[key] = page;
      // a load that a network change still aborted is retried (the meeting never started)
      await h.waitFor(async () => {
        await page.goto(`${server.url}/?room=bwe&name=${key}`, { waitUntil: 'load' }).catch(() => {});
        return page.evaluate(() => !!window.hoinghi).catch(() => false);
      }, { timeout: 40000, interval: 1000, message: `${key}: the meeting page loaded` });
    }
    for (const key of Object.keys(pages)) {
      const low = await h.waitFor(async () => {
        const s = await pages[key].evaluate(() => window.hoinghi.state());
        return s.link && s.link.source === 'twcc' && s.link.bps < 700000 ? s.link : null;
      }, { timeout: 60000, interval: 500, message: `${key}: a twcc estimate below 700 kbit/s` });
      const log = await pages[key].evaluate(() => window.hoinghi.log());
      const seen = log.filter((e) => e.dir === 'in' && e.type === 'link').map((e) => Math.round(e.bps / 1000));
      t.diagnostic(`${key}: estimates (kbit/s, every 2 s): ${seen.join(' ')}; loss ${low.loss.toFixed(2)}`);
    }
    // /metrics over the capped link: only once the browsers are gone (the media would crowd the
    // reply out of the 500 kbit/s), retried.
    await browser.close().catch(() => {});
    browser = null;
    const metrics = await h.waitFor(async () => {
      try {
        return await (await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10000) })).text();
      } catch {
        return null;
      }
    }, { timeout: 40000, interval: 1000, message: '/metrics' });
    const total = (name) => metrics.split('\n').filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.ok(total('hoinghi_twcc_feedback_in_total') > 0, 'feedback counted');
    assert.equal(total('hoinghi_twcc_feedback_malformed_total'), 0, 'none malformed');
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key])}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n'));
    throw err;
  }
});
