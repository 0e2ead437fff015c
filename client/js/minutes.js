// The secretary's minutes panel (biên bản; role secretary, or chair): the agenda items of the
// meeting, and under each the opinions (with who gave them: a participant or free text),
// conclusions and decisions typed during the meeting; invited people and sites marked absent
// with a reason. The server keeps everything (minutes-note, minutes-absent, acked after the
// commit) and sends the panel's state (`minutes`) to every secretary and chair of the room after
// each change; this module only shows what it is told. The draft is built when the meeting ends.

import * as bus from './bus.js';
import { registerPanel } from './drawer.js';
import { t, applyTranslations, onLangChange } from './i18n.js';

const MAX_TEXT = 4000;
const S = { panel: null, section: null, role: null, state: null, people: new Map(), nextId: 1, tries: 0, timer: null };
const $ = (sel) => S.section.querySelector(sel);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function mayKeep(role) { return role === 'secretary' || role === 'chair'; }

function validState(m) {
  return m && Number.isInteger(m.meeting) && Array.isArray(m.agenda) && Array.isArray(m.notes);
}

function fillItems() {
  const sel = $('#minutes-item');
  const keep = sel.value;
  sel.replaceChildren();
  const agenda = S.state ? S.state.agenda : [];
  agenda.forEach((title, i) => {
    const o = el('option', '', `${i + 1}. ${title}`);
    o.value = String(i + 1);
    sel.appendChild(o);
  });
  const other = el('option', '', t('minutes.other'));
  other.value = '0';
  sel.appendChild(other);
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

function fillPeople() {
  const list = $('#minutes-people');
  list.replaceChildren();
  const names = new Set([...S.people.values()]);
  for (const p of (S.state && S.state.invited) || []) if (p && typeof p.name === 'string') names.add(p.name);
  for (const n of names) { const o = document.createElement('option'); o.value = n; list.appendChild(o); }
  const abs = $('#minutes-absent-name');
  const keep = abs.value;
  abs.replaceChildren();
  for (const s of (S.state && S.state.sites) || []) {
    const o = el('option', '', `${t('minutes.site')}: ${s}`);
    o.value = `site:${s}`;
    abs.appendChild(o);
  }
  for (const p of (S.state && S.state.invited) || []) {
    if (!p || typeof p.name !== 'string') continue;
    const o = el('option', '', p.site ? `${p.name} (${p.site})` : p.name);
    o.value = `person:${p.name}`;
    abs.appendChild(o);
  }
  if ([...abs.options].some((o) => o.value === keep)) abs.value = keep;
  $('#minutes-absent-form').hidden = abs.options.length === 0;
}

function renderNotes() {
  const box = $('#minutes-notes');
  box.replaceChildren();
  if (!S.state) return;
  const items = S.state.agenda.map((title, i) => ({ n: i + 1, title }));
  const extra = S.state.notes.some((x) => !x.item || x.item > items.length);
  if (extra) items.push({ n: 0, title: t('minutes.other') });
  for (const it of items) {
    const li = el('li', 'minutes-item');
    li.dataset.n = String(it.n);
    li.appendChild(el('h3', '', it.n ? `${it.n}. ${it.title}` : it.title));
    const ul = el('ul', 'minutes-item-notes');
    for (const x of S.state.notes) {
      const n = Number.isInteger(x.item) && x.item <= S.state.agenda.length ? x.item : 0;
      if (n !== it.n || typeof x.text !== 'string') continue;
      const row = el('li', `minutes-note ${x.kind}`);
      row.dataset.kind = x.kind;
      row.appendChild(el('span', 'minutes-kind', t(`minutes.kind.${x.kind}`)));
      if (x.who) row.appendChild(el('b', 'minutes-who', `${x.who}: `));
      row.appendChild(el('span', 'minutes-text', x.text));
      ul.appendChild(row);
    }
    if (!ul.children.length) ul.appendChild(el('li', 'empty', t('minutes.noNotes')));
    li.appendChild(ul);
    box.appendChild(li);
  }
  const absent = $('#minutes-absent-list');
  absent.replaceChildren();
  for (const a of S.state.absent || []) {
    if (!a || typeof a.name !== 'string') continue;
    absent.appendChild(el('li', 'minutes-absent', `${a.kind === 'site' ? `${t('minutes.site')}: ` : ''}${a.name} — ${a.reason}`));
  }
}

function render() {
  const visible = mayKeep(S.role);
  document.getElementById('panel-minutes').hidden = !visible;
  if (!visible) S.panel.close();
  $('#minutes-empty').hidden = !!S.state;
  $('#minutes-form').hidden = !S.state;
  fillItems();
  fillPeople();
  renderNotes();
}

function askState() {
  clearTimeout(S.timer);
  if (!mayKeep(S.role)) return;
  bus.send({ type: 'minutes-get', id: `minutes-${S.nextId++}` });
}

function addNote() {
  const text = $('#minutes-text').value.trim();
  if (!text || [...text].length > MAX_TEXT) return;
  const who = $('#minutes-who').value.trim();
  const kind = $('#minutes-kind').value;
  const msg = { type: 'minutes-note', item: Number($('#minutes-item').value) || 0, kind, text, id: `minutes-${S.nextId++}` };
  if (who && kind === 'opinion') msg.who = who.slice(0, 200);
  if (bus.send(msg)) { $('#minutes-text').value = ''; $('#minutes-who').value = ''; }
}

function markAbsent() {
  const v = $('#minutes-absent-name').value;
  const reason = $('#minutes-absent-reason').value.trim();
  if (!v) return;
  const i = v.indexOf(':');
  const msg = { type: 'minutes-absent', kind: v.slice(0, i), name: v.slice(i + 1), reason: reason || null, id: `minutes-${S.nextId++}` };
  if (bus.send(msg)) $('#minutes-absent-reason').value = '';
}

export function initMinutes() {
  const section = document.createElement('section');
  section.id = 'minutes-panel';
  section.innerHTML = `
    <p id="minutes-empty" class="empty" data-i18n="minutes.loading"></p>
    <form id="minutes-form" class="minutes-form" hidden>
      <label><span data-i18n="minutes.item"></span><select id="minutes-item"></select></label>
      <label><span data-i18n="minutes.kindLabel"></span>
        <select id="minutes-kind">
          <option value="opinion" data-i18n="minutes.kind.opinion"></option>
          <option value="conclusion" data-i18n="minutes.kind.conclusion"></option>
          <option value="decision" data-i18n="minutes.kind.decision"></option>
        </select></label>
      <label><span data-i18n="minutes.who"></span>
        <input id="minutes-who" type="text" list="minutes-people" maxlength="200" autocomplete="off"></label>
      <datalist id="minutes-people"></datalist>
      <textarea id="minutes-text" rows="3" maxlength="${MAX_TEXT}"
        data-i18n-attr="placeholder:minutes.placeholder;aria-label:minutes.placeholder"></textarea>
      <button id="minutes-add" class="btn primary small" type="submit" data-i18n="minutes.add"></button>
    </form>
    <ol id="minutes-notes" class="minutes-notes" aria-live="polite"></ol>
    <form id="minutes-absent-form" class="minutes-form" hidden>
      <h3 data-i18n="minutes.absentTitle"></h3>
      <select id="minutes-absent-name" data-i18n-attr="aria-label:minutes.absentWho"></select>
      <input id="minutes-absent-reason" type="text" maxlength="${MAX_TEXT}"
        data-i18n-attr="placeholder:minutes.reason;aria-label:minutes.reason">
      <button id="minutes-absent-add" class="btn small" type="submit" data-i18n="minutes.markAbsent"></button>
    </form>
    <ul id="minutes-absent-list" class="minutes-absent-list"></ul>`;
  S.section = section;
  S.panel = registerPanel('minutes', 'minutes.title', 'i-minutes', section);
  applyTranslations(section);
  $('#minutes-form').addEventListener('submit', (ev) => { ev.preventDefault(); addNote(); });
  $('#minutes-absent-form').addEventListener('submit', (ev) => { ev.preventDefault(); markAbsent(); });
  $('#minutes-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); addNote(); }
  });
  $('#minutes-kind').addEventListener('change', () => { $('#minutes-who').disabled = $('#minutes-kind').value !== 'opinion'; });
  document.getElementById('panel-minutes').addEventListener('click', () => { if (S.panel.isOpen() && !S.state) askState(); });
  onLangChange(render);
  bus.on('minutes', (msg) => {
    if (!validState(msg)) return;
    S.state = msg;
    render();
  });
  bus.listen('error', (msg) => {
    // the meeting's id comes from the store just after the first join: ask again shortly
    if (msg.ref === 'minutes-get' && msg.code === 'bad-state' && S.tries++ < 20) S.timer = setTimeout(askState, 500);
  });
  bus.listen('joined', (d) => {
    S.role = d.role;
    S.people.clear();
    for (const p of d.participants || []) S.people.set(p.id, p.name);
    S.tries = 0;
    render();
    askState();
  });
  bus.listen('participant-joined', ({ participant }) => { S.people.set(participant.id, participant.name); fillPeople(); });
  bus.listen('left', () => { clearTimeout(S.timer); S.state = null; S.role = null; render(); });
  render();
}
