// hoinghi browser client: the meeting's life cycle. See docs/client.md.
//   idle -> media (camera/mic) -> connecting (WebSocket) -> joining (join sent) -> joined
//   joined --media interrupted 2 s--> ICE restart (same session, "reconnecting" notice)
//   joined --socket lost / ICE restarts gave up--> reconnecting --2 s--> connecting ... (new join)
//   any --Leave--> idle

import { initLang, getLang, setLang, t, hasKey } from './i18n.js';
import { Signaling, defaultSignalingUrl } from './signaling.js';
import { MediaSession } from './peers.js';
import { ViewReporter } from './view.js';
import { acquireMedia, stopMedia } from './media.js';
import { collectStats } from './stats.js';
import { QualityMeter } from './quality.js';
import * as ui from './ui.js';
import * as bus from './bus.js';
import { roomSlug } from './slug.js';
import * as devices from './devices.js';
import { registerPanel } from './drawer.js';
import { initDrawer } from './drawer.js';
import './lobby.js'; // registers for lobby and lobby-list (bus.js)
import './recording.js'; // the recording indicator and the chair's button (bus.js)
import { initChat } from './chat.js';
import { initVotes } from './votes.js';
import { initMinutes } from './minutes.js';
import { initParticipants } from './participants.js';

const NAME_MAX = 64;
const REJOIN_DELAYS_MS = [2000, 4000, 8000, 15000];
const STATS_INTERVAL_MS = 1000;
const SPEAKING_LEVEL = 0.04;
// Errors that end a join attempt: the user has to change something before trying again.
const FATAL_JOIN_ERRORS = new Set(['room-not-found', 'room-full', 'bad-field', 'already-joined', 'denied', 'lobby-timeout']);
// Join refusals after which the form asks for the room's PIN (docs/security.md).
const PIN_ERRORS = new Set(['auth-required', 'bad-pin', 'locked', 'rate-limited']);
const PIN_RE = /^[0-9]{1,32}$/;
const LOG_KEEP = 300;

const params = new URLSearchParams(window.location.search);
const quality = params.get('q') === 'low' ? 'low' : 'normal';
const simulcast = params.get('simulcast') !== '0';
const debug = params.get('debug') === '1' || readStorage('hoinghi.debug') === '1';

const S = {
  phase: 'idle',
  room: '',
  name: '',
  role: null, // from the server's "joined": chair, secretary, member, observer
  token: params.get('token') || '', // a join token from the invitation link (?token=)
  pin: '',
  id: null,
  participants: new Map(), // id -> {name}
  media: null, // {stream, hasAudio, hasVideo, audioReason, videoReason}
  micOn: true,
  locked: {}, // kind -> true: the chair muted it
  camOn: true,
  sig: null,
  session: null,
  share: null, // the screen track we present, or null
  quality: new QualityMeter(),
  joinedAt: 0, // Date.now() of the first `joined` of this meeting (the clock), 0: not in one
  pinned: null, // the participant whose tile is pinned large, or null
  generation: 0, // bumped on every (re)connection: events of an older socket are ignored
  attempts: 0,
  rejoinTimer: 0,
  rejoinDue: 0,
  countdownTimer: 0,
  statsTimer: 0,
  statsBusy: false,
  lastError: null,
  speaker: { id: null, speaking: [] }, // the server's last active-speaker message
  videoPaused: new Set(), // participants whose video the server does not send us (last-N)
  follow: readStorage('hoinghi.follow') === '1', // follow-the-speaker layout
  link: null, // the server's last link message: {bps, source, loss, at}
};
const logBuffer = [];

function readStorage(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** The pin survives a reload or a rejoin of this tab: the pinned participant's name, per room
 *  (sessionStorage: this tab only). A participant id changes when someone rejoins; the name does
 *  not. */
function pinKey() {
  return `hoinghi.pin:${S.room || ''}`;
}

function rememberPin(id) {
  const p = id ? S.participants.get(id) : null;
  try {
    if (p) sessionStorage.setItem(pinKey(), p.name);
    else sessionStorage.removeItem(pinKey());
  } catch {
    /* not remembered, not fatal */
  }
}

function restorePin(id, name) {
  if (S.pinned) return;
  let want = null;
  try {
    want = sessionStorage.getItem(pinKey());
  } catch {
    return;
  }
  if (want && want === name && ui.setPinned(id)) S.pinned = id;
}

function writeStorage(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* not remembered, not fatal */
  }
}

