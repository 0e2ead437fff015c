'use strict';
// Commune links for the browser tests and scripts/bench-links: three network namespaces the
// caller creates and removes, a server namespace and two client namespaces (publisher and
// viewer), each client joined to the server namespace by its own link:
//
//   PREFIX-pub  10.N.1.2 --- 10.N.1.1  PREFIX-srv  10.N.2.1 --- 10.N.2.2  PREFIX-view
//
// The server listens (HTTP and media) on 10.N.1.1; the viewer reaches it through its own link
// (default route via 10.N.2.1; a packet for any of the server namespace's addresses is
// delivered locally, nothing is forwarded). Every address lives inside these namespaces:
// the root namespace and the machine's own interfaces are never touched.
//
// A link is a veth pair, or, when a delay is asked for, a pair of TUN devices joined by
// delaylink.py (a user-space relay that holds each packet DELAY ms: this kernel has no netem).
// On top of a link: random loss of UDP packets in both directions (nftables `numgen random`
// in the client namespace), and a rate cap (`tc tbf`) on both ends.
//
// Needs root (ip, nft, tc, /dev/net/tun). available() says why not, for test skips.

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command; resolves {code, stdout, stderr}; rejects when `check` and it fails. */
function run(cmd, args, { check = true, timeout = 20000, input = null } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (check && code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || (err && err.message) || '').trim()}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    });
    if (input !== null) child.stdin.end(input);
  });
}

/** null when namespaces can be used here, else the reason (for `skip`). */
function available() {
  if (process.getuid && process.getuid() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['/usr/sbin/ip', '/usr/sbin/nft', '/usr/sbin/tc']) {
    if (!fs.existsSync(tool)) return `${tool} missing`;
  }
  if (!fs.existsSync('/dev/net/tun')) return '/dev/net/tun missing';
  return null;
}

const exec = (ns, cmd, args, opts) => run('ip', ['netns', 'exec', ns, cmd, ...args], opts);

async function namespaces() {
  const r = await run('ip', ['netns', 'list'], { check: false });
  return new Set(r.stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean));
}

/**
 * Creates the three namespaces and both links. Options: `prefix` (names; at most 8 characters),
 * `net` (second octet of the 10.x addresses), `delayMs` (one-way delay on each client link, so
 * the round trip client-server is 2 * delayMs; 0: plain veth). Removes leftovers of an earlier
 * run with the same prefix first. Returns a Topology.
 */
