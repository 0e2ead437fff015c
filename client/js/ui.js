// Everything that touches the DOM. app.js decides, this file shows.
// Dynamic texts are registered with live(): they are re-rendered when the language changes.

import { t, onLangChange, applyTranslations } from './i18n.js';
import { roomSlug } from './slug.js';

const $ = (id) => document.getElementById(id);

const liveTexts = new Set(); // {el, render}
let handlers = {};

/** Sets el.textContent from render() now and after every language change. */
function live(el, render) {
  for (const entry of liveTexts) if (entry.el === el) liveTexts.delete(entry);
  const entry = { el, render };
  liveTexts.add(entry);
  el.textContent = render();
  return entry;
}

function rerender() {
  for (const entry of liveTexts) {
    if (!entry.el.isConnected) liveTexts.delete(entry);
    else entry.el.textContent = entry.render();
  }
  updateTileNames();
  syncTitles();
  syncPageTitle();
}

/** Control buttons show only icons on small screens: give them the label as a tooltip too. */
function syncTitles() {
  document.querySelectorAll('.btn.ctl').forEach((btn) => {
    btn.title = btn.querySelector('.label').textContent;
  });
}

/** Up to two letters for a name's avatar: first and last word ("Nguyễn Văn An" -> "NA"). */
export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0];
  const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return (first + last).toLocaleUpperCase('vi');
}

/** Wires the static controls to `h`: {onJoin(room, name, pin), onMic, onCam, onLeave, onInvite,
 *  onLang, onFollow}. */
export function init(h) {
  handlers = h;
  applyTranslations(document);
  onLangChange(rerender);
  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    handlers.onJoin($('room').value, $('name').value, $('pin-field').hidden ? '' : $('pin').value);
  });
  $('pin').addEventListener('input', () => setFieldError('pin', null));
  $('room').addEventListener('input', () => {
    setFieldError('room', null);
    showSlug();
  });
  $('name').addEventListener('input', () => setFieldError('name', null));
  $('mic').addEventListener('click', () => handlers.onMic());
  $('cam').addEventListener('click', () => handlers.onCam());
  $('leave').addEventListener('click', () => handlers.onLeave());
  $('invite').addEventListener('click', () => handlers.onInvite());
  $('follow').addEventListener('click', () => handlers.onFollow());
  $('share').addEventListener('click', () => handlers.onShare());
  $('lang').addEventListener('click', () => handlers.onLang());
  new ResizeObserver(layoutGrid).observe($('grid').parentElement);
}

// ---- join form ----

/** Shows the join form, prefilled; `fieldErrors` = {room?: key, name?: key, pin?: key};
 * `askPin`: show the PIN field (the server answered auth-required or bad-pin). */
export function showJoin({ room = '', name = '', fieldErrors = {}, askPin = false } = {}) {
  $('meeting-view').hidden = true;
  $('controls').hidden = true;
  $('room-info').hidden = true;
  $('join-view').hidden = false;
  document.body.classList.remove('in-meeting');
  setBusy(false);
  if (room) $('room').value = room;
  if (name) $('name').value = name;
  showSlug();
  setFieldError('room', fieldErrors.room || null);
  setFieldError('name', fieldErrors.name || null);
  $('pin-field').hidden = !askPin;
  if (askPin) $('pin').value = '';
  setFieldError('pin', fieldErrors.pin || null);
  setClock(0);
  syncPageTitle();
  const focus = fieldErrors.room || !$('room').value ? 'room' : askPin ? 'pin' : 'name';
  $(focus).focus();
}

/** Under the room field: the room id the typed name becomes ("Sở Y tế" -> so-y-te), when it
 *  differs from what was typed. */
function showSlug() {
  const el = $('room-slug');
  const typed = $('room').value.trim();
  const { slug, error } = roomSlug(typed);
  if (!typed || error || slug === typed) {
    el.hidden = true;
    return;
  }
  live(el, () => t('form.room.slug', { slug }));
  el.hidden = false;
}

/** Shows or clears the message under a form field (key: an i18n key or null). */
export function setFieldError(field, key) {
  const el = $(`${field}-error`);
  const input = $(field);
  if (!key) {
    el.hidden = true;
    liveTexts.forEach((e) => e.el === el && liveTexts.delete(e));
    input.removeAttribute('aria-invalid');
    return;
  }
  live(el, () => t(key));
  el.hidden = false;
  input.setAttribute('aria-invalid', 'true');
}

