'use strict';
// What a viewer sees on a link, from Chromium's getStats, sampled once a second: frames decoded,
// freezes (Chromium's freezeCount / totalFreezesDuration), received resolution, audio
// concealment (concealedSamples / totalSamplesReceived). Works on any page (hoinghi's client,
// the Janus bench page): an init script records every RTCPeerConnection the page creates.

/** Init script (page.addInitScript): keeps the page's peer connections in window.__hnlPcs. */
function recordPeerConnections() {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__hnlPcs) return;
  window.__hnlPcs = [];
  window.RTCPeerConnection = class extends Orig {
    constructor(...args) {
      super(...args);
      window.__hnlPcs.push(this);
    }
  };
}

/** In the page: one sample over every open peer connection. The inbound video and audio are the
 *  reports with the most frames decoded / samples received; `outboundVideo` counts the video
 *  encodings sent (more than one: simulcast). */
async function sampleInPage() {
  const out = { t: Date.now(), video: null, audio: null, outboundVideo: 0, outbound: [], rttMs: null };
  for (const pc of window.__hnlPcs || []) {
    if (pc.connectionState === 'closed') continue;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        if (!out.video || (s.framesDecoded || 0) > out.video.framesDecoded) {
          out.video = {
            framesDecoded: s.framesDecoded || 0,
            freezeCount: s.freezeCount || 0,
            totalFreezesDuration: s.totalFreezesDuration || 0,
            frameWidth: s.frameWidth || 0,
            frameHeight: s.frameHeight || 0,
            packetsLost: s.packetsLost || 0,
            packetsReceived: s.packetsReceived || 0,
            nackCount: s.nackCount || 0,
            pliCount: s.pliCount || 0,
            retransmittedPacketsReceived: s.retransmittedPacketsReceived || 0,
            bytesReceived: s.bytesReceived || 0,
          };
        }
      } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        if (!out.audio || (s.totalSamplesReceived || 0) > out.audio.totalSamplesReceived) {
          out.audio = {
            totalSamplesReceived: s.totalSamplesReceived || 0,
            concealedSamples: s.concealedSamples || 0,
            packetsLost: s.packetsLost || 0,
          };
        }
      } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.outboundVideo += 1;
        out.outbound.push({ rid: s.rid || null, frameWidth: s.frameWidth || 0, bytesSent: s.bytesSent || 0,
          qualityLimitationReason: s.qualityLimitationReason || null });
      } else if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        out.rttMs = Math.round(s.currentRoundTripTime * 1000);
      }
    });
  }
  return out;
}

/** Samples PAGE every `intervalMs` until stop(); samples() returns what was collected. */
function sampler(page, { intervalMs = 1000 } = {}) {
  const samples = [];
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try {
      samples.push(await page.evaluate(sampleInPage));
    } catch {
      // page busy or closed: skip this second
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  tick();
  return {
    samples: () => samples,
    latest: () => samples[samples.length - 1] || null,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * Summary of the samples taken in [fromT, toT] (ms since the epoch): decoded fps, freezes
 * (count and seconds from Chromium's counters, per minute), `stallS` (seconds in which not one
 * frame was decoded: also counts a freeze still going on at the end, which Chromium counts only
 * once it ends), the resolution seen most, audio concealed ratio, video packets lost.
 */
function summarize(samples, fromT = 0, toT = Infinity) {
  const w = samples.filter((s) => s.t >= fromT && s.t <= toT && s.video);
  if (w.length < 2) return null;
  const a = w[0];
  const b = w[w.length - 1];
  const secs = (b.t - a.t) / 1000;
  const dv = (k) => b.video[k] - a.video[k];
  let stallS = 0;
  const res = new Map();
  for (let i = 1; i < w.length; i++) {
    if (w[i].video.framesDecoded === w[i - 1].video.framesDecoded) stallS += (w[i].t - w[i - 1].t) / 1000;
    const r = `${w[i].video.frameWidth}x${w[i].video.frameHeight}`;
    res.set(r, (res.get(r) || 0) + 1);
  }
  const resolution = [...res.entries()].sort((x, y) => y[1] - x[1])[0][0];
  const audioOk = a.audio && b.audio && b.audio.totalSamplesReceived > a.audio.totalSamplesReceived;
  const freezeS = dv('totalFreezesDuration');
  return {
    secs,
    fps: dv('framesDecoded') / secs,
    framesDecoded: dv('framesDecoded'),
    freezes: dv('freezeCount'),
    freezeS,
    freezeSPerMin: (freezeS / secs) * 60,
    stallS,
    stallSPerMin: (stallS / secs) * 60,
    resolution,
    frameHeights: [...new Set(w.map((s) => s.video.frameHeight))],
    concealedRatio: audioOk
      ? (b.audio.concealedSamples - a.audio.concealedSamples) / (b.audio.totalSamplesReceived - a.audio.totalSamplesReceived)
      : null,
    videoPacketsLost: dv('packetsLost'),
    videoPacketsReceived: dv('packetsReceived'),
    nacks: dv('nackCount'),
    plis: dv('pliCount'),
    rtxReceived: dv('retransmittedPacketsReceived'),
    kbps: (dv('bytesReceived') * 8) / 1000 / secs,
    rttMs: b.rttMs,
  };
}

/** One line for logs. */
function format(s) {
  if (!s) return 'no samples';
  const c = s.concealedRatio === null ? 'n/a' : (100 * s.concealedRatio).toFixed(2) + ' %';
  return `${s.fps.toFixed(1)} fps, ${s.freezes} freezes ${s.freezeS.toFixed(1)} s, no-frame ${s.stallS.toFixed(0)} s `
    + `of ${s.secs.toFixed(0)} s, ${s.resolution}, ${s.kbps.toFixed(0)} kbit/s, audio concealed ${c}, `
    + `video lost ${s.videoPacketsLost}/${s.videoPacketsReceived}, nack ${s.nacks}, rtx ${s.rtxReceived}, pli ${s.plis}`
    + (s.rttMs !== null && s.rttMs !== undefined ? `, rtt ${s.rttMs} ms` : '');
}

module.exports = { recordPeerConnections, sampleInPage, sampler, summarize, format };