function log(dir, obj) {
  const entry = { t: Math.round(performance.now()), dir, ...obj };
  logBuffer.push(entry);
  if (logBuffer.length > LOG_KEEP) logBuffer.shift();
  if (debug) console.log('[hoinghi]', dir, JSON.stringify(obj));
}

// ---- validation and URL ----

/** Normalises and checks the form values; returns {room, name, errors}. */
function validateJoin(roomRaw, nameRaw) {
  const { slug: room, error: roomError } = roomSlug(roomRaw);
  // NFC: some Vietnamese keyboards type combining accents; the server counts characters.
  const name = String(nameRaw || '').normalize('NFC').replace(/\s+/g, ' ').trim();
  const errors = {};
  if (roomError) errors.room = roomError;
  const chars = [...name].length;
  if (chars < 1 || chars > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) errors.name = 'form.name.invalid';
  return { room, name, errors };
}

function setUrl(room, name) {
  const url = new URL(window.location.href);
  if (room) url.searchParams.set('room', room);
  else url.searchParams.delete('room');
  if (name) url.searchParams.set('name', name);
  else url.searchParams.delete('name');
  window.history.replaceState(null, '', url);
}

// ---- joining ----

async function join(roomRaw, nameRaw, pinRaw = '') {
  if (S.phase !== 'idle') return;
  const { room, name, errors } = validateJoin(roomRaw, nameRaw);
  const pin = String(pinRaw || '').trim();
  if (pin && !PIN_RE.test(pin)) errors.pin = 'form.pin.invalid';
  if (errors.room || errors.name || errors.pin) {
    showForm({ room: roomRaw, name: nameRaw, fieldErrors: errors, askPin: Boolean(pinRaw) });
    return;
  }
  S.pin = pin;
  ui.clearErrors();
  if (!('RTCPeerConnection' in window)) {
    ui.showError('webrtc', () => t('error.webrtc'));
    return;
  }
  S.room = room;
  S.name = name;
  S.lastError = null;
  writeStorage('hoinghi.name', name);
  setUrl(room, name); // a reload rejoins; the link without &name= is the invitation
  ui.setBusy(true);
  S.phase = 'media';
  ui.setStatus('status.media');
  const wanted = devices.stopPreview(); // the form's camera/microphone switches
  S.media = await acquireMedia(quality, devices.constraints(quality, 'audio'), devices.constraints(quality, 'video'));
  if (S.phase !== 'media') {
    stopMedia(S.media.stream); // left while the browser was asking for permission
    return;
  }
  S.micOn = wanted.micOn;
  S.camOn = wanted.camOn;
  for (const tr of S.media.stream.getAudioTracks()) tr.enabled = S.micOn;
  for (const tr of S.media.stream.getVideoTracks()) tr.enabled = S.camOn;
  ui.showMeeting(room);
  ui.setLocal(S.media.stream, name);
  showLocalMedia();
  mediaNotice();
  updateCount();
  connect();
}

// ---- presentation (screen sharing) ----

/** Starts or stops sharing a screen or window. Another presenter is taken over after asking:
 *  one presenter at a time (the server tells them `share-stopped`). */
async function toggleShare() {
  if (!S.session) return;
  if (S.share) {
    stopShare();
    return;
  }
  const other = ui.screenIds().find((id) => id !== 'self');
  if (other && !window.confirm(t('share.takeOver', { name: (S.participants.get(other) || {}).name || '' }))) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
    ui.toast(() => t('share.unsupported'));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({
      video: { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { ideal: 5, max: 15 } },
      audio: false,
    });
  } catch (err) {
    log('warn', { what: 'getDisplayMedia', error: String(err) });
    return; // the user cancelled the picker
  }
  const track = stream.getVideoTracks()[0];
  if (!track || !S.session) {
    stopMedia(stream);
    return;
  }
  S.share = track;
  track.addEventListener('ended', () => { if (S.share === track) stopShare(); }); // the browser's own stop button
  ui.setScreen('self', S.name, track);
  ui.setSharing(true);
  await S.session.shareScreen(track);
  log('share', { label: track.label, settings: track.getSettings() });
}

function stopShare() {
  const track = S.share;
  if (!track) return;
  S.share = null;
  track.stop();
  if (S.session) S.session.stopScreen();
  ui.setScreen('self', null, null);
  ui.setSharing(false);
}

function onShareStopped(msg) {
  if (!S.share) return;
  stopShare();
  const p = S.participants.get(msg.by);
  if (msg.reason === 'chair') ui.toast(() => t('share.stoppedByChair'));
  else ui.toast(() => t('share.takenOver', { name: p ? p.name : '' }));
}

