// The clerks' portal (/archive, clerk and admin sessions): search the archive by date range,
// room, title and participant (GET /api/archive/meetings), then one meeting's page (#m<id>,
// GET /api/archive/meetings/<id>): its manifest (participants with join/leave times, tracks,
// drops, interruption), a player for the composed file or any track (the server answers HTTP
// Range, so seeking works), download links, each file's SHA-256 and a check that recomputes it
// on the server (POST .../verify). Text from the archive is only ever set as textContent.
import { addStrings, getLang, hasKey, t } from './i18n.js';
import { setupPage, showMessage } from './admin_page.js';

addStrings({
  vi: {
    'archive.title': 'Kho lưu trữ cuộc họp',
    'archive.search': 'Tìm cuộc họp',
    'archive.from': 'Từ ngày',
    'archive.to': 'Đến ngày',
    'archive.room': 'Phòng',
    'archive.meeting-title': 'Tiêu đề',
    'archive.participant': 'Người tham dự',
    'archive.find': 'Tìm',
    'archive.started': 'Bắt đầu',
    'archive.ended': 'Kết thúc',
    'archive.state': 'Trạng thái',
    'archive.back': '← Danh sách cuộc họp',
    'archive.playing': 'Đang phát',
    'archive.participants': 'Người tham dự',
    'archive.name': 'Họ tên',
    'archive.role': 'Vai trò',
    'archive.role.chair': 'Chủ tọa',
    'archive.role.secretary': 'Thư ký',
    'archive.role.participant': 'Đại biểu',
    'archive.joined': 'Vào lúc',
    'archive.left': 'Rời lúc',
    'archive.tracks': 'Các luồng ghi',
    'archive.kind': 'Loại',
    'archive.codec': 'Codec',
    'archive.span': 'Thời đoạn',
    'archive.packets': 'Gói',
    'archive.dropped': 'Mất',
    'archive.drops': 'Gói bị bỏ khi ghi: hàng đợi {queue}, ghi đĩa {write}.',
    'archive.files': 'Tệp',
    'archive.file': 'Tệp',
    'archive.size': 'Dung lượng',
    'archive.check': 'Kiểm tra',
    'archive.verify': 'Kiểm tra SHA-256',
    'archive.verifying': 'Đang tính lại…',
    'archive.download': 'Tải về',
    'archive.play': 'Phát',
    'archive.composed': 'Bản ghi tổng hợp',
    'archive.check.match': 'Khớp',
    'archive.check.mismatch': 'KHÔNG khớp',
    'archive.check.missing': 'Mất tệp',
    'archive.check.unknown': 'Không có mã gốc',
    'archive.check.removed': 'Đã xoá',
    'archive.state.complete': 'Hoàn tất',
    'archive.state.recording': 'Đang ghi',
    'archive.state.interrupted': 'Bị gián đoạn',
    'archive.interrupted': 'Bản ghi bị gián đoạn (máy chủ dừng giữa chừng).',
    'archive.removed': 'Tệp đã bị xoá ngày {date} theo thời hạn lưu trữ của phòng.',
    'archive.removed-short': 'đã xoá ngày {date}',
    'archive.none': 'Không tìm thấy cuộc họp nào.',
    'archive.count': '{n} cuộc họp',
    'archive.error': 'Không đọc được kho lưu trữ: {message}',
    'archive.no-id': 'Không có cuộc họp này trong kho.',
  },
  en: {
    'archive.title': 'Meeting archive',
    'archive.search': 'Find meetings',
    'archive.from': 'From',
    'archive.to': 'To',
    'archive.room': 'Room',
    'archive.meeting-title': 'Title',
    'archive.participant': 'Participant',
    'archive.find': 'Find',
    'archive.started': 'Started',
    'archive.ended': 'Ended',
    'archive.state': 'State',
    'archive.back': '← Meetings',
    'archive.playing': 'Playing',
    'archive.participants': 'Participants',
    'archive.name': 'Name',
    'archive.role': 'Role',
    'archive.role.chair': 'Chair',
    'archive.role.secretary': 'Secretary',
    'archive.role.participant': 'Participant',
    'archive.joined': 'Joined',
    'archive.left': 'Left',
    'archive.tracks': 'Recorded tracks',
    'archive.kind': 'Kind',
    'archive.codec': 'Codec',
    'archive.span': 'Span',
    'archive.packets': 'Packets',
    'archive.dropped': 'Dropped',
    'archive.drops': 'Packets dropped while recording: queue {queue}, disk writes {write}.',
    'archive.files': 'Files',
    'archive.file': 'File',
    'archive.size': 'Size',
    'archive.check': 'Check',
    'archive.verify': 'Verify SHA-256',
    'archive.verifying': 'Recomputing…',
    'archive.download': 'Download',
    'archive.play': 'Play',
    'archive.composed': 'Composed recording',
    'archive.check.match': 'Match',
    'archive.check.mismatch': 'MISMATCH',
    'archive.check.missing': 'Missing',
    'archive.check.unknown': 'No recorded checksum',
    'archive.check.removed': 'Removed',
    'archive.state.complete': 'Complete',
    'archive.state.recording': 'Recording',
    'archive.state.interrupted': 'Interrupted',
    'archive.interrupted': 'The recording was interrupted (the server stopped during it).',
    'archive.removed': 'The files were removed on {date} by the room\'s retention.',
    'archive.removed-short': 'removed on {date}',
    'archive.none': 'No meetings found.',
    'archive.count': '{n} meetings',
    'archive.error': 'Cannot read the archive: {message}',
    'archive.no-id': 'No such meeting in the archive.',
  },
});

