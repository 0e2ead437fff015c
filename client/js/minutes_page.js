// The minutes page (/minutes.html?meeting=ID; account sessions of chairs, secretaries, clerks and
// admins): the newest version's minutes.html, and for a secretary or chair an editor of the
// agenda's opinions, conclusions and decisions and of the absence reasons (PUT: a new draft
// version), and the approval (POST .../approve) for whoever may approve. The version's
// minutes.pdf (signed once approved, when the server has the agency's certificate) is a
// download link as soon as the server has rendered it; until then the page asks again.
import { addStrings, t } from './i18n.js';
import { setupPage, showMessage } from './admin_page.js';

addStrings({
  vi: {
    'mp.title': 'Biên bản cuộc họp',
    'mp.edit': 'Sửa dự thảo',
    'mp.approve': 'Phê duyệt',
    'mp.pdf': 'Tải PDF',
    'mp.save': 'Lưu thành bản dự thảo mới',
    'mp.cancel': 'Hủy',
    'mp.reasons': 'Lý do vắng mặt',
    'mp.opinions': 'Ý kiến (mỗi dòng: Người phát biểu: nội dung)',
    'mp.conclusions': 'Kết luận (mỗi dòng một kết luận)',
    'mp.decisions': 'Quyết định (mỗi dòng một quyết định)',
    'mp.itemTitle': 'Nội dung',
    'mp.version': 'Phiên bản {v} · {state}',
    'mp.state.draft': 'dự thảo',
    'mp.state.approved': 'đã phê duyệt',
    'mp.state.signed': 'đã ký số',
    'mp.saved': 'Đã lưu phiên bản {v}.',
    'mp.approved': 'Đã phê duyệt phiên bản {v}.',
    'mp.error': 'Không thực hiện được: {message}',
    'mp.noMeeting': 'Thiếu mã cuộc họp (?meeting=).',
  },
  en: {
    'mp.title': 'Minutes of the meeting',
    'mp.edit': 'Edit the draft',
    'mp.approve': 'Approve',
    'mp.pdf': 'Download PDF',
    'mp.save': 'Save as a new draft version',
    'mp.cancel': 'Cancel',
    'mp.reasons': 'Reasons for absence',
    'mp.opinions': 'Opinions (one per line: Speaker: text)',
    'mp.conclusions': 'Conclusions (one per line)',
    'mp.decisions': 'Decisions (one per line)',
    'mp.itemTitle': 'Item',
    'mp.version': 'Version {v} · {state}',
    'mp.state.draft': 'draft',
    'mp.state.approved': 'approved',
    'mp.state.signed': 'signed',
    'mp.saved': 'Saved as version {v}.',
    'mp.approved': 'Version {v} approved.',
    'mp.error': 'Could not do it: {message}',
    'mp.noMeeting': 'No meeting id (?meeting=).',
  },
});