/** Disables the form while joining. */
export function setBusy(busy) {
  const btn = $('join-btn');
  btn.disabled = busy;
  btn.dataset.i18n = busy ? 'form.joining' : 'form.submit';
  btn.textContent = t(btn.dataset.i18n);
}

// ---- meeting view ----

export function showMeeting(room) {
  $('join-view').hidden = true;
  $('meeting-view').hidden = false;
  $('controls').hidden = false;
  $('room-info').hidden = false;
  document.body.classList.add('in-meeting');
  setRoomTitle(room, null);
  syncTitles();
  layoutGrid();
}

const pageTitle = { title: null, n: 0 };

/** The top bar and the page title name the room by its title when it has one:
 *  "(3) Giao ban tuần - hoinghi". title null: the room id. */
export function setRoomTitle(room, title) {
  pageTitle.title = title || room;
  live($('room-label'), () => t('room.label', { room: pageTitle.title }));
  syncPageTitle();
}

function syncPageTitle() {
  const inMeeting = document.body.classList.contains('in-meeting');
  document.title = inMeeting && pageTitle.title
    ? `${pageTitle.n ? `(${pageTitle.n}) ` : ''}${pageTitle.title} - hoinghi`
    : t('app.title');
}

let clock = { timer: 0, since: 0 };

/** The meeting's elapsed time in the top bar, counted from `since` (ms, Date.now()); 0 stops. */
export function setClock(since) {
  clearInterval(clock.timer);
  clock = { timer: 0, since };
  const el = $('room-clock');
  el.hidden = !since;
  if (!since) return;
  const tick = () => {
    const s = Math.max(0, Math.floor((Date.now() - clock.since) / 1000));
    const hh = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    el.textContent = hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  };
  tick();
  clock.timer = setInterval(tick, 1000);
}

/** The keyboard shortcuts help (?). */
export function toggleHelp() {
  const d = $('help');
  if (d.open) d.close();
  else d.showModal();
}

/** Updates the participant count in the top bar (everyone, including us); `inRoom` false hides
 *  the "nobody else is here" hint (we do not know yet). */
export function setCount(n, inRoom) {
  live($('room-count'), () => t('room.count', { n }));
  pageTitle.n = inRoom ? n : 0;
  syncPageTitle();
  $('empty').hidden = n > 1 || !inRoom;
}

/** The server's estimate of our downlink (the `link` message): "↓ 734 kbit/s" after the count,
 *  the source and loss as its tooltip; null hides it. */
export function setLink(link) {
  const el = $('room-link');
  if (!link) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const kbps = Math.round(link.bps / 1000);
  el.textContent = kbps >= 10000 ? `↓ ${(kbps / 1000).toFixed(1)} Mbit/s` : `↓ ${kbps} kbit/s`;
  el.title = `${link.source}, ${(link.loss * 100).toFixed(1)} %`;
}

/** Dims the remote tiles while the connection is being re-established. */
export function setStale(stale) {
  $('grid').classList.toggle('stale', stale);
}

/** Status line: `key` null hides it; level is 'ok', 'busy' or 'warn'. */
export function setStatus(key, params, level = 'busy') {
  const el = $('status');
  if (!key) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.dataset.level = level;
  live(el, () => t(key, typeof params === 'function' ? params() : params));
}

// ---- local tile and controls ----

const selfTile = () => document.querySelector('.tile.self');

/** Shows our own camera (mirrored, muted) and name. */
export function setLocal(stream, name) {
  const tile = selfTile();
  const video = $('local-video');
  // Only a stream with a picture: a <video> with nothing to show would hold the page's load
  // event back for ever (receive-only participants).
  const src = stream && stream.getVideoTracks().length ? stream : null;
  if (video.srcObject !== src) video.srcObject = src;
  if (src) video.play().catch(() => {});
  tile.dataset.name = name;
  tile.querySelector('.avatar').textContent = initials(name);
  live(tile.querySelector('.name'), () => t('tile.you', { name }));
}

