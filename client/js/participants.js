// The participants panel and the chair's controls (docs/signaling.md "Moderation"): everyone's
// role, microphone/camera and raised hand from `participant-updated`; a raise-hand toolbar
// button; the muted badge on tiles; the chair's mute / ask / floor / remove / chair-rights per
// row and mute all, lower hands, lock and end at the top. The server decides everything: this
// module only reflects its messages and sends requests. It reaches the local media through the
// two callbacks app.js gives init() (never by importing app.js).

import * as bus from './bus.js';
import { registerPanel } from './drawer.js';
import { t, onLangChange } from './i18n.js';
import * as ui from './ui.js';

const people = new Map(); // id -> participant state (the participant-updated fields)
let self = null; // our id
let locked = false; // the room
let panel = null;
let list = null;
let top = null;
let handBtn = null;
let media = null; // {setLocked(kind, locked), turnOn(kind), state() -> {audio, video}}

const me = () => people.get(self) || {};
const mayChair = () => !!me().chair;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(key, onClick, cls = 'btn small') {
  const b = el('button', cls, t(key));
  b.type = 'button';
  b.dataset.action = key;
  b.addEventListener('click', onClick);
  return b;
}

function moderate(action, participant, kind) {
  const msg = { type: 'moderate', action };
  if (participant) msg.participant = participant;
  if (kind) msg.kind = kind;
  bus.send(msg);
}

/** Rows ordered: raised hands first in queue order, then join order. */
function ordered() {
  const all = [...people.values()];
  const raised = all.filter((p) => p.hand).sort((a, b) => a.hand - b.hand);
  return raised.concat(all.filter((p) => !p.hand));
}

function roleLabel(p) {
  return t(`role.${p.role || 'member'}`) + (p.chair && p.role !== 'chair' ? ` · ${t('role.chairRights')}` : '');
}

function row(p) {
  const li = el('li', 'person');
  li.dataset.participantId = p.id;
  const who = el('div', 'who');
  who.append(el('span', 'name', p.id === self ? t('tile.you', { name: p.name }) : p.name), el('span', 'role', roleLabel(p)));
  const state = el('div', 'state');
  if (p.hand) state.append(el('span', 'hand', t('mod.handN', { n: p.hand })));
  if (p.presenting) state.append(el('span', 'presenting', t('mod.presenting')));
  state.append(el('span', p.audio ? 'mic on' : 'mic off', t(p.audio_locked ? 'mod.micLocked' : p.audio ? 'mod.micOn' : 'mod.micOff')));
  state.append(el('span', p.video ? 'cam on' : 'cam off', t(p.video_locked ? 'mod.camLocked' : p.video ? 'mod.camOn' : 'mod.camOff')));
  li.append(who, state);
  if (mayChair() && p.id !== self) {
    const ctl = el('div', 'controls');
    if (p.audio_locked) ctl.append(button('mod.askUnmute', () => moderate('ask-unmute', p.id, 'audio')));
    else ctl.append(button('mod.mute', () => moderate('mute', p.id, 'audio')));
    if (p.video_locked) ctl.append(button('mod.allowCam', () => moderate('allow-unmute', p.id, 'video')));
    else ctl.append(button('mod.muteCam', () => moderate('mute', p.id, 'video')));
    if (p.hand) ctl.append(button('mod.giveFloor', () => moderate('give-floor', p.id)));
    if (p.presenting) ctl.append(button('mod.stopShare', () => moderate('stop-share', p.id)));
    if (p.role === 'secretary') {
      ctl.append(p.chair ? button('mod.revokeChair', () => moderate('revoke-chair', p.id))
        : button('mod.grantChair', () => moderate('grant-chair', p.id)));
    }
    ctl.append(button('mod.remove', () => { if (window.confirm(t('mod.removeConfirm', { name: p.name }))) moderate('remove', p.id); }, 'btn small danger'));
    li.append(ctl);
  }
  return li;
}