/** Keyboard shortcuts in the meeting: M microphone, V camera, S present, F full screen, ?
 *  help. Not while typing in a field, not with Ctrl/Alt/Meta (the browser's own). */
function onShortcut(ev) {
  if (S.phase !== 'joined' || ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat) return;
  const el = ev.target;
  if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
  const key = ev.key.toLowerCase();
  const act = {
    m: toggleMic,
    v: toggleCam,
    s: toggleShare,
    f: () => ui.fullscreen(document.querySelector('.tile.pinned, .tile.screen') || document.querySelector('.stage')),
    '?': ui.toggleHelp,
  }[key];
  if (!act) return;
  ev.preventDefault();
  act();
}

/** The join form, with the device preview. */
function showForm(opts) {
  ui.showJoin(opts);
  devices.startPreview(quality);
}

/** The devices panel's choice during the meeting: the new camera or microphone replaces the
 *  track being sent (no renegotiation); the speaker applies to every remote tile. */
async function switchDevice(key) {
  if (key === 'speakerId') {
    ui.setSpeaker(devices.chosen().speakerId);
    return;
  }
  const kind = key === 'videoId' ? 'video' : 'audio';
  const m = S.media;
  if (!m || !S.session || !(kind === 'video' ? m.hasVideo : m.hasAudio)) return;
  let track;
  try {
    track = await devices.openTrack(kind, quality);
  } catch (err) {
    ui.toast(() => t('devices.switchFailed'));
    log('error', { what: 'device switch', error: String(err) });
    return;
  }
  if (S.media !== m) { track.stop(); return; } // left meanwhile
  track.enabled = kind === 'video' ? S.camOn : S.micOn;
  const old = kind === 'video' ? m.stream.getVideoTracks()[0] : m.stream.getAudioTracks()[0];
  await S.session.replaceTrack(kind, track);
  if (old) {
    m.stream.removeTrack(old);
    old.stop();
  }
  m.stream.addTrack(track);
  ui.setLocal(m.stream, S.name);
  log('device', { kind, label: track.label });
}

function showLocalMedia() {
  const m = S.media;
  ui.setLocalMedia({ hasAudio: m.hasAudio, hasVideo: m.hasVideo, micOn: S.micOn, camOn: S.camOn, micLocked: !!S.locked.audio, camLocked: !!S.locked.video });
}

/** The chair muted (locked) or released our microphone/camera (participants.js). */
function lockMedia(kind, locked) {
  S.locked[kind] = locked;
  if (locked && (kind === 'audio' ? S.micOn : S.camOn)) (kind === 'audio' ? toggleMic : toggleCam)();
  else if (S.media) showLocalMedia();
}

function mediaNotice() {
  const m = S.media;
  const reason = (a, b) => (a && b && a !== b ? `${t(a)}; ${t(b)}` : t(a || b));
  if (!m.hasAudio && !m.hasVideo) {
    ui.notice('media', () => t('notice.receiveOnly', { reason: reason(m.audioReason, m.videoReason) }), null, 'warn');
  } else if (!m.hasVideo) {
    ui.notice('media', () => t('notice.noCamera', { reason: reason(m.videoReason) }), null, 'warn');
  } else if (!m.hasAudio) {
    ui.notice('media', () => t('notice.noMic', { reason: reason(m.audioReason) }), null, 'warn');
  } else {
    ui.notice('media', null);
  }
}

async function connect() {
  const gen = ++S.generation;
  S.phase = 'connecting';
  ui.setStatus('status.connecting');
  const sig = new Signaling(defaultSignalingUrl(), { log });
  S.sig = sig;
  sig.addEventListener('message', (ev) => gen === S.generation && onMessage(ev.detail));
  sig.addEventListener('close', (ev) => gen === S.generation && onClosed(ev.detail));
  try {
    await sig.connect();
  } catch (err) {
    log('error', { what: 'websocket', error: String(err) });
    return; // the 'close' event schedules the next attempt
  }
  if (gen !== S.generation) return;
  S.phase = 'joining';
  ui.setStatus('status.joining');
  const msg = { type: 'join', room: S.room, name: S.name };
  if (S.token) msg.token = S.token;
  if (S.pin) msg.pin = S.pin;
  sig.send(msg);
}

// ---- server messages ----

