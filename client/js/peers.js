// The two peer connections of one participant (docs/signaling.md):
//   pub: we offer sendonly audio+video, the server answers;
//   sub: the server offers what the others send, we answer.
// Every operation on one connection runs in order on its own promise chain, so a candidate that
// arrives while an offer is still being applied waits for it.
//
// Events (EventTarget):
//   'remote' -- the mid -> participant mapping changed; call remoteTracks()
//   'state'  -- a connection's state changed; see connectionStates()
//   'error'  detail: {pc, message} -- a negotiation step failed
//   'ice'    detail: {pc, phase, attempt} -- ICE restart watchdog: phase 'restarting' (attempt
//            n), 'recovered', or 'gave-up' (the caller rejoins)

import { applyLayers, simulcastEncodings } from './media.js';

const PC_CONFIG = {
  // Closed network: no STUN/TURN. The server's host candidates are reachable directly.
  iceServers: [],
  bundlePolicy: 'max-bundle',
  rtcpMuxPolicy: 'require',
};

const KINDS = new Set(['audio', 'video']);
// A connection whose ICE is 'disconnected' or 'failed' this long is restarted (docs/client.md).
export const ICE_TROUBLE_MS = 2000;
// Waits between restarts of one connection that does not come back (back-off), and the total
// time after which the session gives up (the caller rejoins, as when the socket drops).
export const ICE_RESTART_BACKOFF_MS = [3000, 5000, 8000, 12000];
export const ICE_GIVE_UP_MS = 30000;

/** Checks the `tracks` list of a server offer; returns a Map mid -> {participant, kind, source}
 *  of the valid entries (source 'screen' for a shared screen, else null) and the number of
 *  entries dropped. */
export function parseTracks(tracks) {
  const map = new Map();
  let dropped = 0;
  if (!Array.isArray(tracks)) return { map, dropped: 0 };
  for (const t of tracks) {
    const ok = t && typeof t === 'object' && typeof t.mid === 'string' && t.mid !== '' &&
      typeof t.participant === 'string' && t.participant !== '' && KINDS.has(t.kind);
    const source = t && t.source === 'screen' && t.kind === 'video' ? 'screen' : null;
    if (ok && !map.has(t.mid)) map.set(t.mid, { participant: t.participant, kind: t.kind, source });
    else dropped++;
  }
  return { map, dropped };
}

export class MediaSession extends EventTarget {
  /** `send(msg)` sends a signalling message; `log(...)` is the debug logger. */
  constructor({ send, log = () => {}, simulcast = true }) {
    super();
    this.simulcast = simulcast;
    this.cameraSender = null; // the simulcast camera's sender (for `layers`)
    this.screen = null; // the shared screen's transceiver (kept, inactive, after a share)
    this.send = send;
    this.log = log;
    this.pcs = { pub: null, sub: null };
    this.chains = { pub: Promise.resolve(), sub: Promise.resolve() };
    // Remote candidates that arrived before the remote description.
    this.pendingRemote = { pub: [], sub: [] };
    // Our candidates wait until the description they belong to has been sent.
    this.descriptionSent = { pub: false, sub: false };
    this.pendingLocal = { pub: [], sub: [] };
    this.gatheringDone = { pub: false, sub: false };
    this.tracks = new Map();
    this.closed = false;
    // ICE restart watchdog per connection: when trouble began, the pending timer, attempts.
    this.ice = { pub: { since: 0, timer: 0, attempts: 0 }, sub: { since: 0, timer: 0, attempts: 0 } };
  }

  createPc(name) {
    const pc = new RTCPeerConnection(PC_CONFIG);
    pc.onicecandidate = (ev) => this.onLocalCandidate(name, ev.candidate);
    const changed = () => {
      this.watchIce(name);
      this.dispatchEvent(new CustomEvent('state', { detail: { pc: name } }));
    };
    pc.onconnectionstatechange = changed;
    pc.oniceconnectionstatechange = changed;
    this.pcs[name] = pc;
    return pc;
  }