/** Updates the mic/camera buttons and the local tile: {hasAudio, hasVideo, micOn, camOn,
 *  micLocked, camLocked} (locked: the chair muted it; the button is disabled with a hint). */
export function setLocalMedia({ hasAudio, hasVideo, micOn, camOn, micLocked = false, camLocked = false }) {
  setToggle($('mic'), hasAudio, micOn, 'ctl.mic.off', 'ctl.mic.on', '#i-mic', '#i-mic-off');
  setToggle($('cam'), hasVideo, camOn, 'ctl.cam.off', 'ctl.cam.on', '#i-cam', '#i-cam-off');
  lockToggle($('mic'), micLocked, 'mod.chairMutedYou');
  lockToggle($('cam'), camLocked, 'mod.chairCamOff');
  const tile = selfTile();
  tile.querySelector('.mic-off').hidden = hasAudio && micOn;
  tile.classList.toggle('has-video', hasVideo && camOn);
}

function lockToggle(btn, locked, hintKey) {
  btn.classList.toggle('locked', locked);
  if (!locked) return;
  btn.disabled = true;
  live(btn.querySelector('.label'), () => t(hintKey));
  btn.title = btn.querySelector('.label').textContent;
}

/** The muted badge on participant `id`'s tile (its microphone off, or muted by the chair). */
export function setTileMuted(id, muted) {
  const tile = tileOf(id);
  if (!tile) return;
  let badge = tile.querySelector('.badge.mic-off');
  if (!badge) {
    badge = document.createElement('span');
    badge.className = 'badge mic-off';
    badge.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><use href="#i-mic-off"/></svg>';
    tile.querySelector('figcaption').append(badge);
  }
  badge.hidden = !muted;
  badge.title = t('tile.micOff');
  badge.setAttribute('aria-label', t('tile.micOff'));
  tile.classList.toggle('muted', muted);
}

function setToggle(btn, available, on, offKey, onKey, iconOn, iconOff) {
  btn.disabled = !available;
  const active = available && on;
  btn.classList.toggle('off', !active);
  // A toggle: "pressed" while the device is on; the visible label says what a press does.
  btn.setAttribute('aria-pressed', String(active));
  btn.querySelector('use').setAttribute('href', active ? iconOn : iconOff);
  live(btn.querySelector('.label'), () => t(active ? offKey : onKey));
  btn.title = btn.querySelector('.label').textContent;
}

// ---- remote tiles ----

const tileOf = (id) => document.querySelector(`.tile.remote[data-participant-id="${CSS.escape(id)}"]`);

/** Creates the tile of participant `id` (or renames it). The tile shows the name at once;
 *  video comes later with setTileTracks(). */
export function upsertTile(id, name) {
  let tile = tileOf(id);
  if (!tile) {
    tile = document.createElement('figure');
    tile.className = 'tile remote';
    tile.setAttribute('role', 'listitem');
    tile.dataset.participantId = id;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    for (const ev of ['resize', 'loadeddata', 'playing', 'emptied']) video.addEventListener(ev, () => updateVideoShown(tile));
    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    const caption = document.createElement('figcaption');
    const label = document.createElement('span');
    label.className = 'name';
    const speaking = document.createElement('span');
    speaking.className = 'badge speaking';
    speaking.hidden = true;
    const quality = document.createElement('span');
    quality.className = 'quality';
    quality.hidden = true;
    quality.innerHTML = '<i></i><i></i><i></i>';
    caption.append(label, speaking, quality);
    tile.append(video, avatar, caption, tileTools(tile));
    video.addEventListener('dblclick', () => fullscreen(tile));
    $('grid').append(tile);
    layoutGrid();
  }
  tile.dataset.name = name || '';
  tile.querySelector('.avatar').textContent = initials(name);
  updateTileName(tile);
  return tile;
}

function updateTileName(tile) {
  const name = tile.dataset.name || t('tile.unknown');
  tile.querySelector('.name').textContent = name;
  tile.setAttribute('aria-label', name);
  const badge = tile.querySelector('.badge.speaking');
  badge.title = t('tile.speaking');
  badge.setAttribute('aria-label', t('tile.speaking'));
  if (tile.classList.contains('dominant')) tile.title = t('tile.dominant');
}