function onMessage(msg) {
  switch (msg.type) {
    case 'joined': return onJoined(msg);
    case 'participant-joined': return onParticipantJoined(msg);
    case 'participant-left': return onParticipantLeft(msg);
    case 'active-speaker': return onActiveSpeaker(msg);
    case 'video-paused': return onVideoPaused(msg);
    case 'link': return onLink(msg);
    case 'answer':
      if (S.session && typeof msg.sdp === 'string') S.session.handleAnswer(msg.sdp);
      else log('drop', { reason: 'answer without session or sdp' });
      return undefined;
    case 'offer':
      if (S.session && typeof msg.sdp === 'string') S.session.handleOffer(msg.sdp, msg.tracks);
      else log('drop', { reason: 'offer without session or sdp' });
      return undefined;
    case 'candidate':
      if (S.session) S.session.handleCandidate(msg.pc, msg.candidate, msg.sdpMid);
      return undefined;
    case 'layers':
      if (S.session && Array.isArray(msg.active)) S.session.handleLayers(msg.mid, msg.active);
      return undefined;
    case 'pong': return undefined;
    case 'share-stopped': return onShareStopped(msg);
    case 'connected':
      log('connected', { pc: msg.pc });
      return undefined;
    case 'error':
      bus.emit('error', msg);
      return onServerError(msg);
    default:
      if (bus.dispatch(msg)) return undefined;
      log('drop', { reason: 'unknown message type', type: msg.type });
      return undefined;
  }
}

function validParticipant(p) {
  return p && typeof p === 'object' && typeof p.id === 'string' && p.id !== '' && typeof p.name === 'string';
}

function onJoined(msg) {
  if (S.phase !== 'joining' || typeof msg.id !== 'string') {
    log('drop', { reason: 'unexpected joined', phase: S.phase });
    return;
  }
  const firstJoin = !S.joinedAt;
  S.id = msg.id;
  S.role = typeof msg.role === 'string' ? msg.role : 'member';
  ui.setRoomTitle(S.room, typeof msg.title === 'string' && msg.title ? msg.title : null);
  const own = msg.participant && typeof msg.participant.name === 'string' ? msg.participant.name : '';
  if (own && own !== S.name) {
    S.name = own; // a join token's name is the one everybody sees, on our own tile too
    if (S.media) ui.setLocal(S.media.stream, S.name);
  }
  if (firstJoin) {
    S.joinedAt = Date.now(); // kept over a rejoin: the meeting goes on
    ui.setClock(S.joinedAt);
    document.getElementById('mic').focus(); // keyboard users land on the controls
  }
  S.phase = 'joined';
  S.attempts = 0;
  ui.notice('rejoin', null);
  ui.setBusy(false);
  // After a rejoin the tiles of the previous session are still up (dimmed): keep those of the
  // people still here, drop the others.
  const others = (Array.isArray(msg.participants) ? msg.participants : []).filter((p) => validParticipant(p) && p.id !== S.id);
  for (const id of ui.tileIds()) {
    if (!others.some((p) => p.id === id)) ui.removeTile(id);
  }
  S.participants.clear();
  S.videoPaused.clear();
  ui.setStale(false);
  for (const p of others) addParticipant(p.id, p.name);
  updateCount();
  bus.emit('joined', { self: S.id, role: S.role, room: S.room, participants: others, msg });
  const session = new MediaSession({ send: (m) => S.sig && S.sig.send(m), log, simulcast });
  S.session = session;
  session.addEventListener('remote', applyRemote);
  session.addEventListener('state', onPcState);
  session.addEventListener('ice', onIceRestart);
  session.addEventListener('error', (ev) => {
    ui.showError(`webrtc-${ev.detail.pc}`, () => t('error.negotiation', { message: ev.detail.message }));
  });
  session.publish(S.media.stream);
  S.view = new ViewReporter({ send: (m) => S.sig && S.sig.send(m), root: document.getElementById('grid') });
  S.view.start();
  updateStatus();
  startStats();
}

function addParticipant(id, name) {
  S.participants.set(id, { name });
  ui.upsertTile(id, name);
  ui.setVideoPaused(id, S.videoPaused.has(id));
  restorePin(id, name);
  applyRemote();
}

function updateCount() {
  ui.setCount(S.participants.size + 1, S.phase === 'joined');
}

function onParticipantJoined(msg) {
  const p = msg.participant;
  if (S.phase !== 'joined' || !validParticipant(p) || p.id === S.id) {
    log('drop', { reason: 'bad participant-joined' });
    return;
  }
  const known = S.participants.has(p.id);
  addParticipant(p.id, p.name);
  updateCount();
  if (!known) ui.toast(() => t('event.joined', { name: p.name }));
  bus.emit('participant-joined', { participant: p });
}