async function create({ prefix = 'hnl', net = 78, delayMs = 0 } = {}) {
  if (prefix.length > 8) throw new Error('netns prefix: at most 8 characters');
  const t = new Topology(prefix, net, delayMs);
  await t.remove();
  try {
    for (const ns of Object.values(t.ns)) {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    for (const side of ['pub', 'view']) await t._link(side);
  } catch (err) {
    await t.remove();
    throw err;
  }
  return t;
}

class Topology {
  constructor(prefix, net, delayMs) {
    this.prefix = prefix;
    this.delayMs = delayMs;
    this.ns = { srv: `${prefix}-srv`, pub: `${prefix}-pub`, view: `${prefix}-view` };
    const sub = { pub: 1, view: 2 };
    this.links = {};
    for (const side of ['pub', 'view']) {
      this.links[side] = {
        srvIf: `${prefix}-${side[0]}s`, // end in the server namespace
        cliIf: `${prefix}-${side[0]}c`, // end in the client namespace
        srvIp: `10.${net}.${sub[side]}.1`,
        cliIp: `10.${net}.${sub[side]}.2`,
      };
    }
    this.serverIp = this.links.pub.srvIp;
    this.relays = [];
    this.loss = { pub: 0, view: 0 };
    this.rateKbit = { pub: 0, view: 0 };
  }

  async _link(side) {
    const l = this.links[side];
    const cli = this.ns[side];
    const srv = this.ns.srv;
    if (this.delayMs > 0) {
      const relay = spawn('/usr/bin/python3', [path.join(__dirname, 'delaylink.py'), srv, l.srvIf, cli, l.cliIf, String(this.delayMs)],
        { stdio: ['pipe', 'pipe', 'pipe'] });
      this.relays.push(relay);
      let err = '';
      relay.stderr.on('data', (d) => { err = (err + d).slice(-4096); });
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`delaylink: not ready in 10 s: ${err}`)), 10000);
        relay.stdout.once('data', () => { clearTimeout(timer); resolve(); });
        relay.once('exit', (code) => { clearTimeout(timer); reject(new Error(`delaylink exited (${code}): ${err}`)); });
      });
      // TUN devices are point-to-point: the /24 on each end routes the subnet through it.
      await run('ip', ['-n', srv, 'addr', 'add', `${l.srvIp}/24`, 'dev', l.srvIf]);
      await run('ip', ['-n', cli, 'addr', 'add', `${l.cliIp}/24`, 'dev', l.cliIf]);
    } else {
      await run('ip', ['link', 'add', l.srvIf, 'netns', srv, 'type', 'veth', 'peer', 'name', l.cliIf, 'netns', cli]);
      await run('ip', ['-n', srv, 'addr', 'add', `${l.srvIp}/24`, 'dev', l.srvIf]);
      await run('ip', ['-n', cli, 'addr', 'add', `${l.cliIp}/24`, 'dev', l.cliIf]);
    }
    await run('ip', ['-n', srv, 'link', 'set', l.srvIf, 'up']);
    await run('ip', ['-n', cli, 'link', 'set', l.cliIf, 'up']);
    await run('ip', ['-n', cli, 'route', 'add', 'default', 'via', l.srvIp]);
  }

  /** Drops PCT % of the UDP packets entering and PCT % of those leaving client namespace
   *  `side` ('pub' or 'view'), at random. 0 removes the rule. */
  async setLoss(side, pct) {
    const ns = this.ns[side];
    await exec(ns, 'nft', ['delete', 'table', 'inet', 'hnlinks'], { check: false });
    if (pct > 0) {
      const rule = `meta l4proto udp numgen random mod 100 < ${Math.round(pct)} drop`;
      await exec(ns, 'nft', ['-f', '-'], {
        input: `table inet hnlinks {\n chain in { type filter hook input priority 0; ${rule}; }\n`
          + ` chain out { type filter hook output priority 0; ${rule}; }\n}\n`,
      });
    }
    this.loss[side] = pct;
  }

  /** Caps client link `side` to KBIT kbit/s in each direction (tbf on both ends, 100 ms of
   *  queue, as a small router would). 0 removes the cap. */
  async setRate(side, kbit) {
    const l = this.links[side];
    for (const [ns, dev] of [[this.ns.srv, l.srvIf], [this.ns[side], l.cliIf]]) {
      await exec(ns, 'tc', ['qdisc', 'del', 'dev', dev, 'root'], { check: false });
      if (kbit > 0) {
        const burst = Math.max(4000, Math.round((kbit * 1000) / 8 / 50)); // 20 ms worth, >= a few MTU
        await exec(ns, 'tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`,
          'burst', String(burst), 'latency', '100ms']);
      }
    }
    this.rateKbit[side] = kbit;
  }

  /** Short text for reports: "loss pub 5 % view 5 %, view cap 1000 kbit/s, RTT 200 ms". */
  describe() {
    const parts = [`loss ${this.loss.pub} %/${this.loss.view} % (pub/view, each way)`];
    if (this.rateKbit.view) parts.push(`viewer cap ${this.rateKbit.view} kbit/s`);
    if (this.delayMs) parts.push(`RTT ${2 * this.delayMs} ms`);
    return parts.join(', ');
  }

  /** A shell script that runs Chromium inside client namespace `side` (for playwright-core's
   *  executablePath); written into `dir`. */
  chromiumWrapper(side, dir) {
    const file = path.join(dir, `chromium-${this.ns[side]}`);
    const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
    fs.writeFileSync(file, `#!/bin/sh\nexec /usr/sbin/ip netns exec ${this.ns[side]} ${chromium} "$@"\n`, { mode: 0o755 });
    return file;
  }

  /** GET URL from inside the server namespace (curl); resolves the body or null. */
  async fetchText(url) {
    const r = await exec(this.ns.srv, 'curl', ['-sf', '--max-time', '3', url], { check: false, timeout: 8000 });
    return r.code === 0 ? r.stdout : null;
  }

  /** Removes the namespaces (their links go with them) and stops the delay relays. Safe to
   *  call more than once or on a half-built topology. */
  async remove() {
    for (const relay of this.relays) {
      if (relay.exitCode === null && relay.signalCode === null) {
        const gone = new Promise((r) => relay.once('exit', r));
        relay.kill('SIGTERM');
        await Promise.race([gone, sleep(3000)]);
        if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
      }
    }
    this.relays = [];
    const present = await namespaces();
    for (const ns of Object.values(this.ns)) {
      if (present.has(ns)) await run('ip', ['netns', 'del', ns], { check: false });
    }
  }
}

/**
 * Starts a process inside namespace NS (argv: [cmd, ...args]); its output is kept (last 64 kB)
 * and optionally appended to `logFile`. Returns {proc, log(), stop()}; stop() signals only this
 * process (ip netns exec execs the program, so the PID is the program's).
 */
function startIn(ns, argv, { logFile = null, cwd } = {}) {
  const proc = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let output = '';
  const sink = logFile ? fs.createWriteStream(logFile) : null;
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
    if (sink) sink.write(chunk);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => proc.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      if (!(await Promise.race([exitPromise, sleep(5000).then(() => null)]))) {
        proc.kill('SIGKILL');
        await exitPromise;
      }
    }
    if (sink) sink.end();
  };
  return { proc, log: () => output, exited: () => exited, stop };
}

/**
 * Starts hoinghi in the server namespace of topology T: HTTP and media on T.serverIp:8080, one
 * media worker, rooms created on demand. Waits for /healthz. Returns {url, stop(), log(), dataDir}.
 */
async function startHoinghi(t, { bin, extraConfig = '' } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-links-'));
  const port = 8080;
  const conf = path.join(dataDir, 'links.conf');
  fs.writeFileSync(conf, `[server]\nlisten = ${t.serverIp}:${port}\ninsecure_http = true\nworkers = 1\nlog_level = info\n\n`
    + `[media]\naddresses = ${t.serverIp}\n\n[rooms]\nauto_create = true\n${extraConfig}`);
  const s = startIn(t.ns.srv, [bin, '--config', conf, '--data-dir', dataDir]);
  const url = `http://${t.serverIp}:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (s.exited()) throw new Error(`hoinghi exited at start-up: ${s.log()}`);
    if ((await t.fetchText(`${url}/healthz`)) !== null) break;
    if (Date.now() > deadline) {
      await s.stop();
      throw new Error(`hoinghi: no /healthz in 20 s: ${s.log()}`);
    }
    await sleep(200);
  }
  return {
    url,
    dataDir,
    log: s.log,
    stop: async () => {
      await s.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { available, create, startIn, startHoinghi, run, exec };
