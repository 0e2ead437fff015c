'use strict';
// Commune links: a Chromium publisher and a Chromium viewer, each in its own network namespace
// (created and removed here), meet through hoinghi in a third one. The links get random UDP
// loss in both directions (nftables) and a rate cap on the viewer (tc tbf); from the viewer's
// getStats we assert that video keeps decoding and audio stays intelligible. The same
// machinery, with a delay relay and Janus beside hoinghi, is scripts/bench-links.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');
const netns = require('./lib/netns.js');
const ls = require('./lib/linkstats.js');

const SETTLE_MS = 3000; // after a link change, before measuring
const WINDOW_MS = 12000; // measured per profile

// Profiles run one after the other on the same meeting (the links change under it).
const PROFILES = [
  { name: '0 % loss', loss: 0, rate: 0 },
  { name: '2 % loss each way', loss: 2, rate: 0 },
  { name: '5 % loss each way', loss: 5, rate: 0 },
  { name: '10 % loss each way', loss: 10, rate: 0 },
  { name: 'viewer capped at 1 Mbit/s', loss: 0, rate: 1000 },
  // Longer settling: a bandwidth estimate has to come down and a lower layer's key frame arrive.
  { name: 'viewer capped at 500 kbit/s', loss: 0, rate: 500, settleMs: 8000 },
  // Below the top layer's rate (Chromium's fake camera needs ~350 kbit/s there): the viewer must
  // get a lower layer, not a frozen top one.
  { name: 'viewer capped at 250 kbit/s', loss: 0, rate: 250, settleMs: 8000 },
];

// What the viewer must still see, against the loss-free run of the same meeting. Stated here
// so that a regression is a failure and an improvement shows in the log. The bounds hold
// with NACK/RTX both ways (issue 8); a 2-core machine shared with other work is slow, so
// they leave room (the loss-free run is itself measured on this machine, never a constant).
const BOUNDS = {
  // fps: fraction of the loss-free frame rate; freezeS: most seconds frozen (Chromium's
  // totalFreezesDuration) and stallS: most seconds without a decoded frame, in the 12 s window;
  // concealed: most audio concealed-samples ratio. Without NACK towards the publisher, 2 % loss
  // froze the picture 22 s of 30 (issue 8); with it, 0-1 s here on a loaded machine.
  '2 % loss each way': { fps: 0.6, freezeS: 4, stallS: 3, concealed: 0.10 },
  '5 % loss each way': { fps: 0.5, freezeS: 5, stallS: 4, concealed: 0.15 },
  '10 % loss each way': { fps: 0.3, freezeS: 6, stallS: 6, concealed: 0.25 },
  'viewer capped at 1 Mbit/s': { fps: 0.3, freezeS: 6, stallS: 6, concealed: 0.15 },
  // Caps: enforced only with simulcast. A cap the loss-free video rate does not fit under
  // (with audio and headroom: 80 % of it) must make the viewer receive a lower layer.
  'viewer capped at 500 kbit/s': { fps: 0.3, freezeS: 6, stallS: 6, concealed: 0.15, needsSimulcast: true },
  'viewer capped at 250 kbit/s': { fps: 0.3, freezeS: 6, stallS: 6, concealed: 0.15, needsSimulcast: true },
};

function noDevices() {
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException('Requested device not found', 'NotFoundError');
  };
}

const skip = (h.external() ? 'needs its own server in a namespace (HOINGHI_URL is set)' : netns.available()) || false;

