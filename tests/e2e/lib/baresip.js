'use strict';
// baresip (Debian's baresip-core + baresip-ffmpeg) as a room system for the browser tests
// (issue 13): a generated configuration in a temporary directory (the shared template
// tests/integration/sip/baresip.conf), driven over its ctrl_tcp module (netstring JSON):
// dial, hang up, and save the next decoded frame of what it receives (the snapshot module, a
// PNG); the sndfile module dumps what it plays and what it sends as WAV files in that directory.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const MODULES = '/usr/lib/baresip/modules';
const TEMPLATE = path.resolve(__dirname, '..', '..', 'integration', 'sip', 'baresip.conf');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Why baresip cannot run here (a string for node:test's `skip`), or null. */
function missing() {
  const need = ['avcodec.so', 'snapshot.so', 'ctrl_tcp.so', 'sndfile.so', 'ausine.so', 'fakevideo.so'];
  const bin = (process.env.PATH || '/usr/bin').split(':').some((d) => fs.existsSync(path.join(d, 'baresip')));
  if (!bin) return 'baresip not installed (baresip-core)';
  const gone = need.filter((m) => !fs.existsSync(path.join(MODULES, m)));
  return gone.length ? `baresip modules missing: ${gone.join(', ')} (baresip-core, baresip-ffmpeg)` : null;
}

/** Sends one ctrl_tcp command and returns its parsed JSON answer. */
function command(port, cmd, params = '') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const body = JSON.stringify({ command: cmd, params, token: String(Date.now()) });
    let buf = '';
    const done = (fn, v) => { sock.destroy(); fn(v); };
    sock.setTimeout(5000, () => done(reject, new Error(`baresip ctrl ${cmd}: no answer`)));
    sock.on('error', (e) => done(reject, e));
    sock.on('connect', () => sock.write(`${Buffer.byteLength(body)}:${body},`));
    sock.on('data', (c) => {
      buf += c.toString();
      const m = /^(\d+):/.exec(buf);
      if (!m) return;
      const len = Number(m[1]);
      const start = m[0].length;
      if (Buffer.byteLength(buf) < start + len + 1) return;
      try {
        done(resolve, JSON.parse(buf.slice(start, start + len)));
      } catch (e) {
        done(reject, e);
      }
    });
  });
}

/**
 * Starts baresip. Options: `sipPort`, `ctrlPort` (free ports), `tone` (Hz of its sine source),
 * `name` and `user` (its From), `config` (lines appended). Returns {dir, dial(uri), hangup(),
 * snapshot() -> PNG Buffer or null, decodedWav() -> path or null, established(), log(), stop()}.
 * stop() asks it to quit, kills only its own PID if it does not, and removes the directory.
 */
async function startBaresip({ sipPort, ctrlPort, tone = 1500, name = 'Baresip hall', user = 'hall-baresip', config = '' }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-baresip-'));
  let conf = fs.readFileSync(TEMPLATE, 'utf8').replace('%(port)d', String(sipPort)).split('%(dir)s').join(dir);
  conf = conf.replace(/^audio_source\t.*$/m, `audio_source\tausine,${tone}`);
  conf += `module\tctrl_tcp.so\nctrl_tcp_listen\t127.0.0.1:${ctrlPort}\nmodule\tsnapshot.so\n` +
    `module\tsndfile.so\nsnd_path\t${dir}\n${config}`;
  fs.writeFileSync(path.join(dir, 'config'), conf);
  fs.writeFileSync(path.join(dir, 'accounts'), `"${name}" <sip:${user}@127.0.0.1>;regint=0\n`);
  const proc = spawn('baresip', ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c) => { output = (output + c.toString()).slice(-64 * 1024); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => proc.on('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  const ctl = (cmd, params) => command(ctrlPort, cmd, params);
  // ctrl_tcp listens once the modules are loaded
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`baresip exited (${JSON.stringify(exited)}):\n${output}`);
    try {
      await ctl('reginfo');
      break;
    } catch (err) {
      if (i > 50) throw new Error(`baresip ctrl_tcp not up: ${err.message}\n${output}`);
      await sleep(100);
    }
  }
  let shot = 0;
  return {
    dir,
    pid: proc.pid,
    log: () => output,
    established: () => output.includes('Call established'),
    dial: (uri) => ctl('dial', uri),
    hangup: () => ctl('hangup'),
    /** The next frame it decodes, as a PNG (snapshot module), or null within 3 s; polls for
     *  the file every `poll` ms. */
    async snapshot(poll = 100) {
      const file = path.join(dir, `rx-${shot++}.png`);
      await ctl('snapshot_recv', file);
      for (let i = 0; i < 3000 / poll; i++) {
        await sleep(poll);
        // written by baresip's thread: complete once its IEND chunk is there
        const png = fs.existsSync(file) ? fs.readFileSync(file) : null;
        if (png && png.length > 12 && png.toString('latin1', png.length - 8, png.length - 4) === 'IEND') return png;
      }
      return null;
    },
    /** The WAV sndfile wrote of what it played (decoded from the call), or null. */
    decodedWav() {
      const f = fs.readdirSync(dir).find((n) => n.endsWith('-dec.wav'));
      return f ? path.join(dir, f) : null;
    },
    async stop({ keepDir = false } = {}) {
      if (!exited) {
        await ctl('quit').catch(() => {});
        await Promise.race([exitPromise, sleep(3000)]);
        if (!exited) {
          proc.kill('SIGKILL');
          await exitPromise;
        }
      }
      if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** {rate, channels, samples: Float32Array of the first channel} of a 16-bit PCM WAV; reads to
 *  the end of the file (a dump cut short has a header that undercounts). */
function readWav(file) {
  const b = fs.readFileSync(file);
  let off = 12;
  let rate = 0;
  let channels = 1;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
    } else if (id === 'data') {
      const end = b.length;
      const n = Math.floor((end - off - 8) / (2 * channels));
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(off + 8 + i * 2 * channels) / 32768;
      return { rate, channels, samples };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Goertzel power of each of `freqs` over `samples` (normalised by the length squared). */
function tonePowers(samples, rate, freqs) {
  return freqs.map((f) => {
    const k = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < samples.length; i++) {
      const s0 = samples[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / Math.max(1, samples.length) ** 2;
  });
}

module.exports = { missing, startBaresip, readWav, tonePowers };
