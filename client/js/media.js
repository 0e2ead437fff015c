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
 * key of why that device is missing.
 */
export async function acquireMedia(qualityName = 'normal') {
  const video = QUALITY[qualityName] || QUALITY.normal;
  const out = { stream: new MediaStream(), hasAudio: false, hasVideo: false, audioReason: null, videoReason: null };
  if (!window.isSecureContext) {
    out.audioReason = out.videoReason = 'media.insecure';
    return out;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    out.audioReason = out.videoReason = 'media.unsupported';
    return out;
  }
  const both = await tryGet({ audio: AUDIO, video });
  if (both.stream) {
    addTracks(out, both.stream);
  } else if (both.reason === 'media.denied') {
    // Asking again would only repeat the refusal (or nag the user with a second prompt).
    out.audioReason = out.videoReason = both.reason;
    return out;
  } else {
    // One of the two devices may still work: a PC without a camera is common in offices.
    const audio = await tryGet({ audio: AUDIO });
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