function updateTileNames() {
  document.querySelectorAll('.tile.remote').forEach(updateTileName);
  const self = document.querySelector('.tile.self.dominant');
  if (self) self.title = t('tile.dominant');
}

/** Pin and full-screen buttons shown over a tile on hover or focus. */
function tileTools(tile) {
  const tools = document.createElement('div');
  tools.className = 'tile-tools';
  const pin = document.createElement('button');
  pin.type = 'button';
  pin.className = 'tool pin';
  pin.setAttribute('aria-pressed', 'false');
  pin.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><use href="#i-pin"/></svg>';
  pin.addEventListener('click', () => handlers.onPin && handlers.onPin(tile.dataset.participantId || null));
  const full = document.createElement('button');
  full.type = 'button';
  full.className = 'tool full';
  full.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><use href="#i-full"/></svg>';
  full.addEventListener('click', () => fullscreen(tile));
  tools.append(pin, full);
  const render = () => {
    for (const [b, key] of [[pin, 'tile.pin'], [full, 'tile.fullscreen']]) {
      b.title = t(key);
      b.setAttribute('aria-label', t(key));
    }
  };
  render();
  onLangChange(render);
  return tools;
}

/** Shows `el` (a tile, or the stage) full screen; again: back. */
export function fullscreen(el) {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  } else if (el && el.requestFullscreen) {
    el.requestFullscreen().catch(() => {});
  }
}

/** The tile of participant `id` large (pinned), or none (null). */
export function setPinned(id) {
  document.querySelectorAll('.tile.pinned').forEach((el) => {
    el.classList.remove('pinned');
    el.querySelector('.tool.pin').setAttribute('aria-pressed', 'false');
  });
  const tile = id ? tileOf(id) : null;
  if (tile) {
    tile.classList.add('pinned');
    tile.querySelector('.tool.pin').setAttribute('aria-pressed', 'true');
  }
  $('grid').classList.toggle('pinning', Boolean(tile));
  layoutGrid();
  return Boolean(tile);
}

const screenOf = (id) => document.querySelector(`.tile.screen[data-screen-of="${CSS.escape(id)}"]`);

/** The shared screen of participant `id` ('self' for our own) as a large tile first in the
 *  grid, in the presentation layout (the cameras in a row below); track null removes it. */
export function setScreen(id, name, track) {
  let tile = screenOf(id);
  if (!track) {
    if (tile) tile.remove();
  } else {
    if (!tile) {
      tile = document.createElement('figure');
      tile.className = 'tile screen has-video';
      tile.dataset.screenOf = id;
      const video = document.createElement('video');
      video.autoplay = true;
      video.muted = true;
      video.playsInline = true;
      const caption = document.createElement('figcaption');
      const label = document.createElement('span');
      label.className = 'name';
      caption.append(label);
      tile.append(video, caption);
      $('grid').prepend(tile);
    }
    live(tile.querySelector('.name'), () => t(id === 'self' ? 'tile.myScreen' : 'tile.screen', { name }));
    const video = tile.querySelector('video');
    if (!video.srcObject || video.srcObject.getVideoTracks()[0] !== track) video.srcObject = new MediaStream([track]);
    video.play().catch(() => {});
  }
  $('grid').classList.toggle('presentation', !!document.querySelector('.tile.screen'));
  layoutGrid();
}

/** The share button: pressed while we present. Hidden where the browser cannot share. */
export function setSharing(on) {
  const btn = $('share');
  btn.setAttribute('aria-pressed', String(on));
  btn.classList.toggle('active', on);
  live(btn.querySelector('.label'), () => t(on ? 'ctl.share.stop' : 'ctl.share'));
  btn.title = btn.querySelector('.label').textContent;
}

/** The participants whose screen is shown now ('self' included). */
export function screenIds() {
  return [...document.querySelectorAll('.tile.screen')].map((el) => el.dataset.screenOf);
}

/** Removes the tile of participant `id`, if any. */
export function removeTile(id) {
  const tile = tileOf(id);
  if (!tile) return;
  const video = tile.querySelector('video');
  video.srcObject = null;
  tile.remove();
  layoutGrid();
}

/** Removes every remote tile (after a disconnection). */
export function clearRemoteTiles() {
  document.querySelectorAll('.tile.remote').forEach((tile) => removeTile(tile.dataset.participantId));
}