const form = document.getElementById('archive-filter');
const listView = document.getElementById('archive-list');
const meetingView = document.getElementById('archive-meeting');
const tbody = document.querySelector('#archive-table tbody');
const status = document.getElementById('archive-status');
const player = document.getElementById('player');
const source = document.getElementById('player-source');
let current = null; // the meeting shown, as the API gave it
let verdicts = new Map(); // file name -> check
let lastList = null;

function locale() {
  return getLang() === 'vi' ? 'vi-VN' : 'en-GB';
}

function formatMs(ms) {
  return ms ? new Date(ms).toLocaleString(locale()) : '';
}

function formatDate(iso) {
  return iso ? new Date(iso).toLocaleDateString(locale()) : '';
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  tr.append(td);
  return td;
}

function stateText(m) {
  const s = t(`archive.state.${m.state}`);
  return m.removed ? `${s} (${t('archive.removed-short', { date: formatDate(m.removed) })})` : s;
}

async function getJson(url, init) {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (res.status === 401) {
    location.assign('/login?next=/archive');
    throw new Error('401');
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? res.status);
  return body;
}

function filterQuery() {
  const q = new URLSearchParams();
  for (const key of ['from', 'to', 'room', 'title', 'participant']) {
    const v = form.elements[key].value.trim();
    if (v) q.set(key, v);
  }
  return q;
}

function renderList() {
  tbody.replaceChildren();
  for (const m of lastList ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    cell(tr, formatMs(m.started_ms));
    cell(tr, m.room);
    const a = document.createElement('a');
    a.href = `#m${m.id}`;
    a.textContent = m.title || `#${m.id}`;
    cell(tr, '').append(a);
    cell(tr, stateText(m));
    tbody.append(tr);
  }
  if (lastList) showMessage(status, lastList.length ? t('archive.count', { n: lastList.length }) : t('archive.none'));
}

async function search() {
  try {
    lastList = (await getJson(`/api/archive/meetings?${filterQuery()}`)).meetings;
  } catch (e) {
    showMessage(status, t('archive.error', { message: e.message }));
    return;
  }
  renderList();
}

