// The "Hooks" section of the admin page (/admin/audit): every hook endpoint with its state, and
// its failing and dead deliveries with a "deliver again" button (docs/hooks.md). Reads
// /api/v1/webhooks with the admin's session.
import { addStrings, t } from './i18n.js';

addStrings({
  vi: {
    'hooks.title': 'Webhook',
    'hooks.name': 'Tên', 'hooks.url': 'Địa chỉ', 'hooks.state': 'Trạng thái',
    'hooks.enabled': 'Đang bật', 'hooks.disabled': 'Đã tắt: {why}',
    'hooks.delivery': 'Lần gửi', 'hooks.error': 'Lỗi gần nhất', 'hooks.retry': 'Gửi lại',
    'hooks.none': 'Không có lần gửi lỗi.', 'hooks.failed': 'Không đọc được webhook: {status}',
  },
  en: {
    'hooks.title': 'Hooks',
    'hooks.name': 'Name', 'hooks.url': 'URL', 'hooks.state': 'State',
    'hooks.enabled': 'Enabled', 'hooks.disabled': 'Disabled: {why}',
    'hooks.delivery': 'Delivery', 'hooks.error': 'Last error', 'hooks.retry': 'Deliver again',
    'hooks.none': 'No failing delivery.', 'hooks.failed': 'Cannot read the hooks: {status}',
  },
});

const section = document.getElementById('hooks');

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text; // never innerHTML: URLs and errors are outside text
  if (cls) e.className = cls;
  return e;
}

async function getJson(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(String(r.status));
  return r.json();
}

async function render() {
  if (!section) return;
  const list = section.querySelector('.hooks-list');
  list.replaceChildren();
  let hooks;
  try {
    hooks = await getJson('/api/v1/webhooks');
  } catch (e) {
    list.append(el('p', t('hooks.failed', { status: e.message }), 'help'));
    return;
  }
  for (const h of hooks) {
    const box = el('div', undefined, 'hook');
    box.dataset.hookId = h.id;
    box.append(el('h3', `${h.name} (${h.kind})`), el('p', h.url, 'help'),
      el('p', h.enabled ? t('hooks.enabled') : t('hooks.disabled', { why: h.disabled_reason })));
    const rows = (await getJson(`/api/v1/webhooks/${h.id}/deliveries?limit=50`))
      .filter((d) => d.state === 'dead' || (d.state === 'pending' && d.attempts > 0));
    if (!rows.length) box.append(el('p', t('hooks.none'), 'help'));
    const table = el('table', undefined, 'audit-table');
    for (const d of rows) {
      const tr = el('tr');
      tr.dataset.deliveryId = d.id;
      tr.append(el('td', `${d.type} ${d.webhook_id}`), el('td', `${d.state} ×${d.attempts}`),
        el('td', d.last_error ?? ''));
      const td = el('td');
      const b = el('button', t('hooks.retry'), 'btn');
      b.type = 'button';
      b.addEventListener('click', async () => {
        b.disabled = true;
        await fetch(`/api/v1/webhooks/${h.id}/deliveries/${d.id}/retry`,
          { method: 'POST', credentials: 'same-origin' });
        render();
      });
      td.append(b);
      tr.append(td);
      table.append(tr);
    }
    if (rows.length) box.append(table);
    list.append(box);
  }
}

render();
