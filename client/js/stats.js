// getStats() digests for the test hook (window.hoinghi.stats()) and the speaking indicator.

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The newest inbound-rtp report per mid of `report` (a mid may have carried another
 *  participant's stream before: the server recycles mids, and the old SSRC's report can linger). */
function inboundByMid(report, midByTrackId) {
  const byMid = new Map();
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    const mid = s.mid ?? midByTrackId.get(s.trackIdentifier);
    if (mid === undefined) return;
    const prev = byMid.get(mid);
    if (!prev || num(s.lastPacketReceivedTimestamp) >= num(prev.lastPacketReceivedTimestamp)) byMid.set(mid, s);
  });
  return byMid;
}

/** {srtpCipher, dtlsCipher, tlsVersion, dtlsState, iceState, local, remote} of the transport. */
function transportOf(report) {
  let transport = null;
  report.forEach((s) => {
    if (s.type === 'transport' && !transport) transport = s;
  });
  if (!transport) return null;
  const out = {
    srtpCipher: transport.srtpCipher ?? null,
    dtlsCipher: transport.dtlsCipher ?? null,
    tlsVersion: transport.tlsVersion ?? null,
    dtlsState: transport.dtlsState ?? null,
    iceState: transport.iceState ?? null,
    dtlsRole: transport.dtlsRole ?? null,
    local: null,
    remote: null,
  };
  const pair = transport.selectedCandidatePairId && report.get(transport.selectedCandidatePairId);
  if (pair) {
    const cand = (id) => {
      const c = id && report.get(id);
      return c ? `${c.protocol} ${c.address ?? c.ip}:${c.port} ${c.candidateType}` : null;
    };
    out.local = cand(pair.localCandidateId);
    out.remote = cand(pair.remoteCandidateId);
  }
  return out;
}

/** Totals of the outbound-rtp reports per kind (several when a track is sent in layers). */
function outbound(report) {
  const out = { audio: null, video: null };
  report.forEach((s) => {
    if (s.type !== 'outbound-rtp' || (s.kind !== 'audio' && s.kind !== 'video')) return;
    const o = out[s.kind] || (out[s.kind] = { bytesSent: 0, packetsSent: 0, framesEncoded: 0, frameWidth: 0, frameHeight: 0 });
    o.bytesSent += num(s.bytesSent);
    o.packetsSent += num(s.packetsSent);
    o.framesEncoded += num(s.framesEncoded);
    o.frameWidth = Math.max(o.frameWidth, num(s.frameWidth));
    o.frameHeight = Math.max(o.frameHeight, num(s.frameHeight));
    if (s.rid) { // simulcast: each layer as sent (active: not paused by the server's `layers`)
      (o.layers || (o.layers = [])).push({ rid: s.rid, frameWidth: num(s.frameWidth), frameHeight: num(s.frameHeight),
        framesEncoded: num(s.framesEncoded), bytesSent: num(s.bytesSent), active: s.active !== false });
    }
  });
  return out;
}

/**
 * Collects the stats of a MediaSession. `participants` is a Map id -> {name}. Returns
 * { participants: [{id, name, videoFramesDecoded, videoBytesReceived, frameWidth, frameHeight,
 *                   audioBytesReceived, audioPacketsReceived, videoPacketsReceived, audioLevel,
 *                   packetsLost}],
 *   local: {audio, video}, pub: transport, sub: transport, srtpCipher,
 *   link: the server's estimate of our downlink {bps, source, loss, at} or null }
 */
export async function collectStats(session, participants, link = null) {
  const { pub, sub } = session.pcs;
  const [pubReport, subReport] = await Promise.all([
    pub ? pub.getStats() : Promise.resolve(null),
    sub ? sub.getStats() : Promise.resolve(null),
  ]);
  const remote = session.remoteTracks();
  const midByTrackId = new Map();
  if (sub) {
    for (const tr of sub.getTransceivers()) {
      if (tr.mid && tr.receiver && tr.receiver.track) midByTrackId.set(tr.receiver.track.id, tr.mid);
    }
  }
  const byMid = subReport ? inboundByMid(subReport, midByTrackId) : new Map();
  const list = [];
  for (const [id, info] of participants) {
    const p = {
      id, name: info.name, videoFramesDecoded: 0, videoBytesReceived: 0, frameWidth: 0, frameHeight: 0,
      audioBytesReceived: 0, audioPacketsReceived: 0, videoPacketsReceived: 0, audioLevel: 0, packetsLost: 0, mids: [],
    };
    const tracks = remote.get(id);
    for (const mid of tracks ? tracks.mids : []) {
      p.mids.push(mid);
      const s = byMid.get(mid);
      if (!s) continue;
      p.packetsLost += num(s.packetsLost);
      if (s.kind === 'video') {
        p.videoFramesDecoded += num(s.framesDecoded);
        p.videoBytesReceived += num(s.bytesReceived);
        p.videoPacketsReceived += num(s.packetsReceived);
        p.frameWidth = Math.max(p.frameWidth, num(s.frameWidth));
        p.frameHeight = Math.max(p.frameHeight, num(s.frameHeight));
      } else if (s.kind === 'audio') {
        p.audioBytesReceived += num(s.bytesReceived);
        p.audioPacketsReceived += num(s.packetsReceived);
        p.audioLevel = Math.max(p.audioLevel, num(s.audioLevel));
      }
    }
    list.push(p);
  }
  const pubT = pubReport ? transportOf(pubReport) : null;
  const subT = subReport ? transportOf(subReport) : null;
  return {
    participants: list,
    local: pubReport ? outbound(pubReport) : { audio: null, video: null },
    pub: pubT,
    sub: subT,
    srtpCipher: (pubT && pubT.srtpCipher) || (subT && subT.srtpCipher) || null,
    link: link ? { ...link } : null,
  };
}