  /** Queues `fn` on the chain of connection `name`; failures are reported as 'error' events. */
  run(name, what, fn) {
    this.chains[name] = this.chains[name].then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (err) {
        if (this.closed) return;
        this.log('error', { pc: name, what, error: String(err) });
        this.dispatchEvent(new CustomEvent('error', { detail: { pc: name, message: `${what}: ${err.message || err}` } }));
      }
    });
    return this.chains[name];
  }

  /** Creates `pub` with a sendonly transceiver per track of `stream` and sends the offer.
   *  Does nothing when the stream has no track (receive-only participant). */
  publish(stream) {
    return this.run('pub', 'publish', async () => {
      const tracks = stream ? stream.getTracks() : [];
      if (tracks.length === 0) return;
      const pc = this.pcs.pub || this.createPc('pub');
      // Audio first, then video: the order the server sees in every offer.
      tracks.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'audio' ? -1 : 1));
      for (const track of tracks) {
        // The camera (first video) goes as three simulcast layers (media.js).
        const camera = track.kind === 'video' && !this.cameraSender && this.simulcast;
        const init = { direction: 'sendonly', streams: [stream] };
        if (camera) init.sendEncodings = simulcastEncodings();
        const tr = pc.addTransceiver(track, init);
        if (camera) this.cameraSender = tr.sender;
      }
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      this.sendPublish(pc);
      this.markDescriptionSent('pub');
    });
  }

  /** The `publish` of pub's local description, naming the shared screen's section. */
  sendPublish(pc) {
    const msg = { type: 'publish', sdp: pc.localDescription.sdp };
    if (this.screen && this.screen.sender.track && this.screen.mid) msg.screen = this.screen.mid;
    this.send(msg);
  }

  /** Shares `track` (a getDisplayMedia video) as a second video of source 'screen': one layer
   *  tuned for legible detail at a low frame rate, negotiated on pub. */
  shareScreen(track) {
    return this.run('pub', 'share', async () => {
      const pc = this.pcs.pub || this.createPc('pub');
      if ('contentHint' in track) track.contentHint = 'detail';
      if (this.screen) {
        await this.screen.sender.replaceTrack(track);
        this.screen.direction = 'sendonly';
      } else {
        this.screen = pc.addTransceiver(track, {
          direction: 'sendonly',
          streams: [new MediaStream([track])],
          sendEncodings: [{ maxBitrate: 1200000, maxFramerate: 5 }],
        });
      }
      const params = this.screen.sender.getParameters();
      params.degradationPreference = 'maintain-resolution';
      await this.screen.sender.setParameters(params).catch(() => {});
      await pc.setLocalDescription(await pc.createOffer());
      this.sendPublish(pc);
      this.markDescriptionSent('pub');
    });
  }

  /** Stops sharing: the screen's section goes inactive (kept for the next share). */
  stopScreen() {
    return this.run('pub', 'unshare', async () => {
      const pc = this.pcs.pub;
      if (!pc || !this.screen || !this.screen.sender.track) return;
      await this.screen.sender.replaceTrack(null);
      this.screen.direction = 'inactive';
      await pc.setLocalDescription(await pc.createOffer());
      this.sendPublish(pc);
    });
  }

  /** Sends `track` instead of the one of its kind being sent (a device switch): same
   *  transceiver, same SSRCs and simulcast layers, no renegotiation. */
  async replaceTrack(kind, track) {
    const pc = this.pcs.pub;
    if (!pc) return false;
    const sender = (kind === 'video' && this.cameraSender) ||
      pc.getSenders().find((s) => s.track && s.track.kind === kind && (!this.screen || s !== this.screen.sender));
    if (!sender) return false;
    await sender.replaceTrack(track);
    return true;
  }

  /** The server's `layers` message: pause the camera layers nobody watches. */
  handleLayers(mid, active) {
    return this.run('pub', 'layers', async () => {
      const sender = this.cameraSender;
      if (!sender) return;
      const tr = this.pcs.pub && this.pcs.pub.getTransceivers().find((t) => t.sender === sender);
      if (mid && tr && tr.mid && tr.mid !== mid) return;
      if (await applyLayers(sender, active)) this.log('layers', { active });
    });
  }

  /** Applies the server's answer to our `publish`. */
  handleAnswer(sdp) {
    return this.run('pub', 'answer', async () => {
      const pc = this.pcs.pub;
      if (!pc || pc.signalingState !== 'have-local-offer') throw new Error('answer without an outstanding publish');
      await pc.setRemoteDescription({ type: 'answer', sdp });
      await this.flushRemoteCandidates('pub');
    });
  }

  /** Applies a server offer for `sub`, re-maps mids to participants and sends our answer. */
  handleOffer(sdp, tracks) {
    return this.run('sub', 'offer', async () => {
      const { map, dropped } = parseTracks(tracks);
      if (dropped) this.log('warn', { what: 'offer tracks entries ignored', dropped });
      const pc = this.pcs.sub || this.createPc('sub');
      await pc.setRemoteDescription({ type: 'offer', sdp });
      this.tracks = map;
      this.dispatchEvent(new CustomEvent('remote'));
      await this.flushRemoteCandidates('sub');
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.send({ type: 'answer', sdp: pc.localDescription.sdp });
      this.markDescriptionSent('sub');
    });
  }

  /** Restarts ICE on one connection without a new session: `pub` offers again with new ICE
   *  credentials (same DTLS: the server restarts in place); `sub` asks the server, whose next
   *  offer carries new credentials (`restart-ice`, docs/signaling.md). */
  restartIce(name) {
    if (name === 'sub') {
      if (this.pcs.sub) this.send({ type: 'restart-ice' });
      return Promise.resolve();
    }
    return this.run('pub', 'restart', async () => {
      const pc = this.pcs.pub;
      if (!pc || pc.signalingState !== 'stable') return; // an offer is out: its answer comes first
      this.gatheringDone.pub = false;
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      this.sendPublish(pc);
    });
  }

  /** The watchdog: ICE 'disconnected' or 'failed' for ICE_TROUBLE_MS -> restartIce, again with
   *  back-off while it stays so, 'gave-up' after ICE_GIVE_UP_MS. */
  watchIce(name) {
    const pc = this.pcs[name];
    const w = this.ice[name];
    if (!pc || this.closed) return;
    const st = pc.iceConnectionState;
    const troubled = st === 'disconnected' || st === 'failed';
    if (!troubled) {
      if (w.since && (st === 'connected' || st === 'completed')) {
        clearTimeout(w.timer);
        const attempt = w.attempts;
        w.since = w.timer = w.attempts = 0;
        this.log('ice', { pc: name, phase: 'recovered', attempt });
        this.dispatchEvent(new CustomEvent('ice', { detail: { pc: name, phase: 'recovered', attempt } }));
      }
      return;
    }
    if (w.since) return; // already watched
    w.since = Date.now();
    const step = () => {
      w.timer = 0;
      if (this.closed || !w.since) return;
      const now = pc.iceConnectionState;
      if (now !== 'disconnected' && now !== 'failed' && now !== 'checking' && now !== 'new') return;
      if (Date.now() - w.since >= ICE_GIVE_UP_MS) {
        this.log('ice', { pc: name, phase: 'gave-up', attempt: w.attempts });
        this.dispatchEvent(new CustomEvent('ice', { detail: { pc: name, phase: 'gave-up', attempt: w.attempts } }));
        return;
      }
      w.attempts++;
      this.log('ice', { pc: name, phase: 'restarting', attempt: w.attempts });
      this.dispatchEvent(new CustomEvent('ice', { detail: { pc: name, phase: 'restarting', attempt: w.attempts } }));
      this.restartIce(name);
      const wait = ICE_RESTART_BACKOFF_MS[Math.min(w.attempts - 1, ICE_RESTART_BACKOFF_MS.length - 1)];
      w.timer = setTimeout(step, wait);
    };
    w.timer = setTimeout(step, ICE_TROUBLE_MS);
  }

  /** Adds a server candidate (`candidate` null or '' = end of candidates). A candidate the
   *  browser refuses is logged, not reported: the other candidates may still work. */
  handleCandidate(name, candidate, sdpMid) {
    if (name !== 'pub' && name !== 'sub') return Promise.resolve();
    return this.run(name, 'candidate', async () => {
      try {
        const init = toCandidateInit(candidate, sdpMid);
        const pc = this.pcs[name];
        if (!pc || !pc.remoteDescription) {
          this.pendingRemote[name].push(init);
          return;
        }
        await addCandidate(pc, init);
      } catch (err) {
        this.log('warn', { pc: name, what: 'candidate refused', candidate, error: String(err) });
      }
    });
  }

  async flushRemoteCandidates(name) {
    const list = this.pendingRemote[name];
    this.pendingRemote[name] = [];
    for (const init of list) {
      try {
        await addCandidate(this.pcs[name], init);
      } catch (err) {
        this.log('warn', { pc: name, what: 'candidate refused', error: String(err) });
      }
    }
  }

  onLocalCandidate(name, cand) {
    // null, or an empty candidate string: gathering is complete.
    const msg = cand && cand.candidate
      ? { type: 'candidate', pc: name, candidate: cand.candidate, sdpMid: cand.sdpMid ?? undefined }
      : { type: 'candidate', pc: name, candidate: null };
    if (msg.candidate === null) {
      // Chromium reports the end twice (an empty candidate, then null): say it once.
      if (this.gatheringDone[name]) return;
      this.gatheringDone[name] = true;
    }
    if (this.descriptionSent[name]) this.send(msg);
    else this.pendingLocal[name].push(msg);
  }

  markDescriptionSent(name) {
    this.descriptionSent[name] = true;
    const list = this.pendingLocal[name];
    this.pendingLocal[name] = [];
    for (const msg of list) this.send(msg);
  }

  /** Map participant id -> {audio: [MediaStreamTrack], video: [MediaStreamTrack], mids: [mid]}
   *  for every active mid of the latest server offer. */
  remoteTracks() {
    const out = new Map();
    const pc = this.pcs.sub;
    if (!pc) return out;
    for (const tr of pc.getTransceivers()) {
      if (!tr.mid || tr.stopped || tr.currentDirection === 'stopped') continue;
      const entry = this.tracks.get(tr.mid);
      const track = tr.receiver && tr.receiver.track;
      if (!entry || !track || track.kind !== entry.kind) continue;
      if (!out.has(entry.participant)) out.set(entry.participant, { audio: [], video: [], screen: [], mids: [] });
      const p = out.get(entry.participant);
      p[entry.source === 'screen' ? 'screen' : entry.kind].push(track);
      p.mids.push(tr.mid);
    }
    return out;
  }

  /** {pub, sub}: each the connection state ('new', 'connecting', 'connected', 'failed', ...)
   *  or null when that connection does not exist. */
  connectionStates() {
    const state = (pc) => (pc ? pc.connectionState || pc.iceConnectionState : null);
    return { pub: state(this.pcs.pub), sub: state(this.pcs.sub) };
  }

  /** Closes both connections; safe to call twice. */
  close() {
    this.closed = true;
    for (const w of Object.values(this.ice)) clearTimeout(w.timer);
    for (const name of ['pub', 'sub']) {
      const pc = this.pcs[name];
      if (!pc) continue;
      pc.onicecandidate = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
      pc.close();
    }
    this.tracks = new Map();
  }
}

function toCandidateInit(candidate, sdpMid) {
  if (candidate === null || candidate === undefined || candidate === '') return null;
  if (typeof candidate !== 'string') throw new Error('candidate is not a string');
  // Be lenient with a server that sends the full SDP line.
  const text = candidate.startsWith('a=') ? candidate.slice(2) : candidate;
  if (typeof sdpMid === 'string') return { candidate: text, sdpMid };
  return { candidate: text, sdpMLineIndex: 0 }; // max-bundle: the first m= line carries all
}

async function addCandidate(pc, init) {
  if (init === null) {
    // End of candidates. Older browsers reject this form; it is only a hint, so ignore that.
    try {
      await pc.addIceCandidate();
    } catch {
      /* ignore */
    }
    return;
  }
  await pc.addIceCandidate(init);
}