/** The server's dominant speaker and who speaks now (docs/signaling.md): the dominant speaker's
 *  tile is marked and shown first, the speaking ones get the speaking highlight. */
function onActiveSpeaker(msg) {
  const ok = (msg.id === null || typeof msg.id === 'string') && Array.isArray(msg.speaking) &&
    msg.speaking.every((id) => typeof id === 'string');
  if (!ok) {
    log('drop', { reason: 'bad active-speaker', type: msg.type });
    return;
  }
  const before = new Set(S.speaker.speaking);
  S.speaker = { id: msg.id, speaking: msg.speaking.slice() };
  const now = new Set(S.speaker.speaking);
  for (const id of new Set([...before, ...now])) ui.setSpeaking(id, now.has(id));
  ui.setDominantSpeaker(msg.id, msg.id !== null && msg.id === S.id);
}

/** The server stopped or resumed sending us a participant's video (last-N, docs/signaling.md). */
function onVideoPaused(msg) {
  if (typeof msg.participant !== 'string' || typeof msg.paused !== 'boolean') {
    log('drop', { reason: 'bad video-paused' });
    return;
  }
  if (msg.paused) S.videoPaused.add(msg.participant);
  else S.videoPaused.delete(msg.participant);
  ui.setVideoPaused(msg.participant, msg.paused);
}

function toggleFollow() {
  S.follow = !S.follow;
  writeStorage('hoinghi.follow', S.follow ? '1' : '0');
  ui.setFollow(S.follow);
}

/** The server's estimate of our downlink (docs/signaling.md), every 2 s: shown in the top bar
 *  and in the stats (stats.js). */
function onLink(msg) {
  const ok = typeof msg.bps === 'number' && Number.isFinite(msg.bps) && msg.bps >= 0 &&
    typeof msg.source === 'string' && (msg.loss === undefined || typeof msg.loss === 'number');
  if (!ok) {
    log('drop', { reason: 'bad link', type: msg.type });
    return;
  }
  S.link = { bps: msg.bps, source: msg.source, loss: msg.loss ?? 0, at: Date.now() };
  ui.setLink(S.link);
}

function onParticipantLeft(msg) {
  if (typeof msg.id !== 'string' || !S.participants.has(msg.id)) {
    log('drop', { reason: 'participant-left for an unknown id', id: msg.id });
    return;
  }
  const { name } = S.participants.get(msg.id);
  S.participants.delete(msg.id);
  S.videoPaused.delete(msg.id);
  ui.removeTile(msg.id);
  ui.setScreen(msg.id, null, null);
  S.quality.forget(msg.id);
  if (S.pinned === msg.id) {
    S.pinned = null;
    ui.setPinned(null);
  }
  updateCount();
  const key = { disconnected: 'event.disconnected', timeout: 'event.timeout' }[msg.reason] || 'event.left';
  ui.toast(() => t(key, { name }));
  bus.emit('participant-left', { id: msg.id, reason: msg.reason });
}

/** Gives every participant's tile the tracks the latest offer maps to it. */
function applyRemote() {
  if (!S.session) return;
  const map = S.session.remoteTracks();
  for (const [id, p] of S.participants) {
    const tracks = map.get(id) || { audio: [], video: [], screen: [] };
    ui.setTileTracks(id, tracks, onAutoplayBlocked);
    ui.setScreen(id, p.name, tracks.screen[0] || null);
  }
  for (const id of map.keys()) {
    if (!S.participants.has(id)) log('warn', { what: 'tracks for an unknown participant', id });
  }
}

function onAutoplayBlocked() {
  ui.notice('autoplay', () => t('audio.blocked'), {
    key: 'audio.enable',
    onClick: () => {
      ui.resumePlayback();
      ui.notice('autoplay', null);
    },
  }, 'warn');
}

/** "phòng họp đã đủ người." -> "Phòng họp đã đủ người." */
function sentence(text) {
  return text ? text[0].toLocaleUpperCase(getLang()) + text.slice(1) : text;
}