test('video keeps decoding on lossy and rate-capped commune links', { timeout: 240000, skip }, async (t) => {
  const bin = path.resolve(h.REPO, process.env.HOINGHI_BIN || 'build/server/hoinghi');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-links-e2e-'));
  const topo = await netns.create({ prefix: 'hnlt', net: 78 });
  const diag = [];
  let server = null;
  const browsers = [];
  const samplers = [];
  t.after(async () => {
    for (const s of samplers) s.stop();
    for (const b of browsers) await b.close().catch(() => {});
    if (server) await server.stop();
    await topo.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  server = await netns.startHoinghi(topo, { bin });
  const extraArgs = [`--unsafely-treat-insecure-origin-as-secure=${server.url}`];
  const open = async (side, name, init) => {
    const browser = await h.launchBrowser({ extraArgs, executablePath: topo.chromiumWrapper(side, tmp) });
    browsers.push(browser);
    const ctx = await browser.newContext({ viewport: { width: 960, height: 600 } });
    const page = await ctx.newPage();
    h.recordPage(page, side, diag);
    await page.addInitScript(ls.recordPeerConnections);
    if (init) await page.addInitScript(init);
    await page.goto(`${server.url}/?room=links&name=${name}`, { waitUntil: 'domcontentloaded' });
    return page;
  };
  const results = [];
  try {
    const pub = await open('pub', 'pub');
    const view = await open('view', 'view', noDevices); // receive only, as Janus' subscriber
    const vs = ls.sampler(view);
    const ps = ls.sampler(pub);
    samplers.push(vs, ps);
    await h.waitFor(() => {
      const s = vs.latest();
      return s && s.video && s.video.framesDecoded > 30;
    }, { timeout: 60000, message: 'viewer decoding video' });
    for (const p of PROFILES) {
      await topo.setLoss('pub', p.loss);
      await topo.setLoss('view', p.loss);
      await topo.setRate('view', p.rate);
      await h.sleep(p.settleMs || SETTLE_MS);
      const from = Date.now();
      await h.sleep(WINDOW_MS);
      const sum = ls.summarize(vs.samples(), from, Date.now());
      const pubS = ps.latest();
      const simulcast = !!pubS && pubS.outboundVideo > 1;
      results.push({ profile: p, sum, simulcast });
      console.log(`links: ${p.name}: ${ls.format(sum)}; publisher sends ${pubS ? pubS.outboundVideo : '?'} video encoding(s)`);
    }
    await topo.setRate('view', 0);
    const metrics = (await topo.fetchText(`${server.url}/metrics`)) || '';
    console.log(metrics.split('\n').filter((l) => /nack|rtx|retrans|pli|keyframe|key_frame/i.test(l) && !l.startsWith('#')).join('\n'));
  } catch (err) {
    console.log(diag.join('\n'));
    console.log('--- server log ---\n' + server.log());
    throw err;
  }

  const base = results[0].sum;
  assert.ok(base && base.fps > 5, `loss-free run decodes video (${ls.format(base)})`);
  assert.ok(base.stallS <= 2, `loss-free run does not freeze (${ls.format(base)})`);
  for (const { profile, sum, simulcast } of results.slice(1)) {
    const b = BOUNDS[profile.name];
    assert.ok(sum, `${profile.name}: viewer samples`);
    if (b.needsSimulcast && !simulcast) {
      console.log(`links: ${profile.name}: publisher sends one encoding (no simulcast): not enforced`);
      continue;
    }
    const fits = !profile.rate || base.kbps <= 0.8 * profile.rate;
    if (b.needsSimulcast && fits) {
      console.log(`links: ${profile.name}: the loss-free video (${base.kbps.toFixed(0)} kbit/s) fits: any layer will do`);
    }
    if (b.needsSimulcast && !fits) {
      assert.ok(sum.frameHeights.some((hgt) => hgt > 0 && hgt < Math.max(...results[0].sum.frameHeights)),
        `${profile.name}: the viewer receives a lower layer (${sum.frameHeights})`);
    }
    assert.ok(sum.fps >= b.fps * base.fps,
      `${profile.name}: ${sum.fps.toFixed(1)} fps, want >= ${b.fps} x ${base.fps.toFixed(1)} (${ls.format(sum)})`);
    assert.ok(sum.freezeS <= b.freezeS, `${profile.name}: frozen ${sum.freezeS.toFixed(1)} s, want <= ${b.freezeS} (${ls.format(sum)})`);
    assert.ok(sum.stallS <= b.stallS, `${profile.name}: ${sum.stallS} s without a frame, want <= ${b.stallS} (${ls.format(sum)})`);
    if (sum.concealedRatio !== null) {
      assert.ok(sum.concealedRatio <= b.concealed,
        `${profile.name}: audio concealed ${sum.concealedRatio.toFixed(3)}, want <= ${b.concealed}`);
    }
  }
});
