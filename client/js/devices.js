// Choosing devices: the preview on the join form (camera picture, microphone level, camera /
// microphone / speaker choice, join with either off) and the same choice during the meeting,
// where a new camera or microphone replaces the track being sent (RTCRtpSender.replaceTrack: no
// renegotiation, the others keep receiving). The choice is remembered in localStorage.

import { t, onLangChange } from './i18n.js';
import { QUALITY } from './media.js';

const $ = (id) => document.getElementById(id);
const STORE_KEY = 'hoinghi.devices';
const KINDS = [
  { kind: 'videoinput', key: 'videoId', label: 'devices.camera' },
  { kind: 'audioinput', key: 'audioId', label: 'devices.mic' },
  { kind: 'audiooutput', key: 'speakerId', label: 'devices.speaker' },
];

let prefs = load();
let preview = null; // {stream, ctx, raf}

function load() {
  try {
    const p = JSON.parse(localStorage.getItem(STORE_KEY) || '{}');
    return { videoId: p.videoId || '', audioId: p.audioId || '', speakerId: p.speakerId || '' };
  } catch {
    return { videoId: '', audioId: '', speakerId: '' };
  }
}

function save() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(prefs));
  } catch {
    /* not remembered, not fatal */
  }
}

/** The chosen device ids ('' = the browser's default). */
export function chosen() {
  return { ...prefs };
}

/** true when this browser can choose the speaker (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** getUserMedia constraints for the chosen devices (ideal: a device that is gone falls back). */
export function constraints(qualityName, kind) {
  const video = { ...(QUALITY[qualityName] || QUALITY.normal) };
  if (prefs.videoId) video.deviceId = { ideal: prefs.videoId };
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (prefs.audioId) audio.deviceId = { ideal: prefs.audioId };
  return kind === 'audio' ? audio : video;
}

/** Fills `container` with a select per device kind; onChange(key, deviceId) after a choice.
 *  Returns a refresh() that re-reads the device list (labels appear once permission is given). */
export function deviceFields(container, prefix, onChange) {
  container.textContent = '';
  const selects = {};
  for (const k of KINDS) {
    if (k.kind === 'audiooutput' && !canChooseSpeaker()) continue;
    const field = document.createElement('div');
    field.className = 'field';
    const label = document.createElement('label');
    const select = document.createElement('select');
    select.id = `${prefix}-${k.key}`;
    label.htmlFor = select.id;
    const render = () => { label.textContent = t(k.label); };
    render();
    onLangChange(render);
    select.addEventListener('change', () => {
      prefs[k.key] = select.value;
      save();
      onChange(k.key, select.value);
    });
    field.append(label, select);
    container.appendChild(field);
    selects[k.key] = { select, kind: k.kind };
  }
  const refresh = async () => {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      devices = [];
    }
    for (const [key, { select, kind }] of Object.entries(selects)) {
      const list = devices.filter((d) => d.kind === kind && d.deviceId !== 'default');
      select.textContent = '';
      const def = new Option(t('devices.default'), '');
      select.add(def);
      list.forEach((d, i) => select.add(new Option(d.label || `${t(KINDS.find((k) => k.key === key).label)} ${i + 1}`, d.deviceId)));
      select.value = list.some((d) => d.deviceId === prefs[key]) ? prefs[key] : '';
      select.disabled = list.length === 0;
    }
  };
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', refresh);
  }
  refresh();
  return refresh;
}

// ---- the preview on the join form ----

let refreshForm = null;

/** Opens the chosen camera and microphone into the form's preview, with a level meter. */
export async function startPreview(qualityName) {
  if (preview || !window.isSecureContext || !navigator.mediaDevices) return;
  preview = { stream: null, ctx: null, raf: 0, gen: {} };
  const mine = preview;
  if (!refreshForm) refreshForm = deviceFields($('preview-devices'), 'pre', () => restartPreview(qualityName));
  $('preview').hidden = false;
  let stream = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: constraints(qualityName, 'audio'), video: constraints(qualityName, 'video') });
  } catch (err) {
    $('preview-status').textContent = t('devices.previewFailed');
    $('preview-status').hidden = false;
  }
  if (preview !== mine) { // stopped while the browser asked
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    return;
  }
  if (!stream) return;
  $('preview-status').hidden = true;
  mine.stream = stream;
  $('preview-video').srcObject = stream;
  $('preview-video').play().catch(() => {});
  refreshForm();
  meter(mine, stream);
}

function meter(mine, stream) {
  const track = stream.getAudioTracks()[0];
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!track || !AC) return;
  const ctx = new AC();
  mine.ctx = ctx;
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const bar = $('mic-meter-bar');
  const tick = () => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    const level = Math.min(1, Math.sqrt(sum / buf.length) * 4);
    bar.style.width = `${Math.round(level * 100)}%`;
    $('mic-meter').dataset.level = level.toFixed(3);
    mine.raf = requestAnimationFrame(tick);
  };
  ctx.resume().catch(() => {});
  tick();
}

async function restartPreview(qualityName) {
  stopPreview();
  await startPreview(qualityName);
}

/** Closes the preview (camera light off). Returns {micOn, camOn}: what the form's switches say. */
export function stopPreview() {
  if (preview) {
    cancelAnimationFrame(preview.raf);
    if (preview.ctx) preview.ctx.close().catch(() => {});
    if (preview.stream) preview.stream.getTracks().forEach((tr) => tr.stop());
    preview = null;
  }
  $('preview-video').srcObject = null;
  return { micOn: $('join-mic').checked, camOn: $('join-cam').checked };
}

// ---- during the meeting ----

/** A devices panel for the drawer; onChange(key, deviceId) switches the device. */
export function meetingDevicesPanel(onChange) {
  const section = document.createElement('section');
  const fields = document.createElement('div');
  section.appendChild(fields);
  const refresh = deviceFields(fields, 'in', onChange);
  return { section, refresh };
}

/** Opens the chosen device of `kind` ('audio' | 'video') alone: the track that replaces the one
 *  being sent. Throws what getUserMedia throws. */
export async function openTrack(kind, qualityName) {
  const c = constraints(qualityName, kind);
  if (kind === 'video' && prefs.videoId) c.deviceId = { exact: prefs.videoId };
  if (kind === 'audio' && prefs.audioId) c.deviceId = { exact: prefs.audioId };
  const stream = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: c } : { video: c });
  return stream.getTracks()[0];
}
