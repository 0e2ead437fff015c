// The recording indicator and the chair's record button (docs/recording.md). While the server
// records the meeting, everyone sees a red "● Đang ghi hình" in the top bar; a chair (or a
// secretary) has a button to start or stop it, and is told when the archive's disk stopped it.
// Messages only: it talks to the server through bus.js and never imports app.js.

import * as bus from './bus.js';
import * as ui from './ui.js';
import { t, onLangChange } from './i18n.js';

const R = { on: false, chair: false, indicator: null, button: null };

function indicator() {
  if (!R.indicator) {
    R.indicator = document.createElement('span');
    R.indicator.id = 'rec-indicator';
    R.indicator.className = 'rec-indicator';
    R.indicator.setAttribute('role', 'status');
    const bar = document.querySelector('.topbar');
    bar.insertBefore(R.indicator, document.getElementById('status'));
  }
  return R.indicator;
}

function button() {
  if (!R.button) {
    R.button = document.createElement('button');
    R.button.className = 'btn ctl secondary';
    R.button.type = 'button';
    R.button.id = 'record';
    R.button.addEventListener('click', () => bus.send({ type: 'record', action: R.on ? 'stop' : 'start' }));
    document.getElementById('controls').insertBefore(R.button, document.getElementById('leave'));
  }
  return R.button;
}

function render() {
  const ind = indicator();
  ind.hidden = !R.on;
  ind.textContent = '● ' + t('rec.on');
  if (R.chair) {
    const b = button();
    b.hidden = false;
    b.textContent = t(R.on ? 'rec.stop' : 'rec.start');
    b.setAttribute('aria-pressed', R.on ? 'true' : 'false');
  } else if (R.button) {
    R.button.hidden = true;
  }
}

function apply(rec) {
  R.on = !!(rec && rec.on === true);
  render();
}

bus.listen('joined', ({ role, msg }) => {
  R.chair = role === 'chair' || role === 'secretary';
  apply(msg && msg.recording);
});
bus.listen('left', () => { R.on = false; R.chair = false; render(); });
bus.on('recording', (msg) => {
  apply(msg);
  if (!msg.on && msg.reason === 'disk' && R.chair) ui.notice('rec-disk', () => t('rec.disk'), null, 'warn');
});
onLangChange(render);
