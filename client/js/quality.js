// Connection quality of each remote participant, as their tile shows it (three bars): from the
// change of their inbound getStats counters between two samples, about a second apart.
//   good: under 2 % of packets lost and, when video is expected, frames decoded;
//   fair: under 8 % lost;
//   poor: more loss, or no packet at all for 2 s while the participant is there.

const GOOD_LOSS = 0.02;
const FAIR_LOSS = 0.08;
const SILENT_MS = 2000;

export class QualityMeter {
  constructor() {
    this.prev = new Map(); // id -> {received, lost, frames, t, lastPacketAt}
  }

  /** `p`: a participant of collectStats(); `videoExpected`: their video should be arriving
   *  (not paused by last-n, camera not off). Returns 'good' | 'fair' | 'poor' | null (too
   *  early to say). */
  grade(p, now, videoExpected) {
    const received = p.audioPacketsReceived + p.videoPacketsReceived;
    const prev = this.prev.get(p.id);
    const cur = { received, lost: p.packetsLost, frames: p.videoFramesDecoded, t: now,
      lastPacketAt: prev && received === prev.received ? prev.lastPacketAt : now };
    this.prev.set(p.id, cur);
    if (!prev) return null;
    if (now - cur.lastPacketAt >= SILENT_MS) return 'poor';
    const got = received - prev.received;
    const lost = Math.max(0, p.packetsLost - prev.lost);
    const loss = got + lost > 0 ? lost / (got + lost) : 0;
    const frozen = videoExpected && p.videoFramesDecoded === prev.frames && got > 0;
    if (loss < GOOD_LOSS && !frozen) return 'good';
    if (loss < FAIR_LOSS) return 'fair';
    return 'poor';
  }

  forget(id) {
    this.prev.delete(id);
  }
}