function onServerError(msg) {
  if (msg.ref === 'minutes-get' && msg.code === 'bad-state') return; // minutes.js asks again
  const code = typeof msg.code === 'string' ? msg.code : 'unknown';
  let message = typeof msg.message === 'string' ? msg.message : '';
  S.lastError = { code, message, ref: typeof msg.ref === 'string' ? msg.ref : null };
  log('error', { what: 'server error', ...S.lastError });
  if (msg.ref === 'restart-ice' && S.phase === 'joined') {
    // The server cannot restart our `sub` connection (full ICE): a new session instead.
    log('error', { what: 'ICE restart refused, rejoining' });
    ui.notice('ice', null);
    S.sig.close(1000, 'media failed');
    lost();
    return;
  }
  // A refusal we know is said in the page's language, as a sentence of its own; the server's
  // English detail is shown only for codes this client does not know.
  const known = hasKey(`error.${code}`);
  const text = () => (known ? sentence(t(`error.${code}`)) : t('error.server', { text: t('error.unknown', { code }) }));
  if (known) message = '';
  if (S.phase === 'joining' && code === 'server-busy') {
    // Admission control: nothing was made for us; the form says how long, then we try again.
    const { room, name, pin } = S;
    const wait = Number.isInteger(msg.retry_after) && msg.retry_after > 0 ? Math.min(msg.retry_after, 600) : 10;
    teardownAll();
    showForm({ room, name, fieldErrors: {}, askPin: Boolean(pin) });
    ui.showError('server', () => t('error.server-busy', { n: wait }));
    clearTimeout(S.busyRetryTimer);
    S.busyRetryTimer = setTimeout(() => {
      if (S.phase === 'idle') join(room, name, pin);
    }, wait * 1000);
    return;
  }
  if (S.phase === 'joining' && (msg.ref === 'join' || FATAL_JOIN_ERRORS.has(code))) {
    const { room, name } = S;
    teardownAll();
    setUrl(null, null);
    const fieldErrors = code === 'room-not-found' ? { room: 'form.room.notFound' }
      : code === 'bad-pin' ? { pin: 'form.pin.wrong' } : {};
    showForm({ room, name, fieldErrors, askPin: PIN_ERRORS.has(code) });
    ui.showError('server', text, message);
    return;
  }
  ui.showError(`server-${code}`, text, message);
}

// ---- connection state, loss and rejoin ----

function onPcState() {
  if (S.phase !== 'joined' || !S.session) return;
  // A failed connection is restarted by the session's ICE watchdog ('ice' events below).
  updateStatus();
}

/** The session restarts ICE on a connection interrupted for 2 s (a network change): the
 *  participant stays in the room; only when the restarts give up do we rejoin. */
function onIceRestart(ev) {
  if (S.phase !== 'joined') return;
  const { pc, phase } = ev.detail;
  if (phase === 'restarting') {
    ui.notice('ice', () => t('status.reconnectingMedia'), null, 'warn');
  } else if (phase === 'recovered') {
    const st = S.session.connectionStates();
    if (st.pub !== 'failed' && st.sub !== 'failed') ui.notice('ice', null);
  } else if (phase === 'gave-up') {
    log('error', { what: 'media connection failed', pc });
    ui.notice('ice', null);
    S.sig.close(1000, 'media failed'); // close event is ignored (byClient): we rejoin ourselves
    lost();
    return;
  }
  updateStatus();
}

function updateStatus() {
  if (S.phase !== 'joined') return;
  const st = S.session ? S.session.connectionStates() : {};
  const states = [st.pub, st.sub].filter(Boolean);
  if (states.some((s) => s === 'disconnected')) ui.setStatus('status.mediaFailed', null, 'warn');
  else if (states.some((s) => s === 'new' || s === 'connecting' || s === 'checking')) ui.setStatus('status.mediaConnecting');
  else ui.setStatus('status.joined', null, 'ok');
}

function onClosed({ code, reason, byClient }) {
  log('close', { code, reason, byClient });
  if (byClient) return;
  S.sig = null;
  if (S.phase === 'idle') return;
  if (code === 1008) ui.showError('policy', () => t('error.policy'), reason);
  if (code === 4001 || code === 4002) { // removed by the chair / the meeting ended: no rejoin
    const { room, name } = S;
    teardownAll();
    return ui.showJoin({ room, name });
  }
  lost();
}

/** The server is gone (or our media is): drop the session and try again in a moment. */
function lost() {
  S.generation++;
  teardownSession();
  if (S.sig) S.sig.close(1000);
  S.sig = null;
  // Keep the tiles, dimmed and without media, until the rejoin says who is still here.
  for (const id of S.participants.keys()) ui.setTileTracks(id, { audio: [], video: [] });
  ui.setStale(true);
  scheduleRejoin();
  updateCount();
}

