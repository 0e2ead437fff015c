// Camera and microphone capture. Never fails: whatever cannot be opened is reported with a
// reason key (an i18n key under media.*), and the caller publishes only what it got.

export const QUALITY = Object.freeze({
  // Meeting-room default: 720p when the camera can, at most 30 fps.
  normal: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } },
  // ?q=low: weak machines and thin district links.
  low: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 } },
});

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** The i18n key (media.*) that explains a getUserMedia failure. */
export function reasonFor(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'media.denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return 'media.notFound';
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return 'media.busy';
    case 'TypeError':
      return 'media.unsupported';
    default:
      return 'media.other';
  }
}

async function tryGet(constraints) {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints), reason: null };
  } catch (err) {
    return { stream: null, reason: reasonFor(err), error: err };
  }
}

/**
 * Opens the microphone and camera. Returns
 *   {stream, hasAudio, hasVideo, audioReason, videoReason}
 * where `stream` is a MediaStream (possibly with no tracks) and a *Reason is null or the i18n
 * key of why that device is missing. `audioConstraints` / `videoConstraints` choose devices
 * (devices.js); by default the browser's default devices at the quality's size.
 */
export async function acquireMedia(qualityName = 'normal', audioConstraints = AUDIO, videoConstraints = null) {
  const video = videoConstraints || QUALITY[qualityName] || QUALITY.normal;
  const AUDIO_C = audioConstraints || AUDIO;
  const out = { stream: new MediaStream(), hasAudio: false, hasVideo: false, audioReason: null, videoReason: null };
  if (!window.isSecureContext) {
    out.audioReason = out.videoReason = 'media.insecure';
    return out;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    out.audioReason = out.videoReason = 'media.unsupported';
    return out;
  }
  const both = await tryGet({ audio: AUDIO_C, video });
  if (both.stream) {
    addTracks(out, both.stream);
  } else if (both.reason === 'media.denied') {
    // Asking again would only repeat the refusal (or nag the user with a second prompt).
    out.audioReason = out.videoReason = both.reason;
    return out;
  } else {
    // One of the two devices may still work: a PC without a camera is common in offices.
    const audio = await tryGet({ audio: AUDIO_C });
    if (audio.stream) addTracks(out, audio.stream);
    else out.audioReason = audio.reason;
    const cam = await tryGet({ video });
    if (cam.stream) addTracks(out, cam.stream);
    else out.videoReason = cam.reason;
  }
  if (!out.hasAudio && !out.audioReason) out.audioReason = 'media.notFound';
  if (!out.hasVideo && !out.videoReason) out.videoReason = 'media.notFound';
  return out;
}

function addTracks(out, stream) {
  for (const track of stream.getTracks()) {
    if (track.kind === 'audio' && !out.hasAudio) {
      out.stream.addTrack(track);
      out.hasAudio = true;
    } else if (track.kind === 'video' && !out.hasVideo) {
      out.stream.addTrack(track);
      out.hasVideo = true;
    } else {
      track.stop();
    }
  }
}

/** Stops every track of `stream` (turns the camera light off). */
export function stopMedia(stream) {
  if (!stream) return;
  for (const track of stream.getTracks()) track.stop();
}

// ---- simulcast (docs/client.md) ----

/**
 * The three VP8 layers the camera is sent as, lowest first (the server expects this order):
 * q = quarter, h = half, f = full resolution, each with its own bitrate cap. The server forwards
 * to each viewer the layer that fits its tile and its link, and asks us (a `layers` message) to
 * pause the layers nobody watches.
 */
export const SIMULCAST_LAYERS = Object.freeze([
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 }),
  Object.freeze({ rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1500000 }),
]);

/** sendEncodings for a camera track: three layers, or one when `enabled` is false. */
export function simulcastEncodings(enabled = true) {
  return enabled ? SIMULCAST_LAYERS.map((l) => ({ ...l, active: true })) : undefined;
}

/**
 * Pauses the layers of `sender` whose rid is not in `active` (the server's `layers` message)
 * and resumes the others. Unknown rids are ignored; the lowest layer is never paused. Returns
 * whether anything changed.
 */
export async function applyLayers(sender, active) {
  if (!sender || !Array.isArray(active)) return false;
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length < 2) return false;
  let changed = false;
  params.encodings.forEach((enc, i) => {
    const want = i === 0 || active.includes(enc.rid);
    if (enc.active !== want) {
      enc.active = want;
      changed = true;
    }
  });
  if (changed) await sender.setParameters(params);
  return changed;
}
