'use strict';
// Downlink bandwidth estimation with a real Chromium: the viewer's transport-cc feedback about
// the packets the server stamped with its own transport-wide sequence numbers becomes an
// estimate within 10 s of its connection; the viewer receives it as `link` (shown in the top bar)
// and an operator sees it in /metrics, with the transport-cc feedback the server sent the
// publisher (so Chromium's own uplink estimator works through the SFU).

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness.js');

test('a Chromium viewer\'s transport-cc feedback yields a downlink estimate within 10 s', { timeout: 120000 }, async (t) => {
  const server = await h.startServer();
  const browser = await h.launchBrowser();
  const diag = [];
  const pages = {};
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const room = `e2e-bwe-${process.pid}-${Date.now()}`;
  try {
    for (const key of ['publisher', 'viewer']) {
      const ctx = await browser.newContext({ viewport: { width: 800, height: 500 } });
      const page = await ctx.newPage();
      h.recordPage(page, key, diag);
      await page.goto(`${server.url}/?room=${room}&name=${key}&q=low`, { waitUntil: 'domcontentloaded' });
      pages[key] = page;
      await h.waitFor(async () => {
        const s = await page.evaluate(() => window.hoinghi.state());
        return s.phase === 'joined' && s.id;
      }, { timeout: 60000, message: `${key} joined` });
    }
    const viewer = pages.viewer;
    // From the viewer's sub connection carrying media (its 'connected' message) to the first
    // link message with an estimate from transport-cc, on the page's own clock.
    const link = await h.waitFor(async () => {
      const s = await viewer.evaluate(() => window.hoinghi.state());
      return s.link && s.link.source === 'twcc' && s.link.bps > 0 ? s.link : null;
    }, { timeout: 60000, interval: 200, message: 'a twcc link message' });
    const log = await viewer.evaluate(() => window.hoinghi.log());
    const connected = log.find((x) => x.dir === 'in' && x.type === 'connected' && x.pc === 'sub');
    const first = log.find((x) => x.dir === 'in' && x.type === 'link' && x.source === 'twcc');
    assert.ok(connected && first, 'connected and link messages in the log');
    const after = (first.t - connected.t) / 1000;
    t.diagnostic(`first twcc estimate ${first.bps} bit/s, ${after.toFixed(1)} s after the connection; latest ${link.bps} bit/s`);
    assert.ok(after <= 10, `the estimate came ${after.toFixed(1)} s after the connection (want <= 10 s)`);
    assert.ok(link.bps >= 50000 && link.bps <= 20e6, `estimate ${link.bps} bit/s in [50k, 20M]`);
    // Video still decodes with the server's extension in every packet.
    await h.waitFor(async () => {
      const st = await viewer.evaluate(() => window.hoinghi.stats());
      return st.participants.some((p) => p.videoFramesDecoded > 10) && st.link && st.link.source === 'twcc';
    }, { timeout: 30000, message: 'viewer decodes video' });
    const shown = await viewer.evaluate(() => {
      const el = document.getElementById('room-link');
      return el && !el.hidden ? el.textContent : null;
    });
    assert.match(shown || '', /↓ [0-9.]+ (kbit|Mbit)\/s/, 'the top bar shows the estimate');
    // An operator sees it in /metrics.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const total = (name, filter = '') => metrics.split('\n')
      .filter((l) => l.startsWith(name) && l.includes(filter))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    assert.ok(total('hoinghi_twcc_feedback_in_total') > 0, 'transport-cc feedback counted');
    assert.equal(total('hoinghi_twcc_feedback_malformed_total'), 0, 'none malformed');
    assert.ok(total('hoinghi_downlink_estimates_total', 'source="twcc"') > 0, 'twcc samples');
    assert.ok(total('hoinghi_downlink_estimate_bps_count') > 0, 'histogram samples');
    assert.ok(total('hoinghi_twcc_feedback_sent_total') > 0, 'feedback sent to the publisher');
  } catch (err) {
    for (const key of Object.keys(pages)) diag.push(`--- ${key} log ---\n${await h.pageLog(pages[key])}`);
    diag.push(`--- server ---\n${server.log()}`);
    console.error(diag.join('\n'));
    throw err;
  }
});
