"""Room-system legs for scripts/bench-picture: the tests' small SIP user agent (test_sip.Uac) plus
RTP media on symmetric ports (what a Poly or Cisco hall system does: it sends its camera in H.264
and its microphone in PCMU, and receives the composed picture and its mix-minus on the same
ports).

Two kinds:
- CountingLeg (--no-decode in the script): sends pre-encoded packets (one 320x240 15 fps H.264
  stream and one PCMU tone, encoded once by GStreamer and replayed with each leg's own SSRC,
  sequence numbers and timestamps) and only counts what arrives: expected vs lost from the
  sequence numbers of each SSRC, frames from the marker bits. All counting legs share one
  Python thread, so 20 of them fit on two cores beside the server.
- DecodingLeg: a GStreamer pipeline (as tests/integration/test_sip_picture.RoomSystem) that
  decodes the picture and the audio with NO jitter buffer (loopback: packets arrive in order;
  a real room system adds its own) and keeps (monotonic time, mean brightness) of every picture
  and (monotonic time, power at a frequency) of every 20 ms of audio, to measure delays
  against the publisher's flip marks (gst_client.py --flip).
"""
import math
import os
import selectors
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'integration'))

import gi  # noqa: E402

gi.require_version('Gst', '1.0')
from gi.repository import Gio, Gst  # noqa: E402  (Gio: used-socket's GSocket methods)

assert Gio  # loaded for its GSocket wrapper

import test_sip  # noqa: E402  (Uac, answer_ports)

Gst.init(None)


def offer(a_port, v_port):
    return ('v=0\r\no=hall 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\n'
            'm=video %d RTP/AVPF 96\r\na=rtpmap:96 H264/90000\r\n'
            'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n'
            'a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n' % (a_port, v_port))


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(('127.0.0.1', 0))
    s.setblocking(False)
    return s


def encode_once(desc):
    """[(rtp time offset, payload bytes, marker)] of `desc ! appsink` over `seconds`."""
    pipe = Gst.parse_launch(desc + ' ! appsink name=k sync=false emit-signals=false')
    sink = pipe.get_by_name('k')
    pipe.set_state(Gst.State.PLAYING)
    out = []
    while True:
        sample = sink.emit('try-pull-sample', 5 * Gst.SECOND)
        if sample is None:
            break
        buf = sample.get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        pkt = bytes(m.data)
        buf.unmap(m)
        ts = struct.unpack('!I', pkt[4:8])[0]
        out.append((ts, pkt[12:], bool(pkt[1] & 0x80)))
    pipe.set_state(Gst.State.NULL)
    if not out:
        raise RuntimeError('nothing encoded by: ' + desc)
    t0 = out[0][0]
    return [((ts - t0) & 0xffffffff, pl, mk) for ts, pl, mk in out]


class Media:
    """The packets every counting leg replays (one loop of `seconds`)."""

    def __init__(self, seconds=4):
        self.seconds = seconds
        self.video = encode_once(
            'videotestsrc num-buffers=%d pattern=ball ! '
            'video/x-raw,width=320,height=240,framerate=15/1 ! '
            'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! '
            'video/x-h264,profile=constrained-baseline ! rtph264pay pt=96 config-interval=-1 '
            'mtu=1200' % (15 * seconds))
        self.audio = encode_once(
            'audiotestsrc num-buffers=%d samplesperbuffer=160 wave=sine freq=1000 ! '
            'audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 min-ptime=20000000 '
            'max-ptime=20000000' % (50 * seconds))


class Stream:
    """Receive counters of one RTP stream (the newest SSRC seen)."""

    def __init__(self):
        self.ssrc = None
        self.first = self.last = None  # extended sequence numbers
        self.received = 0
        self.frames = 0

    def on_packet(self, pkt):
        if len(pkt) < 12 or pkt[0] >> 6 != 2 or 72 <= (pkt[1] & 0x7f) <= 79:
            return  # not RTP (RTCP on a muxed port)
        seq = struct.unpack('!H', pkt[2:4])[0]
        ssrc = struct.unpack('!I', pkt[8:12])[0]
        if ssrc != self.ssrc:
            self.ssrc, self.first, self.last, self.received = ssrc, seq, seq, 0
        else:
            ext = self.last + ((seq - (self.last & 0xffff) + 0x8000) & 0xffff) - 0x8000
            self.last = max(self.last, ext)
        self.received += 1
        if pkt[1] & 0x80:
            self.frames += 1

    def snapshot(self):
        expected = (self.last - self.first + 1) if self.first is not None else 0
        return {'expected': expected, 'received': self.received, 'frames': self.frames,
                'ssrc': self.ssrc}