const $ = (id) => document.getElementById(id);
const meeting = Number(new URLSearchParams(location.search).get('meeting'));
let current = null;

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function labelled(labelKey, control) {
  const l = el('label');
  l.append(el('span', {}, t(labelKey)), control);
  return l;
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(`/minutes.html?meeting=${meeting}`)}`);
    throw new Error('log in first');
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ?? String(res.status));
  return data;
}

let recheck = null;
let rechecks = 0;

function show(state) {
  current = state;
  $('mp-actions').hidden = false;
  $('mp-version').textContent = t('mp.version', { v: state.version, state: t(`mp.state.${state.state}`) });
  $('mp-version').dataset.state = state.state;
  $('mp-version').dataset.version = String(state.version);
  $('mp-edit').hidden = !state.may_edit;
  $('mp-approve').hidden = !state.may_approve;
  const doc = `${state.html}?v=${state.version}-${state.state}`;
  if ($('mp-doc').getAttribute('src') !== doc) $('mp-doc').src = doc; // the same src would reload it
  $('mp-pdf').hidden = !state.pdf_ready;
  $('mp-pdf').href = `${state.pdf}?v=${state.version}`;
  $('mp-pdf').dataset.state = state.state;
  clearTimeout(recheck);
  // the PDF is rendered (and an approved version signed) in the background: ask again a while
  if ((!state.pdf_ready || state.state === 'approved') && rechecks++ < 20) recheck = setTimeout(load, 1500);
}

function opinionLine(o) { return o.who ? `${o.who}: ${o.text}` : o.text; }

function parseOpinion(line) {
  const i = line.indexOf(': ');
  return i > 0 && i <= 200 ? { who: line.slice(0, i), text: line.slice(i + 2) } : { who: null, text: line };
}

function lines(textarea) { return textarea.value.split('\n').map((s) => s.trim()).filter(Boolean); }

function openEditor() {
  const m = current.minutes;
  const agenda = $('mp-agenda');
  agenda.replaceChildren();
  m.agenda.forEach((it, i) => {
    const box = el('fieldset', { class: 'mp-item', 'data-n': String(it.n) });
    box.append(el('legend', {}, `${i + 1}. ${it.title}`));
    const title = el('input', { type: 'text', class: 'mp-title', maxlength: '500' });
    title.value = it.title;
    const op = el('textarea', { class: 'mp-opinions', rows: '4' });
    op.value = it.opinions.map(opinionLine).join('\n');
    const co = el('textarea', { class: 'mp-conclusions', rows: '2' });
    co.value = it.conclusions.join('\n');
    const de = el('textarea', { class: 'mp-decisions', rows: '2' });
    de.value = it.decisions.join('\n');
    box.append(labelled('mp.itemTitle', title), labelled('mp.opinions', op), labelled('mp.conclusions', co),
      labelled('mp.decisions', de));
    agenda.append(box);
  });
  const reasons = $('mp-reasons');
  reasons.replaceChildren();
  for (const [kind, list] of [['site', m.sites], ['person', m.attendance]]) {
    for (const e of list) {
      if (e.state !== 'absent' && e.state !== 'not_checked_in') continue;
      const input = el('input', { type: 'text', class: 'mp-reason', 'data-kind': kind, 'data-name': e.name, maxlength: '4000' });
      input.value = e.reason ?? '';
      const l = el('label');
      l.append(el('span', {}, e.name), input);
      reasons.append(l);
    }
  }
  $('mp-form').hidden = false;
}

async function save() {
  const agenda = [...document.querySelectorAll('#mp-agenda .mp-item')].map((box) => ({
    n: Number(box.dataset.n),
    title: box.querySelector('.mp-title').value.trim(),
    opinions: lines(box.querySelector('.mp-opinions')).map(parseOpinion),
    conclusions: lines(box.querySelector('.mp-conclusions')),
    decisions: lines(box.querySelector('.mp-decisions')),
  }));
  const reasons = [...document.querySelectorAll('#mp-reasons .mp-reason')].map((i) => ({
    kind: i.dataset.kind, name: i.dataset.name, reason: i.value.trim() || null,
  }));
  try {
    const state = await call('PUT', `/api/minutes/${meeting}`, { agenda, reasons });
    rechecks = 0;
    $('mp-form').hidden = true;
    show(state);
    showMessage($('mp-status'), t('mp.saved', { v: state.version }));
  } catch (e) {
    showMessage($('mp-status'), t('mp.error', { message: e.message }));
  }
}

async function approve() {
  try {
    const state = await call('POST', `/api/minutes/${meeting}/approve`);
    rechecks = 0;
    $('mp-form').hidden = true;
    show(state);
    showMessage($('mp-status'), t('mp.approved', { v: state.version }));
  } catch (e) {
    showMessage($('mp-status'), t('mp.error', { message: e.message }));
  }
}

async function load() {
  if (!Number.isInteger(meeting) || meeting <= 0) {
    showMessage($('mp-status'), t('mp.noMeeting'));
    return;
  }
  try {
    show(await call('GET', `/api/minutes/${meeting}`));
  } catch (e) {
    showMessage($('mp-status'), t('mp.error', { message: e.message }));
  }
}

setupPage(() => { if (current) show(current); });
$('mp-edit').addEventListener('click', openEditor);
$('mp-cancel').addEventListener('click', () => { $('mp-form').hidden = true; });
$('mp-approve').addEventListener('click', approve);
$('mp-form').addEventListener('submit', (ev) => { ev.preventDefault(); save(); });
load();
