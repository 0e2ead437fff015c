// The votes panel (biểu quyết): the chair's "new vote" form, the open vote with a button per
// option, the live count of ballots, and the result as bars with numbers. The server decides
// who may open, vote and close; this module only shows what it is told.

import * as bus from './bus.js';
import { registerPanel } from './drawer.js';
import { t, applyTranslations, onLangChange } from './i18n.js';

const S = { panel: null, section: null, role: null, vote: null, nextId: 1 };
const $ = (sel) => S.section.querySelector(sel);

function validVote(v) {
  return v && typeof v === 'object' && Number.isInteger(v.id) && typeof v.question === 'string' &&
    Array.isArray(v.options) && v.options.every((o) => typeof o === 'string');
}

function isChair() { return S.role === 'chair'; }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderVote() {
  const box = $('#vote-current');
  box.replaceChildren();
  const v = S.vote;
  $('#vote-new').hidden = !isChair() || (v && v.state === 'open');
  if (!v) {
    box.appendChild(el('p', 'empty', t('vote.none')));
    return;
  }
  const closed = v.state === 'closed';
  box.dataset.state = v.state;
  box.dataset.vote = String(v.id);
  box.appendChild(el('h3', 'vote-question', v.question));
  const meta = el('p', 'vote-meta', `${t(closed ? 'vote.closed' : 'vote.open')} · ${t(v.secret ? 'vote.secret' : 'vote.public')}`);
  box.appendChild(meta);
  box.appendChild(el('p', 'vote-count', t('vote.ballots', { n: v.ballots ?? 0 })));
  if (!closed) {
    if (v.voted) {
      box.appendChild(el('p', 'vote-voted', t('vote.voted')));
    } else if (S.role !== 'observer') {
      const btns = el('div', 'vote-options');
      v.options.forEach((o, i) => {
        const b = el('button', 'btn small vote-option', o);
        b.type = 'button';
        b.dataset.option = String(i);
        b.addEventListener('click', () => {
          for (const x of btns.querySelectorAll('button')) x.disabled = true;
          bus.send({ type: 'vote-cast', vote: v.id, option: i, id: `vote-${S.nextId++}` });
        });
        btns.appendChild(b);
      });
      box.appendChild(btns);
    }
    if (isChair()) {
      const c = el('button', 'btn danger small', t('vote.close'));
      c.id = 'vote-close';
      c.type = 'button';
      c.addEventListener('click', () => bus.send({ type: 'vote-close', vote: v.id, id: `vote-${S.nextId++}` }));
      box.appendChild(c);
    }
  }
  if (Array.isArray(v.tally)) {
    const total = Math.max(1, v.tally.reduce((a, b) => a + b, 0));
    const list = el('ul', 'vote-result');
    v.options.forEach((o, i) => {
      const n = Number(v.tally[i]) || 0;
      const li = el('li', 'vote-row');
      li.dataset.option = String(i);
      li.dataset.count = String(n);
      const label = el('span', 'vote-label', o);
      const bar = el('span', 'vote-bar');
      const fill = el('span', 'vote-fill');
      fill.style.width = `${Math.round((100 * n) / total)}%`;
      bar.appendChild(fill);
      li.append(label, bar, el('span', 'vote-n', String(n)));
      list.appendChild(li);
    });
    box.appendChild(list);
  }
  if (closed && Array.isArray(v.voters) && v.voters.length) {
    const who = el('ul', 'vote-voters');
    for (const x of v.voters) {
      if (x && typeof x.name === 'string') who.appendChild(el('li', '', `${x.name}: ${v.options[x.option] ?? '?'}`));
    }
    box.append(el('h4', '', t('vote.who')), who);
  }
}

function openVote() {
  const question = $('#vote-question').value.trim();
  if (!question) return;
  const options = $('#vote-options').value.split('\n').map((s) => s.trim()).filter(Boolean);
  const msg = { type: 'vote-open', question, secret: $('#vote-secret').checked, id: `vote-${S.nextId++}` };
  if (options.length) msg.options = options;
  if (bus.send(msg)) { $('#vote-question').value = ''; $('#vote-options').value = ''; }
}

export function initVotes() {
  const section = document.createElement('section');
  section.id = 'votes-panel';
  section.innerHTML = `
    <form id="vote-new" class="vote-new" hidden>
      <label><span data-i18n="vote.question"></span>
        <input id="vote-question" type="text" maxlength="500" required></label>
      <label><span data-i18n="vote.options"></span>
        <textarea id="vote-options" rows="3" data-i18n-attr="placeholder:vote.optionsHelp"></textarea></label>
      <label class="vote-secret"><input id="vote-secret" type="checkbox"> <span data-i18n="vote.secretLabel"></span></label>
      <button id="vote-open" class="btn primary small" type="submit" data-i18n="vote.openButton"></button>
    </form>
    <div id="vote-current" class="vote-current" aria-live="polite"></div>`;
  S.section = section;
  S.panel = registerPanel('votes', 'vote.title', 'i-vote', section);
  applyTranslations(section);
  section.querySelector('#vote-new').addEventListener('submit', (ev) => { ev.preventDefault(); openVote(); });
  document.getElementById('panel-votes').addEventListener('click', () => {
    if (S.panel.isOpen()) S.panel.setBadge(0);
  });
  onLangChange(renderVote);
  bus.on('vote', (msg) => {
    if (!validVote(msg.vote)) return;
    const fresh = !S.vote || S.vote.id !== msg.vote.id || S.vote.state !== msg.vote.state;
    S.vote = msg.vote;
    renderVote();
    if (fresh && !S.panel.isOpen()) S.panel.setBadge(1);
  });
  bus.listen('joined', (d) => { S.role = d.role; renderVote(); });
  bus.listen('left', () => { S.vote = null; S.role = null; S.panel.setBadge(0); renderVote(); });
  renderVote();
}
