'use strict';
// Issue 13's acceptance test: a commune hall's room system (Debian's baresip: its fake video in
// H.264 through FFmpeg, a 1500 Hz tone in G.722, no registration) dials sip:hall@ into a meeting
// where two Chromium officials are (one sends a magenta picture and a 600 Hz tone, the other a
// yellow picture and 1000 Hz). Each Chromium page decodes the hall's video and hears its tone
// (WebAudio analyser on the tile's stream); baresip decodes the H.264 composition (its snapshot
// module saves a frame: both officials' colours in the 1280x720 picture) and plays the mix of
// everyone but itself (its sndfile dump: 600 and 1000 Hz, not its own 1500 Hz).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness.js');
const bs = require('./lib/baresip.js');

// 640x360: Chromium sends it in simulcast layers (the composition follows the one the router's
// tap gives it). FPS frames a second; each official's colours, FLIP frames each (A alternates
// magenta and cyan every 2 s: its tile in the composition must change, and the change times give
// the glass-to-glass delay; B is yellow throughout).
const W = 640;
const H = 360;
const FPS = 10;
const FLIP = 20;
const HALL_TONE = 1500;
const RGB = { magenta: [1, 0, 1], cyan: [0, 1, 1], yellow: [1, 1, 0] };
const OFFICIALS = [
  { key: 'a', name: 'Cán bộ A', colours: ['magenta', 'cyan'], tone: 600 },
  { key: 'b', name: 'Cán bộ B', colours: ['yellow'], tone: 1000 },
];

/** A Y4M file of solid frames, FLIP of each of `colours` in turn (BT.601 limited range): what
 *  Chromium's fake camera plays in a loop (--use-file-for-fake-video-capture). */
