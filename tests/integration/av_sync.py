"""Synthetic meetings for the composer, and the A/V sync measure of a composed file.

make_meeting() writes a meeting folder (manifest.json + tracks/*.hnr) as the recorder would:
each publisher's video flashes white and its audio beeps at the same instants (one clock), encoded
with GStreamer (vp8enc/opusenc), payloaded by rtpvp8pay/rtpopuspay, written as .hnr records with
arrival times (video 110 ms after capture as encoding and pacing make it, audio 25 ms, with
jitter and reordering) and sender reports computed from that publisher's own NTP clock.

measure() decodes a composed file and returns its duration, the flash onsets (frame luma) and
the beep onsets (audio energy).

Also a command line for the benchmark: python3 av_sync.py make DIR --publishers 9 --seconds 30
"""
import argparse
import json
import os
import random
import struct
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstApp', '1.0')
from gi.repository import Gst  # noqa: E402

Gst.init(None)

NTP_UNIX = 2208988800
FPS = 30
RATE = 48000


def _encode(width, height, seconds, flashes, with_audio=True, pattern=None):
    """Encodes the publisher's media; returns {kind: [(pts_s, rtp_bytes)]} in send order."""
    pipe = Gst.parse_launch(
        'appsrc name=v format=time caps=video/x-raw,format=I420,width=%d,height=%d,'
        'framerate=%d/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=%d ! '
        'rtpvp8pay pt=96 mtu=1100 picture-id-mode=15-bit ! appsink name=vs sync=false '
        'appsrc name=a format=time caps=audio/x-raw,format=S16LE,rate=%d,channels=1,'
        'layout=interleaved ! audioconvert ! opusenc frame-size=20 ! rtpopuspay pt=111 ! '
        'appsink name=as sync=false' % (width, height, FPS, FPS * 2, RATE))
    v, a = pipe.get_by_name('v'), pipe.get_by_name('a')
    out = {'video': [], 'audio': []}

    def on_sample(sink, kind):
        s = sink.emit('pull-sample')
        b = s.get_buffer()
        out[kind].append((b.pts / Gst.SECOND, b.extract_dup(0, b.get_size())))
        return Gst.FlowReturn.OK

    for name, kind in (('vs', 'video'), ('as', 'audio')):
        sink = pipe.get_by_name(name)
        sink.set_property('emit-signals', True)
        sink.connect('new-sample', on_sample, kind)
    pipe.set_state(Gst.State.PLAYING)
    ysize = width * height
    dark = bytes([40]) * ysize + bytes([128]) * (ysize // 2)
    white = bytes([235]) * ysize + bytes([128]) * (ysize // 2)
    if pattern:  # a moving bar so that the encoder has work (the benchmark)
        frames = [bytes([40 + 60 * ((i + k) % 2) for i in range(width)]) * height
                  + bytes([128]) * (ysize // 2) for k in range(2)]
    nframes = int(seconds * FPS)

    def flashing(t, dur):
        return any(f <= t < f + dur for f in flashes)

    for i in range(nframes):
        t = i / FPS
        data = white if flashing(t, 0.1) else (frames[i // 8 % 2] if pattern else dark)
        buf = Gst.Buffer.new_wrapped(data)
        buf.pts, buf.duration = int(t * Gst.SECOND), int(Gst.SECOND / FPS)
        v.emit('push-buffer', buf)
    v.emit('end-of-stream')
    beep = [int(16000 * __import__('math').sin(2 * 3.141592653589793 * 1000 * n / RATE))
            for n in range(960)]
    silence = struct.pack('<960h', *([0] * 960))
    tone = struct.pack('<960h', *beep)
    for i in range(int(seconds * 50)):
        t = i / 50
        data = tone if flashing(t, 0.1) and with_audio else silence
        buf = Gst.Buffer.new_wrapped(data)
        buf.pts, buf.duration = int(t * Gst.SECOND), int(Gst.SECOND / 50)
        a.emit('push-buffer', buf)
    a.emit('end-of-stream')
    bus = pipe.get_bus()
    msg = bus.timed_pop_filtered(120 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    assert msg and msg.type == Gst.MessageType.EOS, 'encoding failed'
    return out


def _sr(ssrc, ntp_s, rtp):
    sec = int(ntp_s)
    frac = int((ntp_s - sec) * (1 << 32)) & 0xffffffff
    return struct.pack('>BBHIIIIII', 0x80, 200, 6, ssrc, sec, frac, rtp, 0, 0)


def _write_hnr(path, header, records):
    js = json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(b'HNREC001' + struct.pack('>I', len(js)) + js)
        for typ, arr_us, data in sorted(records, key=lambda r: r[1]):
            f.write(struct.pack('>BBHQ', typ, 0, len(data), arr_us) + data)


def make_publisher(folder, pid, name, wall0, start, seconds, flashes, ntp_off, seed,
                   size=(160, 120), pattern=False):
    """Writes tracks/<pid>-camera-video.hnr and <pid>-mic-audio.hnr. flashes: seconds on the
    meeting timeline. Returns the track entries for the manifest."""
    rnd = random.Random(seed)
    media = _encode(size[0], size[1], seconds, [f - start for f in flashes], pattern=pattern)
    entries = []
    for kind, clock, pt, delay, jit in (('video', 90000, 96, 0.110, 0.015),
                                        ('audio', RATE, 111, 0.025, 0.010)):
        ssrc = rnd.randrange(1, 1 << 32)
        ts_off = rnd.randrange(0, 1 << 32)
        seq_off = rnd.randrange(0, 1 << 16)
        records, last_sr, k = [], None, 0
        for pts, pkt in media[kind]:
            pkt = bytearray(pkt)
            seq = (struct.unpack('>H', pkt[2:4])[0] + seq_off) & 0xffff
            rtp = (struct.unpack('>I', pkt[4:8])[0] + ts_off) & 0xffffffff
            pkt[2:4] = struct.pack('>H', seq)
            pkt[4:8] = struct.pack('>I', rtp)
            pkt[8:12] = struct.pack('>I', ssrc)
            capture = wall0 + start + pts
            if last_sr is None or capture - last_sr >= 1.0:  # an SR about every second
                last_sr = capture
                ntp = capture + ntp_off + NTP_UNIX
                arr = capture + 0.010 + rnd.uniform(0, 0.005)
                records.append((2, int(arr * 1e6), _sr(ssrc, ntp, rtp)))
            k += 1
            arr = capture + delay + rnd.uniform(0, jit) + (k % 8) * 0.0005
            records.append((1, int(arr * 1e6), bytes(pkt)))
        source = 'camera' if kind == 'video' else 'mic'
        rel = 'tracks/%s-%s-%s.hnr' % (pid, source, kind)
        header = {'v': 1, 'kind': kind, 'codec': 'VP8' if kind == 'video' else 'opus',
                  'clock_rate': clock, 'pt': pt, 'ssrc': ssrc, 'participant': pid,
                  'name': name, 'source': source, 'meeting': 1, 'room': 'test',
                  'start_us': int((wall0 + start) * 1e6)}
        _write_hnr(os.path.join(folder, rel), header, records)
        entries.append({'file': rel, 'participant': pid, 'name': name, 'kind': kind,
                        'source': source, 'codec': header['codec'], 'clock_rate': clock,
                        'start_ms': int(start * 1000), 'end_ms': int((start + seconds) * 1000)})
    return entries


def make_meeting(folder, publishers, wall0):
    """publishers: dicts with pid, name, start, seconds, flashes, ntp_off (+ size, pattern).
    Writes the folder; returns the manifest."""
    os.makedirs(os.path.join(folder, 'tracks'), exist_ok=True)
    tracks, parts = [], []
    for i, p in enumerate(publishers):
        tracks += make_publisher(folder, p['pid'], p['name'], wall0, p['start'], p['seconds'],
                                 p['flashes'], p['ntp_off'], seed=i + 1,
                                 size=p.get('size', (160, 120)), pattern=p.get('pattern', False))
        parts.append({'id': p['pid'], 'name': p['name'], 'role': 'member',
                      'joined_ms': int((wall0 + p['start']) * 1000)})
    end = max(p['start'] + p['seconds'] for p in publishers)
    manifest = {'version': 1, 'meeting': 1, 'room': 'test', 'title': 'A/V sync',
                'state': 'complete', 'started_ms': int(wall0 * 1000),
                'ended_ms': int((wall0 + end) * 1000),
                'recording': [{'started_ms': int(wall0 * 1000), 'reason': 'auto'}],
                'participants': parts, 'tracks': tracks, 'files': [], 'interrupted': False}
    with open(os.path.join(folder, 'manifest.json'), 'w') as f:
        json.dump(manifest, f)
    return manifest


def measure(path):
    """{'duration', 'flashes', 'beeps', 'has_video', 'has_audio'} of a composed file."""
    pipe = Gst.parse_launch(
        'filesrc name=f ! decodebin name=d '
        'd. ! queue ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=64,height=36 ! '
        'appsink name=vs sync=false '
        'd. ! queue ! audioconvert ! audioresample ! '
        'audio/x-raw,format=S16LE,channels=1,rate=8000 ! appsink name=as sync=false')
    pipe.get_by_name('f').set_property('location', path)
    frames, audio = [], []

    def on_v(sink):
        s = sink.emit('pull-sample')
        b = s.get_buffer()
        data = b.extract_dup(0, b.get_size())
        frames.append((b.pts / Gst.SECOND, sum(data) / len(data)))
        return Gst.FlowReturn.OK

    def on_a(sink):
        s = sink.emit('pull-sample')
        b = s.get_buffer()
        audio.append((b.pts / Gst.SECOND, b.extract_dup(0, b.get_size())))
        return Gst.FlowReturn.OK

    for name, fn in (('vs', on_v), ('as', on_a)):
        sink = pipe.get_by_name(name)
        sink.set_property('emit-signals', True)
        sink.connect('new-sample', fn)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(120 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    ok = msg is not None and msg.type == Gst.MessageType.EOS
    err = None if ok or msg is None else msg.parse_error()[0].message
    pipe.set_state(Gst.State.NULL)
    assert ok, 'cannot decode %s: %s' % (path, err)
    flashes = []
    for i, (t, y) in enumerate(frames):
        prev = [fy for _, fy in frames[max(0, i - 6):i]]
        if prev and y > max(prev) + 25 and (not flashes or t - flashes[-1] > 0.3):
            flashes.append(t)
    beeps = []
    last_loud = -10.0
    for t0, data in audio:
        n = len(data) // 2
        samples = struct.unpack('<%dh' % n, data[:2 * n])
        for w in range(0, n - 39, 40):  # 5 ms windows
            e = sum(s * s for s in samples[w:w + 40]) / 40
            t = t0 + w / 8000
            if e > 2000 ** 2:
                if t - last_loud > 0.3:
                    beeps.append(t)
                last_loud = t
    dur = 0.0
    if frames:
        dur = max(dur, frames[-1][0] + 1 / FPS)
    if audio:
        dur = max(dur, audio[-1][0] + len(audio[-1][1]) / 2 / 8000)
    return {'duration': dur, 'flashes': flashes, 'beeps': beeps,
            'has_video': bool(frames), 'has_audio': bool(audio)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['make', 'measure'])
    ap.add_argument('path')
    ap.add_argument('--publishers', type=int, default=9)
    ap.add_argument('--seconds', type=float, default=30)
    ap.add_argument('--size', default='640x360')
    args = ap.parse_args()
    if args.cmd == 'measure':
        print(json.dumps(measure(args.path)))
        return
    import time
    w, h = (int(x) for x in args.size.split('x'))
    pubs = [{'pid': 'p%d' % i, 'name': 'Người dự %d' % i, 'start': 0, 'seconds': args.seconds,
             'flashes': [1 + i * 0.7 + k * 7 for k in range(int(args.seconds / 7))],
             'ntp_off': 100.0 * i - 300, 'size': (w, h), 'pattern': True}
            for i in range(args.publishers)]
    make_meeting(args.path, pubs, time.time() - args.seconds - 5)


if __name__ == '__main__':
    sys.exit(main())
