// The chat panel: lines with names and times, to everyone or privately to the chair (the server
// sends a private line to the chairs and its sender only), the history of the meeting on join,
// and an unread count on the toolbar button while the panel is closed.

import * as bus from './bus.js';
import { registerPanel } from './drawer.js';
import { t, applyTranslations } from './i18n.js';

const MAX_TEXT = 2000;
const S = { panel: null, list: null, self: null, seqs: new Set(), unread: 0, nextId: 1 };

function timeText(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function validLine(l) {
  return l && typeof l === 'object' && Number.isInteger(l.seq) && typeof l.text === 'string' &&
    l.from && typeof l.from === 'object' && typeof l.from.name === 'string';
}

/** Adds one line in seq order (history and live lines may interleave); false if known. */
function addLine(l) {
  if (!validLine(l) || S.seqs.has(l.seq)) return false;
  S.seqs.add(l.seq);
  const li = document.createElement('li');
  li.className = 'chat-line';
  li.dataset.seq = String(l.seq);
  const mine = l.from.id === S.self;
  if (mine) li.classList.add('mine');
  if (l.to === 'chair') li.classList.add('private');
  const head = document.createElement('div');
  head.className = 'chat-head';
  const name = document.createElement('span');
  name.className = 'chat-name';
  name.textContent = l.from.name;
  head.appendChild(name);
  if (l.to === 'chair') {
    const to = document.createElement('span');
    to.className = 'chat-to';
    to.dataset.i18n = 'chat.privateTag';
    to.textContent = t('chat.privateTag');
    head.appendChild(to);
  }
  const time = document.createElement('time');
  time.className = 'chat-time';
  if (Number.isFinite(l.time)) {
    time.dateTime = new Date(l.time).toISOString();
    time.textContent = timeText(l.time);
  }
  head.appendChild(time);
  const text = document.createElement('div');
  text.className = 'chat-text';
  text.textContent = l.text;
  li.append(head, text);
  const after = [...S.list.children].find((x) => Number(x.dataset.seq) > l.seq);
  S.list.insertBefore(li, after || null);
  if (!after) S.list.scrollTop = S.list.scrollHeight;
  return !mine;
}

function bumpUnread(n) {
  if (S.panel.isOpen() || n === 0) return;
  S.unread += n;
  S.panel.setBadge(S.unread);
}

function send(form) {
  const input = form.querySelector('#chat-input');
  const text = input.value.trim();
  if (!text || [...text].length > MAX_TEXT) return;
  const to = form.querySelector('#chat-to').value;
  const msg = { type: 'chat', text, id: `chat-${S.nextId++}` };
  if (to === 'chair') msg.to = 'chair';
  if (bus.send(msg)) input.value = '';
}

function reset() {
  S.list.replaceChildren();
  S.seqs.clear();
  S.unread = 0;
  S.panel.setBadge(0);
}

export function initChat() {
  const section = document.createElement('section');
  section.id = 'chat-panel';
  section.innerHTML = `
    <ol id="chat-list" class="chat-list" aria-live="polite"></ol>
    <form id="chat-form" class="chat-form">
      <label class="chat-to-label"><span data-i18n="chat.to"></span>
        <select id="chat-to">
          <option value="" data-i18n="chat.toAll"></option>
          <option value="chair" data-i18n="chat.toChair"></option>
        </select>
      </label>
      <textarea id="chat-input" rows="2" maxlength="${MAX_TEXT}"
        data-i18n-attr="placeholder:chat.placeholder;aria-label:chat.placeholder"></textarea>
      <button id="chat-send" class="btn primary small" type="submit" data-i18n="chat.send"></button>
    </form>`;
  S.list = section.querySelector('#chat-list');
  S.panel = registerPanel('chat', 'chat.title', 'i-chat', section);
  applyTranslations(section);
  const form = section.querySelector('#chat-form');
  form.addEventListener('submit', (ev) => { ev.preventDefault(); send(form); });
  section.querySelector('#chat-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(form); }
  });
  document.getElementById('panel-chat').addEventListener('click', () => {
    if (S.panel.isOpen()) { S.unread = 0; S.panel.setBadge(0); }
  });
  bus.on('chat', (msg) => bumpUnread(addLine(msg) ? 1 : 0));
  bus.on('chat-history', (msg) => {
    if (!Array.isArray(msg.lines)) return;
    let n = 0;
    for (const l of msg.lines) if (addLine(l)) n++;
    bumpUnread(n);
  });
  bus.listen('joined', (d) => { S.self = d.self; });
  bus.listen('left', reset);
}