function solidY4m(file, colours) {
  const frames = colours.map((name) => {
    const [r, g, b] = RGB[name];
    const y = Math.round(16 + 65.481 * r + 128.553 * g + 24.966 * b);
    const u = Math.round(128 - 37.797 * r - 74.203 * g + 112 * b);
    const v = Math.round(128 + 112 * r - 93.786 * g - 18.214 * b);
    const f = Buffer.concat([Buffer.from('FRAME\n'), Buffer.alloc(W * H, y),
      Buffer.alloc((W * H) / 4, u), Buffer.alloc((W * H) / 4, v)]);
    return Array(colours.length > 1 ? FLIP : 1).fill(f);
  }).flat();
  const head = Buffer.from(`YUV4MPEG2 W${W} H${H} F${FPS}:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([head, ...frames]));
}

/** The colour a pixel is, of RGB's (or null). */
function colourOf(r, g, b) {
  if (r > 170 && g < 80 && b > 170) return 'magenta';
  if (r < 80 && g > 170 && b > 170) return 'cyan';
  if (r > 170 && g > 170 && b < 80) return 'yellow';
  return null;
}

/** A 16-bit mono 48 kHz WAV: a `freq` tone in 250 ms syllables (100 ms pauses), so that the
 *  browser's noise suppression, which fades a steady tone, lets it through (speaker.test.js). */
function toneWav(file, freq, seconds = 4) {
  const rate = 48000;
  const n = rate * seconds;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const on = (t % 0.35) < 0.25;
    const s = on ? 0.5 * Math.sin(2 * Math.PI * freq * t) * Math.sin(Math.PI * ((t % 0.35) / 0.25)) : 0;
    data.writeInt16LE(Math.round(s * 32767), i * 2);
  }
  const hdr = Buffer.alloc(44);
  hdr.write('RIFF', 0);
  hdr.writeUInt32LE(36 + data.length, 4);
  hdr.write('WAVEfmt ', 8);
  hdr.writeUInt32LE(16, 16);
  hdr.writeUInt16LE(1, 20);
  hdr.writeUInt16LE(1, 22);
  hdr.writeUInt32LE(rate, 24);
  hdr.writeUInt32LE(rate * 2, 28);
  hdr.writeUInt16LE(2, 32);
  hdr.writeUInt16LE(16, 34);
  hdr.write('data', 36);
  hdr.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([hdr, data]));
}

/** In the page: the tile named `name` ({id, videoWidth, frames decoded}) and, through a WebAudio
 *  analyser on its audio track (made at the first call), how far `freq` stands above the
 *  spectrum's median in dB. */
function hearAndSee(page, name, freq) {
  return page.evaluate(async ({ name: nm, freq: f }) => {
    const tile = [...document.querySelectorAll('.tile.remote')].find((el) => el.dataset.name === nm);
    const video = tile && tile.querySelector('video');
    const stream = video && video.srcObject;
    if (!stream || !stream.getAudioTracks().length) return null;
    const w = window;
    if (!w.hallEar || w.hallEar.track !== stream.getAudioTracks()[0]) {
      const ctx = new AudioContext();
      await ctx.resume();
      const an = ctx.createAnalyser();
      an.fftSize = 8192;
      an.smoothingTimeConstant = 0.5;
      ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(an);
      w.hallEar = { track: stream.getAudioTracks()[0], ctx, an };
    }
    const { ctx, an } = w.hallEar;
    const db = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(db);
    const hz = ctx.sampleRate / an.fftSize;
    const bin = Math.round(f / hz);
    let peak = -Infinity;
    for (let i = bin - 2; i <= bin + 2; i++) peak = Math.max(peak, db[i]);
    const band = [...db.slice(Math.round(100 / hz), Math.round(4000 / hz))].sort((x, y) => x - y);
    const id = tile.dataset.participantId;
    const p = (await window.hoinghi.stats()).participants.find((x) => x.id === id) || {};
    return { id, videoWidth: video.videoWidth, frames: p.videoFramesDecoded || 0,
      aboveMedian: peak - band[Math.floor(band.length / 2)] };
  }, { name, freq });
}

/** In the page: fractions of the PNG's pixels (every 7th) that are each of RGB's colours. */
function pngColours(page, png) {
  return page.evaluate(async ({ b64, classify }) => {
    const colourOf = new Function(`return (${classify})`)();
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const out = { width: c.width, height: c.height, magenta: 0, cyan: 0, yellow: 0 };
    let n = 0;
    for (let i = 0; i < d.length; i += 4 * 7) {
      n++;
      const k = colourOf(d[i], d[i + 1], d[i + 2]);
      if (k) out[k]++;
    }
    for (const k of ['magenta', 'cyan', 'yellow']) out[k] /= n;
    return out;
  }, { b64: png.toString('base64'), classify: colourOf.toString() });
}

/** In the page: records when its own preview (what its camera captures) changes colour:
 *  window.hallFlips = [{colour, t (ms, Date.now())}]. */
function watchOwnPreview(page) {
  return page.evaluate((classify) => {
    const colourOf = new Function(`return (${classify})`)();
    const v = document.querySelector('.tile.self video');
    const c = document.createElement('canvas');
    c.width = 8;
    c.height = 8;
    const g = c.getContext('2d', { willReadFrequently: true });
    window.hallFlips = [];
    const onFrame = () => {
      g.drawImage(v, 0, 0, 8, 8);
      const d = g.getImageData(4, 4, 1, 1).data;
      const k = colourOf(d[0], d[1], d[2]);
      const flips = window.hallFlips;
      if (k && (!flips.length || flips[flips.length - 1].colour !== k)) flips.push({ colour: k, t: Date.now() });
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    return !!v;
  }, colourOf.toString());
}

const skip = (h.external() ? 'needs its own server (SIP listener)' : bs.missing()) || false;

test('a room system (baresip) and two Chromium officials see and hear each other', { skip, timeout: 120000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-hall-'));
  const sipPort = await freeUdpTcpPort();
  const server = await h.startServer({ config: `[sip]\nlisten = 127.0.0.1:${sipPort}\n[room:hall]\naccess = open\n` });
  const browsers = [];
  let phone = null;
  const diag = [];
  t.after(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    if (phone) await phone.stop({ keepDir: !!process.env.KEEP_BARESIP });
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const pages = {};
  const t0 = Date.now();
  const at = () => ((Date.now() - t0) / 1000).toFixed(1);
  try {
    await Promise.all(OFFICIALS.map(async (o) => {
      const y4m = path.join(tmp, `${o.key}.y4m`);
      const wav = path.join(tmp, `${o.key}.wav`);
      solidY4m(y4m, o.colours);
      toneWav(wav, o.tone);
      const browser = await h.launchBrowser({ extraArgs: [`--use-file-for-fake-video-capture=${y4m}`,
        `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'] });
      browsers.push(browser);
      const ctx = await browser.newContext({ viewport: { width: 960, height: 600 } });
      // the test keeps the page's peer connections, to pause its simulcast layers below
      await ctx.addInitScript(() => {
        const Native = window.RTCPeerConnection;
        window.hallPcs = [];
        window.RTCPeerConnection = class extends Native {
          constructor(...args) {
            super(...args);
            window.hallPcs.push(this);
          }
        };
      });
      const page = await ctx.newPage();
      h.recordPage(page, o.key, diag);
      // simulcast on (the client's default): the composition follows each publisher's layer
      await page.goto(`${server.url}/?room=hall&name=${encodeURIComponent(o.name)}&q=low`,
        { waitUntil: 'domcontentloaded' });
      await h.waitFor(() => page.evaluate(() => window.hoinghi.state().phase === 'joined'),
        { timeout: 30000, message: `${o.key} joined` });
      pages[o.key] = page;
    }));
    diag.push(`joined at ${at()} s`);

    phone = await bs.startBaresip({ sipPort: await freeUdpTcpPort(), ctrlPort: await h.freePort(), tone: HALL_TONE });
    diag.push(() => `--- baresip ---\n${phone.log().slice(-4000)}`);
    await phone.dial(`sip:hall@127.0.0.1:${sipPort}`);
    await h.waitFor(() => phone.established(), { timeout: 10000, message: 'baresip: call established' });
    diag.push(`established at ${at()} s`);

    // Each official sees the hall's video (frames advancing) and hears its 1500 Hz tone.
    const seenBy = {};
    await Promise.all(OFFICIALS.map(async (o) => {
      const first = await h.waitFor(async () => {
        const s = await hearAndSee(pages[o.key], 'Baresip hall', HALL_TONE);
        return s && s.videoWidth > 0 && s.frames > 0 ? s : null;
      }, { timeout: 20000, message: `${o.key} decodes the hall's video` });
      seenBy[o.key] = await h.waitFor(async () => {
        const s = await hearAndSee(pages[o.key], 'Baresip hall', HALL_TONE);
        return s.frames > first.frames + 15 && s.aboveMedian > 25 ? s : null;
      }, { timeout: 15000, message: `${o.key}: the hall's frames advance and its ${HALL_TONE} Hz tone is heard` });
    }));
    diag.push(`officials see and hear the hall at ${at()} s`);

    // The hall decodes the composition: both officials' colours in the 1280x720 picture.
    let seen = null;
    await h.waitFor(async () => {
      const png = await phone.snapshot();
      seen = png ? await pngColours(pages.a, png) : seen;
      return seen && seen.magenta + seen.cyan > 0.02 && seen.yellow > 0.02 ? seen : null;
    }, { timeout: 20000, interval: 200, message: 'baresip\'s frame shows both officials' });
    assert.equal(seen.width, 1280);
    assert.equal(seen.height, 720);
    diag.push(`composition seen at ${at()} s`);

    // A's tile is live in it: it turns cyan and magenta again as A's camera does (a tile frozen
    // on a simulcast layer that stopped would not). Glass-to-glass: each change seen in
    // baresip's frames against the time A's own preview changed. A snapshot shows the frame
    // decoded between the request (t0) and the file (t1): the old colour still there after a
    // change gives a lower bound of the delay (t0 - change), the new one an upper bound (t1 -
    // change).
    // A's camera drops to its lowest simulcast layer (the others paused, as a publisher does
    // when nobody watches them): the router's tap moves to that layer, and the composition
    // follows it at its key frame; A's tile must stay live (below).
    const followed = () => server.log().split('follows another simulcast layer').length - 1;
    const before = followed();
    const paused = await pages.a.evaluate(async () => {
      let n = 0;
      for (const pc of window.hallPcs) {
        for (const sender of pc.getSenders()) {
          const p = sender.getParameters();
          if (!sender.track || sender.track.kind !== 'video' || !p.encodings || p.encodings.length < 2) continue;
          p.encodings.forEach((e, i) => { e.active = i === 0; });
          await sender.setParameters(p);
          n += p.encodings.length - 1;
        }
      }
      return n;
    });
    assert.ok(paused > 0, 'A sends simulcast layers to pause');
    await h.waitFor(() => followed() > before, { timeout: 10000, message: 'the composition follows A\'s lowest layer' });
    diag.push(`layer followed at ${at()} s`);
    assert.ok(await watchOwnPreview(pages.a), 'A\'s own preview');
    const shots = [];
    // until both colours were seen and 4.5 s passed (a few changes to time), at most 15 s
    const from = Date.now();
    const both = () => ['cyan', 'magenta'].every((k) => shots.some((x) => x.a === k));
    while (Date.now() - from < 15000 && !(both() && Date.now() - from > 4500)) {
      const t0 = Date.now();
      const png = await phone.snapshot(20);
      const t1 = Date.now();
      if (!png) continue;
      const c = await pngColours(pages.a, png);
      shots.push({ t0, t1, a: c.cyan > 0.01 ? 'cyan' : c.magenta > 0.01 ? 'magenta' : null });
    }
    const flips = await pages.a.evaluate(() => window.hallFlips);
    const coloursSeen = new Set(shots.map((s) => s.a).filter(Boolean));
    assert.ok(coloursSeen.has('cyan') && coloursSeen.has('magenta'),
      `A's tile changes colour in baresip's frames: ${JSON.stringify(shots)}; A's camera: ${JSON.stringify(flips)}`);
    let upper = Infinity;
    let lower = 0;
    for (const s of shots) {
      const last = [...flips].reverse().find((f) => f.t <= s.t0);
      if (!last || !s.a || flips.some((f) => f.t > s.t0 && f.t <= s.t1) || flips[0] === last) continue;
      if (s.a === last.colour) upper = Math.min(upper, s.t1 - last.t);
      else lower = Math.max(lower, s.t0 - last.t);
    }
    const follows = followed();
    const g2g = `${follows} layer change(s) followed; glass-to-glass ${lower}..${upper === Infinity ? '?' : upper} ms (${shots.length} frames, ${flips.length} changes)`;
    diag.push(g2g);

    // Its sound: the officials' tones, not its own (mix-minus). 3 s more of it, then hang up
    // (sndfile closes its dump).
    await h.sleep(3000);
    await phone.hangup();
    await h.sleep(300);
    const file = phone.decodedWav();
    assert.ok(file, `sndfile dumped what baresip played: ${fs.readdirSync(phone.dir)}`);
    const wav = bs.readWav(file);
    const last = wav.samples.subarray(Math.max(0, wav.samples.length - 3 * wav.rate));
    const [pa, pb, own] = bs.tonePowers(last, wav.rate, [OFFICIALS[0].tone, OFFICIALS[1].tone, HALL_TONE]);
    const msg = `tone powers ${OFFICIALS[0].tone} Hz ${pa.toExponential(2)}, ${OFFICIALS[1].tone} Hz ` +
      `${pb.toExponential(2)}, own ${HALL_TONE} Hz ${own.toExponential(2)} (${last.length} samples at ${wav.rate})`;
    assert.ok(pa > 100 * own && pb > 100 * own, msg);
    console.log(`# hall: ${msg}; composition (magenta, cyan, yellow) ${seen.magenta.toFixed(3)}, ${seen.cyan.toFixed(3)}, ` +
      `${seen.yellow.toFixed(3)}; ${g2g}; hall tone above median in pages ${seenBy.a.aboveMedian.toFixed(0)}, ` +
      `${seenBy.b.aboveMedian.toFixed(0)} dB; done at ${at()} s`);
  } catch (err) {
    for (const k of Object.keys(pages)) diag.push(`--- ${k} log ---\n${(await h.pageLog(pages[k])).slice(-3000)}`);
    diag.push(`--- server ---\n${server.log().slice(-6000)}`);
    console.error(diag.map((d) => (typeof d === 'function' ? d() : d)).join('\n'));
    throw err;
  }
});

/** A port free a moment ago for TCP (harness.freePort); SIP listens on UDP and TCP there. */
async function freeUdpTcpPort() {
  const dgram = require('node:dgram');
  for (;;) {
    const p = await h.freePort();
    const ok = await new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => resolve(false));
      s.bind(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}
