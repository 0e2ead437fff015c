// The login page (/login): posts the name and password to POST /api/login, which sets the
// HttpOnly session cookie; then an admin goes to ?next= (a path on this server) or
// /admin/audit, everyone else to ?next= (not under /admin) or the meeting page.
import { t } from './i18n.js';
import { setupPage, showMessage } from './admin_page.js';

setupPage();
const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const button = document.getElementById('login-btn');

/** A same-origin path from ?next=, or null (never another site: no "//" or "/\"). */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next');
  return next && /^\/(?![/\\])/.test(next) ? next : null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = form.elements.name.value.trim();
  const password = form.elements.password.value;
  if (!name || !password) {
    showMessage(error, t('login.wrong'));
    return;
  }
  button.disabled = true;
  button.textContent = t('login.busy');
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      const who = await res.json();
      const admin = who.role === 'admin';
      const next = nextPath();
      // /admin pages answer 403 to other roles: they go to the meeting page instead
      location.assign(next && (admin || !next.startsWith('/admin')) ? next : (admin ? '/admin/audit' : '/'));
      return;
    }
    form.elements.password.value = '';
    showMessage(error, res.status === 401 ? t('login.wrong')
      : res.status === 429 ? t('login.locked') : t('login.failed', { status: res.status }));
  } catch {
    showMessage(error, t('login.network'));
  }
  button.disabled = false;
  button.textContent = t('login.submit');
});