/** Ids of the participants that have a tile. */
export function tileIds() {
  return [...document.querySelectorAll('.tile.remote')].map((el) => el.dataset.participantId);
}

/** Plays `tracks` ({audio: [], video: []}) in the tile of `id`: one <video> element carries the
 *  participant's audio and video. `onBlocked()` is called if the browser refuses to autoplay. */
let speakerId = '';

/** Plays every remote tile's sound on this output device ('' = default) where the browser can. */
export function setSpeaker(id) {
  speakerId = id || '';
  document.querySelectorAll('.tile.remote video').forEach(applySink);
}

function applySink(video) {
  if (typeof video.setSinkId !== 'function' || video.sinkId === speakerId) return;
  video.setSinkId(speakerId).catch(() => {});
}

export function setTileTracks(id, tracks, onBlocked) {
  const tile = tileOf(id);
  if (!tile) return;
  const video = tile.querySelector('video');
  applySink(video);
  const wanted = [...tracks.audio, ...tracks.video];
  const current = video.srcObject ? video.srcObject.getTracks() : [];
  const same = wanted.length === current.length && wanted.every((tr) => current.includes(tr));
  if (!same) {
    video.srcObject = wanted.length ? new MediaStream(wanted) : null;
    // One listener per tile (same function object, so re-adding is a no-op); a recycled track
    // may still carry the listener of a removed tile, which then updates nothing visible.
    tile.updateShown ||= () => updateVideoShown(tile);
    for (const tr of tracks.video) {
      tr.addEventListener('mute', tile.updateShown);
      tr.addEventListener('unmute', tile.updateShown);
    }
  }
  if (video.srcObject) play(video, onBlocked);
  updateVideoShown(tile);
}

function play(video, onBlocked) {
  if (!video.paused) return;
  video.play().catch((err) => {
    if (!err || err.name !== 'NotAllowedError') return;
    // No sound without a click (autoplay policy): show the picture muted meanwhile.
    video.muted = true;
    video.play().catch(() => {});
    if (onBlocked) onBlocked();
  });
}

/** Unmutes and plays every remote tile; call it from a click, which lets the browser play sound. */
export function resumePlayback() {
  document.querySelectorAll('.tile.remote video').forEach((v) => {
    v.muted = false;
    if (v.srcObject) v.play().catch(() => {});
  });
}

function updateVideoShown(tile) {
  const video = tile.querySelector('video');
  const stream = video.srcObject;
  const track = stream && stream.getVideoTracks()[0];
  const paused = tile.classList.contains('video-paused'); // last frame frozen: the avatar instead
  tile.classList.toggle('has-video', !paused && !!track && track.readyState === 'live' && !track.muted && video.videoWidth > 0);
}

/** The server paused (or resumed) sending us `id`'s video (last-N): its tile shows the avatar
 *  (initials) instead of a frozen frame. */
export function setVideoPaused(id, paused) {
  const tile = tileOf(id);
  if (!tile) return;
  tile.classList.toggle('video-paused', paused);
  const avatar = tile.querySelector('.avatar');
  if (paused) avatar.title = t('tile.videoPaused');
  else avatar.removeAttribute('title');
  updateVideoShown(tile);
}

/** Follow-the-speaker: the dominant speaker's tile large above the others. */
export function setFollow(on) {
  $('grid').classList.toggle('follow', on);
  const btn = $('follow');
  btn.setAttribute('aria-pressed', String(on));
  btn.classList.toggle('on', on);
  layoutGrid();
}

/** The tile's connection-quality bars: grade 'good' | 'fair' | 'poor' (quality.js). */
export function setQuality(id, grade) {
  const tile = tileOf(id);
  if (!tile) return;
  const el = tile.querySelector('.quality');
  el.hidden = false;
  el.dataset.grade = grade;
  const text = t(`quality.${grade}`);
  el.title = text;
  el.setAttribute('aria-label', text);
}

/** Marks the tile of `id` as speaking (or not). */
export function setSpeaking(id, on) {
  const tile = tileOf(id);
  if (!tile) return;
  tile.classList.toggle('speaking', on);
  tile.querySelector('.badge.speaking').hidden = !on;
}

/** Marks the dominant speaker's tile (class `dominant`, shown first in the grid) and unmarks the
 *  others; `self` marks our own tile instead (the server says we are the dominant speaker). */