class CountingLeg:
    def __init__(self, srv, room):
        self.asock, self.vsock = udp_socket(), udp_socket()
        self.uac = test_sip.Uac(srv, room)
        self.rx = {'audio': Stream(), 'video': Stream()}
        self.dest = None
        self.ssrc = {'audio': int.from_bytes(os.urandom(4), 'big'),
                     'video': int.from_bytes(os.urandom(4), 'big')}
        self.seq = {'audio': 0, 'video': 0}

    def call(self):
        status, body = self.uac.invite(offer(self.asock.getsockname()[1],
                                             self.vsock.getsockname()[1]))
        if status != 200:
            raise RuntimeError('INVITE answered %d' % status)
        ports = dict((k, p) for k, p, _rtcp, _key in test_sip.answer_ports(body))
        self.dest = {'audio': ('127.0.0.1', ports['audio']),
                     'video': ('127.0.0.1', ports['video'])}

    def send(self, kind, ts, payload, marker, pt):
        self.seq[kind] = (self.seq[kind] + 1) & 0xffff
        hdr = struct.pack('!BBHII', 0x80, pt | (0x80 if marker else 0), self.seq[kind],
                          ts & 0xffffffff, self.ssrc[kind])
        sock = self.asock if kind == 'audio' else self.vsock
        try:
            sock.sendto(hdr + payload, self.dest[kind])
        except BlockingIOError:
            pass

    def hangup(self):
        try:
            self.uac.drain()
            self.uac.bye()
        except OSError:
            pass
        self.uac.close()
        self.asock.close()
        self.vsock.close()


class CountingLegs:
    """Every counting leg on one thread: sends the replayed media at its pace, counts arrivals."""

    def __init__(self, media):
        self.media = media
        self.legs = []
        self.lock = threading.Lock()
        self.sel = selectors.DefaultSelector()
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def add(self, leg):
        with self.lock:
            self.legs.append(leg)
            self.sel.register(leg.asock, selectors.EVENT_READ, (leg, 'audio'))
            self.sel.register(leg.vsock, selectors.EVENT_READ, (leg, 'video'))

    def remove_all(self):
        with self.lock:
            legs, self.legs = self.legs, []
            for leg in legs:
                self.sel.unregister(leg.asock)
                self.sel.unregister(leg.vsock)
        return legs

    def snapshot(self):
        with self.lock:
            return [{k: s.snapshot() for k, s in leg.rx.items()} for leg in self.legs]

    def run(self):
        """Sends packet i of each stream at its time in the loop; receives in between."""
        t0 = time.monotonic()
        period = self.media.seconds
        streams = (('audio', self.media.audio, 8000, 0), ('video', self.media.video, 90000, 96))
        nxt = {'audio': 0, 'video': 0}
        while not self.stop_ev.is_set():
            now = time.monotonic() - t0
            soonest = now + 0.02
            for kind, pkts, rate, pt in streams:
                while True:
                    i = nxt[kind]
                    loop, idx = divmod(i, len(pkts))
                    ts, payload, marker = pkts[idx]
                    due = loop * period + ts / rate
                    if due > now:
                        soonest = min(soonest, due)
                        break
                    with self.lock:
                        legs = list(self.legs)
                    rtp_ts = int(loop * period * rate) + ts
                    for leg in legs:
                        if leg.dest:
                            leg.send(kind, rtp_ts, payload, marker, pt)
                    nxt[kind] = i + 1
            timeout = max(0.0, soonest - (time.monotonic() - t0))
            with self.lock:
                empty = not self.legs
            if empty:
                time.sleep(timeout)
                continue
            for key, _ev in self.sel.select(timeout):
                leg, kind = key.data
                for _ in range(64):
                    try:
                        pkt = key.fileobj.recv(2048)
                    except (BlockingIOError, OSError):
                        break
                    leg.rx[kind].on_packet(pkt)

    def close(self):
        self.stop_ev.set()
        self.thread.join(5)


def window(before, after, seconds):
    """Per-leg loss and fps between two snapshots of CountingLegs (same legs, same order)."""
    out = []
    for b, a in zip(before, after):
        row = {}
        for kind in ('audio', 'video'):
            if a[kind]['ssrc'] != b[kind]['ssrc'] or b[kind]['ssrc'] is None:
                b_exp = b_rec = b_fr = 0  # a new stream since: count it from its start
            else:
                b_exp, b_rec, b_fr = (b[kind]['expected'], b[kind]['received'],
                                      b[kind]['frames'])
            exp = a[kind]['expected'] - b_exp
            rec = a[kind]['received'] - b_rec
            row[kind] = {'expected': exp, 'lost': max(0, exp - rec),
                         'fps': (a[kind]['frames'] - b_fr) / seconds}
        out.append(row)
    return out


