// The side drawer of the meeting screen: one panel at a time (participants, chat, votes...),
// each opened by its own toolbar button. Each capability registers its panel here and keeps its
// DOM in its own module; app.js only wires messages to those modules.

import { t, onLangChange } from './i18n.js';

const $ = (id) => document.getElementById(id);
const panels = new Map(); // id -> {button, section, labelKey, badge}
let openId = null;

/** Registers a panel: a toolbar toggle (icon `icon`, a #i-* symbol; label from i18n `labelKey`)
 *  placed before the leave button, and `section` (an element the caller fills) in the drawer.
 *  Returns {open(), close(), isOpen(), setBadge(n)}. */
export function registerPanel(id, labelKey, icon, section) {
  const button = document.createElement('button');
  button.className = 'btn ctl secondary';
  button.type = 'button';
  button.id = `panel-${id}`;
  button.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-controls', 'drawer');
  button.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true"><use href="#${icon}"/></svg>` +
    '<span class="label"></span><span class="count" hidden></span>';
  const label = button.querySelector('.label');
  const render = () => { label.textContent = t(labelKey); button.title = t(labelKey); };
  render();
  onLangChange(render);
  $('controls').insertBefore(button, $('leave'));

  section.classList.add('panel');
  section.dataset.panel = id;
  section.hidden = true;
  $('drawer-body').appendChild(section);

  const p = { button, section, labelKey, badge: button.querySelector('.count') };
  panels.set(id, p);
  button.addEventListener('click', () => (openId === id ? close() : open(id)));
  return {
    open: () => open(id),
    close: () => { if (openId === id) close(); },
    isOpen: () => openId === id,
    setBadge: (n) => {
      p.badge.hidden = !n;
      p.badge.textContent = n > 99 ? '99+' : String(n || '');
    },
  };
}

function open(id) {
  for (const [pid, p] of panels) {
    p.section.hidden = pid !== id;
    p.button.setAttribute('aria-pressed', String(pid === id));
  }
  openId = id;
  const p = panels.get(id);
  $('drawer-title').textContent = t(p.labelKey);
  $('drawer').hidden = false;
  document.body.classList.add('drawer-open');
}

function close() {
  for (const p of panels.values()) {
    p.section.hidden = true;
    p.button.setAttribute('aria-pressed', 'false');
  }
  openId = null;
  $('drawer').hidden = true;
  document.body.classList.remove('drawer-open');
}

export function initDrawer() {
  $('drawer-close').addEventListener('click', close);
  onLangChange(() => {
    if (openId) $('drawer-title').textContent = t(panels.get(openId).labelKey);
  });
}
