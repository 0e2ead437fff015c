// The audit page (/admin/audit, admin sessions only): filters by time range, actor, action and
// room, a table filled from GET /admin/audit.json page by page ("More"), and the same filters
// as a CSV download (GET /admin/audit.csv).
import { getLang, t } from './i18n.js';
import { setupPage, showMessage } from './admin_page.js';

const form = document.getElementById('audit-filter');
const tbody = document.querySelector('#audit-table tbody');
const status = document.getElementById('audit-status');
const more = document.getElementById('audit-more');
const csv = document.getElementById('audit-csv');
let next = null;
let shown = 0;

/** The filter as a query string: datetime-local values become unix seconds (the browser's
 *  time zone), empty fields are left out. */
function filterQuery() {
  const q = new URLSearchParams();
  for (const key of ['from', 'to']) {
    const v = form.elements[key].value;
    if (v) q.set(key, String(Math.floor(new Date(v).getTime() / 1000)));
  }
  for (const key of ['actor', 'action', 'room']) {
    const v = form.elements[key].value.trim();
    if (v) q.set(key, v);
  }
  return q;
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text ?? ''; // never innerHTML: the log holds what users typed
  tr.append(td);
}

function formatTime(s) {
  return new Date(s * 1000).toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB');
}

async function load(reset) {
  const q = filterQuery();
  csv.href = `/admin/audit.csv?${q}`;
  if (!reset && next !== null) q.set('before', String(next));
  let body;
  try {
    const res = await fetch(`/admin/audit.json?${q}`, { credentials: 'same-origin' });
    if (res.status === 401) {
      location.assign('/login?next=/admin/audit');
      return;
    }
    body = await res.json();
    if (!res.ok) throw new Error(body.error ?? res.status);
  } catch (e) {
    showMessage(status, t('audit.error', { message: e.message }));
    return;
  }
  if (reset) {
    tbody.replaceChildren();
    shown = 0;
  }
  for (const r of body.rows) {
    const tr = document.createElement('tr');
    tr.dataset.id = r.id;
    cell(tr, formatTime(r.time));
    cell(tr, r.actor);
    cell(tr, r.action);
    cell(tr, r.room);
    cell(tr, r.detail);
    tbody.append(tr);
  }
  shown += body.rows.length;
  next = body.next_before;
  more.hidden = next === null;
  showMessage(status, shown ? t('audit.count', { n: shown }) : t('audit.none'));
}

setupPage(() => load(true));
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  load(true);
});
more.addEventListener('click', () => load(false));
load(true);
