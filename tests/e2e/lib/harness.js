'use strict';
// Shared set-up for the browser tests: start the hoinghi server on a free port (or use
// HOINGHI_URL), launch Debian's Chromium through playwright-core, poll pages, and collect
// diagnostics to print when a test fails.
//
// Environment:
//   HOINGHI_URL   use this running server instead of starting one (e.g. http://127.0.0.1:8080)
//   HOINGHI_BIN   server binary (default: build/server/hoinghi under the repository root)
//   CHROMIUM      browser binary (default /usr/bin/chromium)
//   E2E_HEADFUL=1 show the browser windows (needs a display)

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const REPO = path.resolve(__dirname, '..', '..', '..');

// Chromium keeps only the LAST --disable-features switch, and playwright-core passes its own.
// So repeat playwright-core 1.65.1's list (chromiumSwitches.ts, `disabledFeatures`) and append
// ours; update this list together with the version pinned in tests/package.json.
const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'TcpPortRandomizationWin',
  'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'msForceBrowserSignIn', 'msEdgeUpdateLaunchServicesPreferredVersion',
];

/** Chromium switches: fake camera and microphone, no permission prompt, loopback ICE
 *  candidates, and no mDNS masking of host candidates. */
function chromiumArgs() {
  return [
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
    // Without it Chromium gathers no 127.0.0.1 candidate, and a lo-only host cannot connect.
    '--allow-loopback-in-peer-connection',
    '--disable-features=' + [...PLAYWRIGHT_DISABLED_FEATURES, 'WebRtcHideLocalIpsWithMdns'].join(','),
  ];
}

/** Launches Chromium (headless unless E2E_HEADFUL=1), with `extraArgs` switches added;
 *  `executablePath` replaces the browser binary (e.g. a wrapper that runs it in a namespace). */
async function launchBrowser({ extraArgs = [], executablePath = null } = {}) {
  const headless = process.env.E2E_HEADFUL !== '1';
  const args = [...chromiumArgs(), ...extraArgs];
  return chromium.launch({
    executablePath: executablePath || process.env.CHROMIUM || '/usr/bin/chromium',
    headless,
    args: headless ? ['--headless=new', ...args] : args,
  });
}

/** Launches Debian's Firefox ESR headless through puppeteer-core (WebDriver BiDi; no browser
 *  download): fake camera and microphone without a prompt, loopback ICE candidates, host
 *  addresses not hidden. Pages have the same evaluate/on('console') API as playwright's. */
async function launchFirefox(extraPrefs = {}) {
  const puppeteer = require('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
    headless: process.env.E2E_HEADFUL !== '1',
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.peerconnection.ice.loopback': true,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'media.autoplay.default': 0, // allowed: remote audio plays without a click
      ...extraPrefs,
    },
  });
}

/** Saves what `page` shows as docs/screenshots/NAME.png (docs/client.md shows them); a failure
 *  to write is reported, never fatal. */
async function screenshot(page, name) {
  const dir = path.join(REPO, 'docs', 'screenshots');
  try {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`) });
  } catch (err) {
    console.log(`# screenshot ${name}: ${err.message}`);
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` (sync or async) until it returns a truthy value; returns that value. On timeout
 *  throws an Error with `message` and the last value or error seen. */
async function waitFor(fn, { timeout = 30000, interval = 500, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.stack : JSON.stringify(last, null, 1);
      throw new Error(`timed out after ${timeout} ms waiting for ${message}; last: ${seen}`);
    }
    await sleep(interval);
  }
}

async function healthy(url) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** True when the tests use an external server (HOINGHI_URL) that they cannot configure or restart. */
const external = () => !!process.env.HOINGHI_URL;

/**
 * Starts the server (or adopts HOINGHI_URL). Options: `config` (INI text, passed with --config),
 * `port` and `dataDir` (to restart a server where the previous one was). Returns
 * {url, port, dataDir, stop({keepData}), log()} where log() is the tail of the server's output.
 * stop() kills only the process started here, by its PID.
 */
async function startServer({ config = null, port = 0, dataDir = null } = {}) {
  if (external()) {
    const url = process.env.HOINGHI_URL.replace(/\/+$/, '');
    await waitFor(() => healthy(url), { timeout: 10000, message: `${url}/healthz` });
    return { url, port: Number(new URL(url).port), dataDir: null, stop: async () => {}, log: () => '(external server: no log)' };
  }
  const bin = path.resolve(REPO, process.env.HOINGHI_BIN || 'build/server/hoinghi');
  if (!fs.existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: build it (meson/ninja) or set HOINGHI_BIN or HOINGHI_URL`);
  }
  port = port || (await freePort());
  dataDir = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];
  if (config !== null) {
    const file = path.join(dataDir, 'e2e.conf');
    fs.writeFileSync(file, config);
    args.push('--config', file);
  }
  const proc = spawn(bin, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const stop = async ({ keepData = false } = {}) => {
    if (!exited) {
      proc.kill('SIGTERM');
      const done = await Promise.race([exitPromise, sleep(5000).then(() => null)]);
      if (!done) {
        proc.kill('SIGKILL');
        await exitPromise;
      }
    }
    if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}):\n${output}`);
      return healthy(url);
    }, { timeout: 20000, interval: 200, message: `${url}/healthz` });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dataDir, pid: proc.pid, stop, log: () => output, exited: () => exited };
}

/** A join token (HS256 JWT, docs/security.md) with `claims`, signed with `secret`. */
function mintToken(secret, claims) {
  const b64url = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = b64url(crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest());
  return `${head}.${body}.${sig}`;
}

/** Records a page's console messages and uncaught errors for the failure report. */
function recordPage(page, label, sink) {
  page.on('console', (m) => sink.push(`[${label} console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => sink.push(`[${label} pageerror] ${e.message}`));
  page.on('crash', () => sink.push(`[${label}] page crashed`));
}

/** Snapshot of one meeting page: tiles (with what their <video> shows), state and stats. */
async function snapshot(page) {
  return page.evaluate(async () => {
    const tiles = [...document.querySelectorAll('.tile.remote')].map((el) => {
      const v = el.querySelector('video');
      const s = v && v.srcObject;
      return {
        id: el.dataset.participantId,
        name: el.dataset.name,
        videoWidth: v ? v.videoWidth : 0,
        audioTracks: s ? s.getAudioTracks().length : 0,
        videoTracks: s ? s.getVideoTracks().length : 0,
        hasVideo: el.classList.contains('has-video'),
      };
    });
    return { tiles, state: window.hoinghi.state(), stats: await window.hoinghi.stats() };
  });
}

/** The protocol log a page kept (window.hoinghi.log()), or the reason it is unavailable. */
async function pageLog(page) {
  try {
    if (page.isClosed()) return '(page closed)';
    const entries = await page.evaluate(() => (window.hoinghi ? window.hoinghi.log() : []));
    return entries.map((e) => JSON.stringify(e).slice(0, 600)).join('\n');
  } catch (err) {
    return `(no log: ${err.message})`;
  }
}

module.exports = {
  REPO,
  mintToken,
  external,
  chromiumArgs,
  launchBrowser,
  launchFirefox,
  screenshot,
  startServer,
  freePort,
  waitFor,
  sleep,
  recordPage,
  snapshot,
  pageLog,
};