function scheduleRejoin() {
  S.phase = 'reconnecting';
  const delay = REJOIN_DELAYS_MS[Math.min(S.attempts, REJOIN_DELAYS_MS.length - 1)];
  S.attempts++;
  S.rejoinDue = performance.now() + delay;
  const seconds = () => Math.max(0, Math.ceil((S.rejoinDue - performance.now()) / 1000));
  ui.setStatus('status.offline', null, 'warn');
  const render = () => t('status.lost', { s: seconds() });
  ui.notice('rejoin', render, { key: 'reconnect.now', onClick: rejoinNow }, 'warn');
  clearInterval(S.countdownTimer);
  S.countdownTimer = setInterval(() => ui.notice('rejoin', render, { key: 'reconnect.now', onClick: rejoinNow }, 'warn'), 1000);
  clearTimeout(S.rejoinTimer);
  S.rejoinTimer = setTimeout(rejoinNow, delay);
}

function rejoinNow() {
  if (S.phase !== 'reconnecting') return;
  clearTimeout(S.rejoinTimer);
  clearInterval(S.countdownTimer);
  ui.notice('rejoin', () => t('status.rejoining'), null, 'warn');
  connect();
}

// ---- leaving ----

function leave() {
  if (S.phase === 'idle') return;
  if (S.sig) S.sig.send({ type: 'leave' });
  const { room, name } = S;
  teardownAll();
  setUrl(null, null);
  showForm({ room, name });
  ui.toast(() => t('event.youLeft'));
}

function teardownSession() {
  if (S.share) {
    S.share.stop();
    S.share = null;
    ui.setSharing(false);
  }
  for (const id of ui.screenIds()) ui.setScreen(id, null, null);
  clearInterval(S.statsTimer);
  S.statsTimer = 0;
  if (S.session) S.session.close();
  S.session = null;
  if (S.view) S.view.stop();
  S.view = null;
  S.id = null;
  S.link = null;
  ui.setLink(null);
}

function teardownAll() {
  S.generation++;
  S.phase = 'idle';
  clearTimeout(S.rejoinTimer);
  clearInterval(S.countdownTimer);
  teardownSession();
  if (S.sig) S.sig.close(1000, 'leave');
  S.sig = null;
  if (S.media) stopMedia(S.media.stream);
  S.media = null;
  ui.clearRemoteTiles();
  ui.setStale(false);
  bus.emit('left', null);
  S.joinedAt = 0;
  S.pinned = null;
  ui.setPinned(null);
  S.participants.clear();
  S.videoPaused.clear();
  for (const id of ['rejoin', 'ice', 'autoplay', 'media', 'invite']) ui.notice(id, null);
  ui.setStatus(null);
}

// ---- controls ----

function toggleMic() {
  const track = S.media && S.media.stream.getAudioTracks()[0];
  if (!track) return;
  S.micOn = !S.micOn;
  track.enabled = S.micOn; // no renegotiation: the sender transmits silence
  showLocalMedia();
  bus.send({ type: 'state', audio: S.micOn });
}

function toggleCam() {
  const track = S.media && S.media.stream.getVideoTracks()[0];
  if (!track) return;
  S.camOn = !S.camOn;
  track.enabled = S.camOn; // no renegotiation: the sender transmits black frames
  showLocalMedia();
  bus.send({ type: 'state', video: S.camOn });
}

async function copyInvite() {
  const url = `${window.location.origin}${window.location.pathname}?room=${encodeURIComponent(S.room)}`;
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(url);
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (!ok) ok = legacyCopy(url);
  if (ok) ui.toast(() => t('invite.copied'));
  else ui.notice('invite', () => t('invite.manual', { url }), { key: 'dismiss', onClick: () => ui.notice('invite', null) });
}