export function setDominantSpeaker(id, self) {
  document.querySelectorAll('.tile.dominant').forEach((tile) => {
    tile.classList.remove('dominant');
    tile.removeAttribute('title');
  });
  const tile = self ? document.querySelector('.tile.self') : id ? tileOf(id) : null;
  if (tile) {
    tile.classList.add('dominant');
    tile.title = t('tile.dominant');
  }
  layoutGrid();
}

/** Picks the column count that gives the largest 16:9 tiles in the stage, and the grid width
 *  at which they all fit (no scrolling, whatever the window's shape). */
export function layoutGrid() {
  const grid = $('grid');
  const stage = grid.parentElement;
  const n = grid.children.length;
  const W = stage.clientWidth;
  const H = stage.clientHeight;
  if (!n || !W || !H) return;
  const gap = parseFloat(getComputedStyle(grid).columnGap) || 0;
  const featured = grid.querySelector('.tile.screen') || grid.querySelector('.tile.pinned') ||
    (grid.classList.contains('follow') && grid.querySelector('.tile.dominant'));
  if (featured && n > 1) {
    // A shared screen, or the speaker when following, across the whole width (CSS:
    // grid-column 1 / -1), the others in one row below.
    const cols = n - 1;
    const w = Math.min(W, (H - gap + ((cols - 1) * gap * 9) / (16 * cols)) / ((9 / 16) * (1 + 1 / cols)));
    grid.style.setProperty('--cols', String(cols));
    grid.style.width = `${Math.floor(w)}px`;
    return;
  }
  let best = { cols: 1, tileW: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const tileW = Math.min((W - (cols - 1) * gap) / cols, ((H - (rows - 1) * gap) / rows) * (16 / 9));
    if (tileW > best.tileW) best = { cols, tileW };
  }
  grid.style.setProperty('--cols', String(best.cols));
  grid.style.width = `${Math.floor(best.cols * best.tileW + (best.cols - 1) * gap)}px`;
}

// ---- messages ----

/**
 * A lasting message in the meeting view (e.g. "receive-only"), replaced by the same `id`.
 * `render` returns the text; `action` = {key, onClick} adds a button. Pass render = null to remove.
 */
export function notice(id, render, action, level = 'info') {
  const box = $('notices');
  let el = box.querySelector(`[data-notice="${CSS.escape(id)}"]`);
  if (!render) {
    if (el) el.remove();
    return;
  }
  if (!el) {
    el = document.createElement('div');
    el.className = 'notice';
    el.dataset.notice = id;
    el.setAttribute('role', 'status');
    box.append(el);
  }
  el.dataset.level = level;
  el.replaceChildren();
  const text = document.createElement('span');
  el.append(text);
  live(text, render);
  if (action) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn small';
    live(btn, () => t(action.key));
    btn.addEventListener('click', action.onClick);
    el.append(btn);
  }
}

/** An error banner (role=alert) with a dismiss button; `render` returns the main text, `detail`
 *  (untranslated, e.g. the server's own message) is shown under it. Banners of the same `id`
 *  replace each other. */
export function showError(id, render, detail) {
  const box = $('alerts');
  let el = box.querySelector(`[data-alert="${CSS.escape(id)}"]`);
  if (el) el.remove();
  el = document.createElement('div');
  el.className = 'alert';
  el.dataset.alert = id;
  el.setAttribute('role', 'alert');
  const body = document.createElement('div');
  const main = document.createElement('p');
  main.className = 'alert-text';
  live(main, render);
  body.append(main);
  if (detail) {
    const small = document.createElement('p');
    small.className = 'alert-detail';
    live(small, () => t('error.detail', { message: detail }));
    body.append(small);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn small ghost';
  live(close, () => t('dismiss'));
  close.addEventListener('click', () => el.remove());
  el.append(body, close);
  box.append(el);
}

/** Removes every error banner. */
export function clearErrors() {
  $('alerts').replaceChildren();
}

/** A short message that goes away by itself. */
export function toast(render, ms = 5000) {
  const el = document.createElement('div');
  el.className = 'toast';
  live(el, render);
  $('toasts').append(el);
  setTimeout(() => el.remove(), ms);
}