function fact(dl, label, value) {
  if (!value) return;
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

function fillPlayer(m) {
  const keep = source.value;
  source.replaceChildren();
  const composed = m.manifest?.composed?.file;
  const names = new Map((m.manifest?.tracks ?? []).map((tr) => [tr.playable, tr.name]));
  for (const f of m.files) {
    if (!f.playable || f.removed) continue;
    const opt = document.createElement('option');
    opt.value = f.url;
    opt.textContent = f.name === composed ? t('archive.composed')
      : `${names.get(f.name) ?? ''} — ${f.name}`.replace(/^ — /, '');
    source.append(opt);
  }
  document.getElementById('player-box').hidden = source.options.length === 0;
  if (keep && [...source.options].some((o) => o.value === keep)) source.value = keep;
  if (player.getAttribute('src') !== source.value && source.value) player.src = source.value;
}

function renderMeeting() {
  const m = current;
  const man = m.manifest ?? {};
  document.getElementById('meeting-heading').textContent = m.title || `#${m.id}`;
  const dl = document.getElementById('meeting-facts');
  dl.replaceChildren();
  fact(dl, t('archive.room'), m.room);
  fact(dl, t('archive.started'), formatMs(m.started_ms));
  fact(dl, t('archive.ended'), formatMs(m.ended_ms));
  fact(dl, t('archive.state'), t(`archive.state.${m.state}`));
  const removed = document.getElementById('meeting-removed');
  const note = m.removed ? t('archive.removed', { date: formatDate(m.removed) })
    : m.interrupted ? t('archive.interrupted') : '';
  showMessage(removed, note);
  fillPlayer(m);
  const people = document.querySelector('#people-table tbody');
  people.replaceChildren();
  for (const p of man.participants ?? m.participants) {
    const tr = document.createElement('tr');
    cell(tr, p.name);
    cell(tr, p.role && hasKey(`archive.role.${p.role}`) ? t(`archive.role.${p.role}`) : p.role);
    cell(tr, formatMs(p.joined_ms));
    cell(tr, formatMs(p.left_ms));
    people.append(tr);
  }
  const tracks = document.querySelector('#tracks-table tbody');
  tracks.replaceChildren();
  for (const tr0 of man.tracks ?? []) {
    const tr = document.createElement('tr');
    cell(tr, tr0.name);
    cell(tr, `${tr0.kind ?? ''} ${tr0.source ?? ''}`.trim());
    cell(tr, tr0.codec);
    cell(tr, `${((tr0.start_ms ?? 0) / 1000).toFixed(1)} s – ${((tr0.end_ms ?? 0) / 1000).toFixed(1)} s`);
    cell(tr, String(tr0.packets ?? ''));
    cell(tr, String(tr0.dropped ?? ''));
    tracks.append(tr);
  }
  const drops = man.drops ?? {};
  document.getElementById('meeting-drops').textContent =
    t('archive.drops', { queue: drops.queue ?? 0, write: drops.write ?? 0 });
  renderFiles();
}

function renderFiles() {
  const files = document.querySelector('#files-table tbody');
  files.replaceChildren();
  for (const f of current.files) {
    const tr = document.createElement('tr');
    tr.dataset.file = f.name;
    cell(tr, f.name);
    cell(tr, formatBytes(f.bytes));
    cell(tr, f.sha256 ?? '').className = 'archive-sha';
    const check = f.removed ? 'removed' : verdicts.get(f.name);
    const c = cell(tr, check ? t(`archive.check.${check}`) : '');
    c.className = 'archive-check';
    if (check) c.dataset.check = check;
    const actions = cell(tr, '');
    if (!f.removed) {
      const a = document.createElement('a');
      a.className = 'btn';
      a.href = `${f.url}?download=1`;
      a.setAttribute('download', '');
      a.textContent = t('archive.download');
      actions.append(a);
      if (f.playable) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn';
        b.textContent = t('archive.play');
        b.addEventListener('click', () => {
          source.value = f.url;
          player.src = f.url;
          player.play().catch(() => {});
        });
        actions.append(b);
      }
    }
    files.append(tr);
  }
}

async function verify() {
  const button = document.getElementById('verify-all');
  button.disabled = true;
  button.textContent = t('archive.verifying');
  try {
    const body = await getJson(`/api/archive/meetings/${current.id}/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    verdicts = new Map(body.files.map((f) => [f.name, f.check]));
    renderFiles();
  } catch (e) {
    showMessage(document.getElementById('meeting-removed'), t('archive.error', { message: e.message }));
  } finally {
    button.disabled = false;
    button.textContent = t('archive.verify');
  }
}

async function route() {
  const id = /^#m(\d+)$/.exec(location.hash)?.[1];
  listView.hidden = !!id;
  meetingView.hidden = !id;
  if (!id) {
    player.pause();
    current = null;
    return;
  }
  verdicts = new Map();
  try {
    current = await getJson(`/api/archive/meetings/${id}`);
  } catch (e) {
    listView.hidden = false;
    meetingView.hidden = true;
    showMessage(status, e.message === '401' ? '' : t('archive.no-id'));
    return;
  }
  renderMeeting();
}

setupPage(() => {
  renderList();
  if (current) renderMeeting();
});
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  search();
});
source.addEventListener('change', () => {
  player.src = source.value;
});
document.getElementById('verify-all').addEventListener('click', verify);
document.getElementById('back').addEventListener('click', (ev) => {
  ev.preventDefault();
  location.hash = '';
});
window.addEventListener('hashchange', route);
search();
route();