/** Clipboard copy for plain-http pages, where navigator.clipboard does not exist. */
function legacyCopy(text) {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

function toggleLang() {
  setLang(getLang() === 'vi' ? 'en' : 'vi');
  // The choice is stored; a ?lang= left in the address bar would undo it on reload.
  const url = new URL(window.location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.delete('lang');
    window.history.replaceState(null, '', url);
  }
}

// ---- stats ----

function startStats() {
  clearInterval(S.statsTimer);
  S.statsTimer = setInterval(async () => {
    if (S.statsBusy || !S.session) return;
    S.statsBusy = true;
    try {
      const st = await collectStats(S.session, S.participants, S.link);
      const now = performance.now();
      for (const p of st.participants) {
        ui.setSpeaking(p.id, p.audioLevel > SPEAKING_LEVEL || S.speaker.speaking.includes(p.id));
        const grade = S.quality.grade(p, now, p.mids.length > 1 && !S.videoPaused.has(p.id));
        if (grade) ui.setQuality(p.id, grade);
      }
    } catch (err) {
      log('warn', { what: 'getStats', error: String(err) });
    } finally {
      S.statsBusy = false;
    }
  }, STATS_INTERVAL_MS);
}

const emptyStats = () => ({ participants: [], local: { audio: null, video: null }, pub: null, sub: null, srtpCipher: null, link: null });

// ---- test and debugging hooks ----

window.hoinghi = Object.freeze({
  version: 1,
  /** A snapshot of the client's state (plain data). */
  state() {
    const st = S.session ? S.session.connectionStates() : { pub: null, sub: null };
    return {
      phase: S.phase,
      room: S.room,
      name: S.name,
      role: S.role,
      id: S.id,
      lang: getLang(),
      participants: [...S.participants].map(([id, p]) => ({ id, name: p.name })),
      connection: { signaling: S.sig && S.sig.isOpen ? 'open' : 'closed', pub: st.pub, sub: st.sub },
      local: S.media
        ? { hasAudio: S.media.hasAudio, hasVideo: S.media.hasVideo, micOn: S.micOn, camOn: S.camOn,
            audioReason: S.media.audioReason, videoReason: S.media.videoReason }
        : null,
      reconnectAttempts: S.attempts,
      lastError: S.lastError,
      activeSpeaker: { id: S.speaker.id, speaking: S.speaker.speaking.slice() },
      videoPaused: [...S.videoPaused],
      follow: S.follow,
      sharing: Boolean(S.share),
      screens: ui.screenIds(),
      link: S.link ? { ...S.link } : null,
    };
  },
  /** Per remote participant media counters and our own outbound ones (see stats.js). */
  async stats() {
    return S.session ? collectStats(S.session, S.participants, S.link) : emptyStats();
  },
  /** The tracks the pub connection sends: [{kind, label, enabled, readyState}]. */
  sending() {
    const pc = S.session && S.session.pcs.pub;
    return pc ? pc.getSenders().filter((x) => x.track).map((x) => ({
      kind: x.track.kind, label: x.track.label, enabled: x.track.enabled, readyState: x.track.readyState,
    })) : [];
  },
  /** Sends a raw message as this participant (tests: a forged or refused request). */
  send: (msg) => bus.send(msg),
  /** The last few hundred protocol events (for test failure reports). */
  log() {
    return logBuffer.slice();
  },
});

// ---- start ----

function start() {
  initLang(params.get('lang'));
  ui.init({
    onJoin: join,
    onMic: toggleMic,
    onCam: toggleCam,
    onFollow: toggleFollow,
    onShare: toggleShare,
    onPin: (id) => {
      S.pinned = S.pinned === id ? null : id;
      if (!ui.setPinned(S.pinned)) S.pinned = null;
      rememberPin(S.pinned);
    },
    onLeave: leave,
    onInvite: copyInvite,
    onLang: toggleLang,
  });
  ui.setFollow(S.follow);
  initDrawer();
  document.addEventListener('keydown', onShortcut);
  const panel = devices.meetingDevicesPanel(switchDevice);
  registerPanel('devices', 'devices.title', 'i-gear', panel.section);
  ui.setSpeaker(devices.chosen().speakerId);
  initChat();
  initVotes();
  initMinutes();
  initParticipants({ setLocked: lockMedia, state: () => ({ audio: !!(S.media && S.media.hasAudio && S.micOn), video: !!(S.media && S.media.hasVideo && S.camOn) }),
    turnOn: (kind) => { if (!(kind === 'audio' ? S.micOn : S.camOn)) (kind === 'audio' ? toggleMic : toggleCam)(); } });
  bus.setSender((m) => (S.sig && S.phase === 'joined' ? S.sig.send(m) : false));
  // Closing the tab: say goodbye so the others see us go at once.
  window.addEventListener('pagehide', () => {
    if (S.sig && S.phase === 'joined') S.sig.send({ type: 'leave' });
  });
  const room = params.get('room');
  const name = params.get('name');
  if (room && name) {
    join(room, name); // invitation link with a name: join at once
  } else {
    showForm({ room: room || '', name: readStorage('hoinghi.name') || '' });
  }
}

start();
