// The lobby (docs/signaling.md, "The lobby"). A newcomer held in a room's lobby sees a waiting
// notice with a cancel button until a chair admits it (then the normal `joined` follows) or
// denies it (a join error app.js shows). A chair sees each new knock as a toast with Admit and
// Deny, and a "waiting" panel in the drawer listing everyone in line, with "admit all".
// Messages only: it talks to the server through bus.js and never imports app.js.

import * as bus from './bus.js';
import * as ui from './ui.js';
import { registerPanel } from './drawer.js';
import { t, onLangChange } from './i18n.js';

const KNOCK_TOAST_MS = 20000;

const L = {
  waiting: [], // the latest lobby-list: [{id, name, role}]
  panel: null, // registerPanel's handle, made on the first lobby-list (only chairs get one)
  section: null,
  wait: null, // our own place in a lobby: {room, position, chair_present}, or null
  knocks: new Map(), // id -> toast element
};

const validWaiting = (w) => w && typeof w.id === 'string' && typeof w.name === 'string';

function admit(id) {
  bus.send(id === null ? { type: 'admit', all: true } : { type: 'admit', participant: id });
}

function deny(id) {
  bus.send({ type: 'deny', participant: id });
}

function button(key, onClick, extra = '') {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn small ${extra}`.trim();
  b.textContent = t(key);
  b.addEventListener('click', onClick);
  return b;
}

// ---- the newcomer ----

function renderWait() {
  if (!L.wait) {
    ui.notice('lobby', null);
    return;
  }
  const { position, chair_present: chair } = L.wait;
  ui.notice('lobby', () => [t('lobby.waiting'), t('lobby.position', { n: position }),
    chair ? '' : t('lobby.noChair')].filter(Boolean).join(' · '),
  { key: 'lobby.cancel', onClick: () => document.getElementById('leave').click() });
  ui.setStatus('status.lobby');
}

bus.on('lobby', (msg) => {
  if (typeof msg.position !== 'number' || typeof msg.chair_present !== 'boolean') return;
  L.wait = { room: msg.room, position: msg.position, chair_present: msg.chair_present };
  renderWait();
});

// ---- chairs ----

function ensurePanel() {
  if (L.panel) {
    document.getElementById('panel-lobby').hidden = false;
    return;
  }
  L.section = document.createElement('section');
  L.section.className = 'lobby-panel';
  L.panel = registerPanel('lobby', 'lobby.panel', 'i-lobby', L.section);
  onLangChange(renderPanel);
}

function renderPanel() {
  if (!L.section) return;
  const rows = L.waiting.map((w) => {
    const li = document.createElement('li');
    li.className = 'lobby-row';
    li.dataset.id = w.id;
    const name = document.createElement('span');
    name.className = 'lobby-name';
    name.textContent = w.name;
    li.append(name, button('lobby.admit', () => admit(w.id), 'primary'), button('lobby.deny', () => deny(w.id)));
    return li;
  });
  const list = document.createElement('ul');
  list.className = 'lobby-list';
  list.append(...rows);
  const head = document.createElement('p');
  head.className = 'lobby-empty';
  head.textContent = L.waiting.length ? t('lobby.count', { n: L.waiting.length }) : t('lobby.empty');
  const all = button('lobby.admitAll', () => admit(null), 'primary');
  all.hidden = L.waiting.length < 2;
  L.section.replaceChildren(head, all, list);
  L.panel.setBadge(L.waiting.length);
}

function knock(w) {
  const el = document.createElement('div');
  el.className = 'toast knock';
  el.dataset.id = w.id;
  const text = document.createElement('span');
  text.textContent = t('lobby.knock', { name: w.name });
  const done = () => { el.remove(); L.knocks.delete(w.id); };
  el.append(text, button('lobby.admit', () => { admit(w.id); done(); }, 'primary'),
    button('lobby.deny', () => { deny(w.id); done(); }));
  document.getElementById('toasts').append(el);
  L.knocks.set(w.id, el);
  setTimeout(done, KNOCK_TOAST_MS);
}

bus.on('lobby-list', (msg) => {
  if (!Array.isArray(msg.waiting)) return;
  const before = new Set(L.waiting.map((w) => w.id));
  L.waiting = msg.waiting.filter(validWaiting);
  const now = new Set(L.waiting.map((w) => w.id));
  ensurePanel();
  renderPanel();
  for (const [id, el] of L.knocks) {
    if (!now.has(id)) { el.remove(); L.knocks.delete(id); }
  }
  for (const w of L.waiting) if (!before.has(w.id)) knock(w);
});

// ---- life cycle ----

bus.listen('joined', () => {
  L.wait = null; // admitted (or never held)
  renderWait();
});

bus.listen('left', () => {
  L.wait = null;
  renderWait();
  L.waiting = [];
  for (const el of L.knocks.values()) el.remove();
  L.knocks.clear();
  if (L.panel) {
    L.panel.close();
    renderPanel();
    document.getElementById('panel-lobby').hidden = true;
  }
});