function render() {
  if (!list) return;
  top.replaceChildren();
  if (mayChair()) {
    top.append(button('mod.muteAll', () => moderate('mute-all', null, 'audio')),
      button('mod.lowerHands', () => moderate('lower-hands')),
      button(locked ? 'mod.unlock' : 'mod.lock', () => moderate(locked ? 'unlock' : 'lock')),
      button('mod.end', () => { if (window.confirm(t('mod.endConfirm'))) moderate('end'); }, 'btn small danger'));
  }
  if (locked) top.append(el('p', 'locked', t('mod.locked')));
  list.replaceChildren(...ordered().map(row));
  const hands = [...people.values()].filter((p) => p.hand).length;
  panel.setBadge(mayChair() ? hands : 0);
  if (handBtn) {
    const up = !!me().hand;
    handBtn.setAttribute('aria-pressed', String(up));
    handBtn.querySelector('.label').textContent = t(up ? 'mod.lowerMyHand' : 'mod.raiseHand');
    handBtn.title = handBtn.querySelector('.label').textContent;
  }
}

/** A participant's state arrived: the list, the tile badge, our own media lock. */
function update(p) {
  if (!p || typeof p.id !== 'string' || typeof p.name !== 'string') return;
  const before = people.get(p.id);
  people.set(p.id, { ...before, ...p });
  if (p.id !== self) ui.setTileMuted(p.id, p.audio === false || p.audio_locked === true);
  if (p.id === self && media) {
    for (const kind of ['audio', 'video']) {
      const was = before ? before[`${kind}_locked`] : false;
      const now = !!p[`${kind}_locked`];
      if (now !== was || !before) media.setLocked(kind, now);
      if (now && !was && before) ui.toast(() => t(kind === 'audio' ? 'mod.youMuted' : 'mod.youCamOff'));
    }
  }
  render();
}

function onJoined({ self: id, msg }) {
  people.clear();
  self = id;
  locked = false;
  for (const p of msg.participants || []) update(p);
  if (msg.participant) update(msg.participant);
  else people.set(id, { id, name: '', role: msg.role });
  if (media) { // the server starts with both on: tell it what the user chose before joining
    const s = media.state();
    bus.send({ type: 'state', audio: s.audio, video: s.video });
  }
  render();
}

function onUnmuteRequest(msg) {
  const kind = msg.kind === 'video' ? 'video' : 'audio';
  ui.notice('unmute-request', () => t(kind === 'audio' ? 'mod.askedMic' : 'mod.askedCam'), {
    key: 'mod.accept',
    onClick: () => { ui.notice('unmute-request', null); if (media) media.turnOn(kind); },
  }, 'warn');
}

function createHandButton() {
  handBtn = document.createElement('button');
  handBtn.className = 'btn ctl secondary';
  handBtn.type = 'button';
  handBtn.id = 'hand';
  handBtn.setAttribute('aria-pressed', 'false');
  handBtn.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><use href="#i-hand"/></svg><span class="label"></span>';
  handBtn.addEventListener('click', () => bus.send({ type: 'hand', raised: !me().hand }));
  document.getElementById('controls').insertBefore(handBtn, document.getElementById('leave'));
}

/** m: {setLocked(kind, locked), turnOn(kind), state() -> {audio, video}} from app.js. */
export function initParticipants(m) {
  media = m;
  const section = document.createElement('section');
  section.id = 'participants';
  top = el('div', 'mod-top');
  list = el('ul', 'people');
  section.append(top, list);
  panel = registerPanel('participants', 'panel.participants', 'i-people', section);
  createHandButton();
  onLangChange(render);
  bus.listen('joined', onJoined);
  bus.listen('participant-joined', ({ participant }) => update(participant));
  bus.listen('participant-left', ({ id }) => { people.delete(id); render(); });
  bus.listen('left', () => { people.clear(); self = null; ui.notice('unmute-request', null); render(); });
  bus.on('participant-updated', (msg) => update(msg.participant));
  bus.on('unmute-request', onUnmuteRequest);
  bus.on('room-state', (msg) => { locked = msg.locked === true; render(); });
  bus.on('ack', () => {});
  bus.on('removed', () => ui.showError('removed', () => t('mod.removed')));
  bus.on('meeting-ended', () => ui.showError('ended', () => t('mod.ended')));
  render();
}