class DecodingLeg:
    """A leg that decodes what it receives and keeps when each picture and audio block came."""

    def __init__(self, srv, room, tone_hz=440.0):
        self.tone_hz = tone_hz
        self.uac = test_sip.Uac(srv, room)
        self.pipe = Gst.parse_launch(
            'udpsrc name=vrx address=127.0.0.1 port=0 caps="application/x-rtp,media=video,'
            'encoding-name=H264,clock-rate=90000,payload=96" ! '
            'rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! videoscale ! '
            'video/x-raw,format=GRAY8,width=64,height=36 ! appsink name=v sync=false '
            'emit-signals=true '
            'udpsrc name=arx address=127.0.0.1 port=0 caps="application/x-rtp,media=audio,'
            'encoding-name=PCMU,clock-rate=8000,payload=0" ! '
            'rtppcmudepay ! mulawdec ! audioconvert ! '
            'audio/x-raw,format=S16LE,rate=8000,channels=1 ! appsink name=a sync=false '
            'emit-signals=true '
            'audiotestsrc is-live=true wave=silence samplesperbuffer=160 ! '
            'audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! '
            'udpsink name=atx host=127.0.0.1 port=1 sync=false async=false')
        self.pictures = []  # [(monotonic s, mean brightness 0..255)]
        self.audio = []     # [(monotonic s, power at tone_hz)] per 20 ms block
        self.pcm = bytearray()
        self.pipe.get_by_name('v').connect('new-sample', self.on_video)
        self.pipe.get_by_name('a').connect('new-sample', self.on_audio)
        for rx in ('vrx', 'arx'):
            self.pipe.get_by_name(rx).set_state(Gst.State.READY)

    def port(self, rx):
        sock = self.pipe.get_by_name(rx).get_property('used-socket')
        return sock.get_local_address().get_port()

    def call(self):
        status, body = self.uac.invite(offer(self.port('arx'), self.port('vrx')))
        if status != 200:
            raise RuntimeError('INVITE answered %d' % status)
        ports = dict((k, p) for k, p, _rtcp, _key in test_sip.answer_ports(body))
        # its silence goes out of the audio receiver's socket: symmetric RTP
        sink = self.pipe.get_by_name('atx')
        sink.set_property('socket', self.pipe.get_by_name('arx').get_property('used-socket'))
        sink.set_property('close-socket', False)
        sink.set_property('port', ports['audio'])
        self.pipe.set_state(Gst.State.PLAYING)

    def on_video(self, sink):
        now = time.monotonic()
        sample = sink.emit('pull-sample')
        buf = sample.get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            data = m.data
            self.pictures.append((now, sum(data) / max(1, len(data))))
            buf.unmap(m)
        return Gst.FlowReturn.OK

    def on_audio(self, sink):
        now = time.monotonic()
        sample = sink.emit('pull-sample')
        buf = sample.get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            self.pcm += bytes(m.data)
            buf.unmap(m)
        while len(self.pcm) >= 320:  # 20 ms blocks; time: when the block's last sample came
            block, self.pcm = self.pcm[:320], self.pcm[320:]
            self.audio.append((now, goertzel(block, self.tone_hz, 8000)))
        return Gst.FlowReturn.OK

    def hangup(self):
        try:
            self.uac.drain()
            self.uac.bye()
        except OSError:
            pass
        self.uac.close()
        self.pipe.set_state(Gst.State.NULL)


def goertzel(block, hz, rate):
    n = len(block) // 2
    samples = struct.unpack('<%dh' % n, block)
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n)


def delays(marks, series, what):
    """Matches the publisher's marks (t, on), in order, to the series' (t, value) crossings of
    the midpoint between its low and high values, in order: each mark takes the first crossing
    to its side after both the mark and the previous match. The flips must start after the
    series did (gst_client.py flips from SIGUSR1 on), so that a picture that fell seconds
    behind is measured as such, not matched with a later flip. [delay s]."""
    if not series or not marks:
        return []
    vals = sorted(v for _t, v in series)
    lo, hi = vals[len(vals) // 20], vals[-1 - len(vals) // 20]
    if what == 'power':  # a tone on/off: log scale
        lo, hi = math.log10(lo + 1e-3), math.log10(hi + 1e-3)
        series = [(t, math.log10(v + 1e-3)) for t, v in series]
    mid = (lo + hi) / 2
    out = []
    k = 0
    for t, on in marks:
        while k < len(series) and (series[k][0] < t or (series[k][1] > mid) != on):
            k += 1
        if k >= len(series):
            break
        out.append(series[k][0] - t)
    return out


def main():
    """A decoding leg in a process of its own (so that the counting legs' thread never holds
    its interpreter lock): dials, prints "ready", records for --seconds, hangs up, writes
    {"pictures": [[t, brightness]], "audio": [[t, power]]} to --out."""
    import argparse
    import json
    ap = argparse.ArgumentParser()
    ap.add_argument('--sip-port', type=int, required=True)
    ap.add_argument('--room', default='hall')
    ap.add_argument('--seconds', type=float, default=25)
    ap.add_argument('--tone', type=float, default=440.0)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()

    class Srv:
        sip_port = args.sip_port
    leg = DecodingLeg(Srv(), args.room, args.tone)
    leg.call()
    time.sleep(3)
    print('ready', flush=True)
    time.sleep(args.seconds)
    leg.hangup()
    with open(args.out, 'w') as f:
        json.dump({'pictures': leg.pictures, 'audio': leg.audio}, f)


if __name__ == '__main__':
    main()
