#!/usr/bin/python3
"""A real hoinghi participant built on GStreamer webrtcbin (protocol: docs/signaling.md).

It joins a room, publishes VP8 (or H.264) + Opus from test sources on a `pub` webrtcbin (the
client offers, sendonly), answers every `sub` offer of the server on a second webrtcbin (first
offer and renegotiations alike), decodes all received media and counts, per remote participant,
the decoded video frames and audio buffers. The mapping from media to participant comes from the
`tracks` list of the latest `offer` and the mid of the transceiver that carries the stream.

Usage:
  gst_client.py --url ws://127.0.0.1:8080/ws --room r1 --name Alice --duration 10 \
      [--no-publish] [--video-codec vp8|h264] [--keyframe-interval 30] [--report out.json] \
      [--nack] [--uplink-loss PCT --loss-seed N]

--nack turns on NACK and RTX (webrtcbin's do-nack) on every transceiver, as browsers have it.
--uplink-loss puts a UDP relay on 127.0.0.1 between the `pub` webrtcbin and the server (the
server's candidates in the answer are rewritten to it) that drops a seeded PCT % of the RTP
datagrams going to the server (RTCP, STUN and DTLS pass); the report's "relay" counts them.
--flip N (scripts/bench-picture's delay marks): from SIGUSR1 on, every N s the picture turns
white and the tone sounds, then back to --pattern and silence; the report's "flips" holds the
CLOCK_MONOTONIC time at which the first buffer of each state left its source.

The report (written every half second while running, and at the end; also printed as the last
stdout line) is a JSON object: {"id", "room", "name", "joined", "received": {pid: {"name",
"video_frames", "audio_buffers", "rtp_packets", "first_video_s", "history"}}, "events": [...],
"errors": [...], "exit_code", ...}. Times are seconds since `joined`.

Exit code: 0 on a clean run; 1 when something went wrong that was not expected: an `error`
message from the server, a malformed server message, a socket closed by the server, no `joined`,
a GStreamer or negotiation failure; 2 on bad command-line usage.
Run with Debian's /usr/bin/python3 (it needs the distribution's gi and websockets modules).
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time
import zlib

import websockets
import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('Nice', '0.1')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

# GStreamer 1.22 + PyGObject: webrtcbin's ice-agent comes back floating; if the Python wrapper is
# dropped, the agent is freed and webrtcbin crashes later. Keep every wrapper for the process life.
_KEEP_ALIVE = []

VIDEO_SRC_T = ('videotestsrc is-live=true pattern={pattern} ! '
               'video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! queue ! ')
VIDEO_ENC = {
    'vp8': ('vp8enc deadline=1 keyframe-max-dist={kf} target-bitrate=300000 ! '
            'rtpvp8pay name=vpay pt=96 picture-id-mode=15-bit ! '
            'application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! '),
    'h264': ('{h264enc} ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream ! '
             'h264parse ! rtph264pay name=vpay pt=102 config-interval=-1 aggregate-mode=zero-latency ! '
             'application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! '),
}
AUDIO_T = ('audiotestsrc is-live=true wave=sine freq={tone} ! audioconvert ! audioresample ! '
           'queue ! opusenc ! rtpopuspay pt=111 ! '
           'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! wb.')
VIDEO_SRC = VIDEO_SRC_T.format(pattern='ball')  # the defaults (whip_client.py uses these)
AUDIO = AUDIO_T.format(tone=440)


def log(*args):
    print('gst_client:', *args, file=sys.stderr, flush=True)


def h264_encoder(keyframe_interval):
    """Returns the launch text of an available H.264 encoder, baseline profile."""
    if Gst.ElementFactory.find('openh264enc'):
        return 'openh264enc gop-size=%d bitrate=300000 complexity=low' % keyframe_interval
    if Gst.ElementFactory.find('x264enc'):
        return ('x264enc tune=zerolatency speed-preset=ultrafast bitrate=300 key-int-max=%d'
                % keyframe_interval)
    raise RuntimeError('no H.264 encoder (openh264enc or x264enc) is installed')


def sdp_mids(sdp):
    """Returns the list of mids (None where missing) of a GstSdp.SDPMessage, one per m= line."""
    return [sdp.get_media(i).get_attribute_val('mid') for i in range(sdp.medias_len())]


def sdp_ssrcs(sdp):
    """Returns {ssrc: mid} from the a=ssrc lines of a GstSdp.SDPMessage."""
    out = {}
    for i in range(sdp.medias_len()):
        media = sdp.get_media(i)
        mid = media.get_attribute_val('mid')
        for j in range(media.attributes_len()):
            attr = media.get_attribute(j)
            if attr.key == 'ssrc' and attr.value:
                try:
                    out[int(attr.value.split()[0])] = mid
                except ValueError:
                    pass
    return out


class ProtocolError(Exception):
    pass


class Peer:
    """One webrtcbin (`pub` or `sub`) in its own pipeline, with trickle-ICE plumbing."""

    def __init__(self, client, pc, pipeline, webrtcbin):
        self.client, self.pc = client, pc
        self.pipe, self.wb = pipeline, webrtcbin
        self.local_mids = []
        self.remote_mids = []
        self.wb.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        ice = self.wb.get_property('ice-agent')
        _KEEP_ALIVE.append(ice)
        agent = ice.get_property('agent')
        _KEEP_ALIVE.append(agent)
        addr = Nice.Address.new()
        addr.set_from_string(client.args.local_ip)
        agent.add_local_address(addr)   # libnice skips loopback interfaces by default
        agent.set_property('upnp', False)
        self.wb.connect('on-ice-candidate', self._on_ice_candidate)
        self.wb.connect('notify::ice-gathering-state', self._on_gathering)
        self.wb.connect('notify::ice-connection-state', self._on_state, 'ice-connection-state')
        self.wb.connect('notify::connection-state', self._on_state, 'connection-state')
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect('message', self._on_bus)

    def _on_bus(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.client.fail('gstreamer', '%s pipeline: %s (%s)' % (self.pc, err.message, dbg))
        elif msg.type == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            log('%s warning: %s' % (self.pc, err.message))

    def _on_state(self, wb, _pspec, prop):
        value = wb.get_property(prop)
        nick = value.value_nick if hasattr(value, 'value_nick') else str(value)
        self.client.set_state(self.pc, prop, nick)
        if prop == 'connection-state' and nick == 'failed':
            self.client.fail('ice', '%s connection failed' % self.pc)

    def _on_ice_candidate(self, _wb, mline, cand):
        mid = self.local_mids[mline] if mline < len(self.local_mids) else str(mline)
        self.client.send({'type': 'candidate', 'pc': self.pc, 'candidate': cand, 'sdpMid': mid})

    def _on_gathering(self, wb, _pspec):
        if wb.get_property('ice-gathering-state') == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.client.send({'type': 'candidate', 'pc': self.pc, 'candidate': None})

    async def call(self, action, arg):
        """Emits a webrtcbin action that takes a promise; returns the reply (or raises)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()

        def done(promise, _data=None):
            reply = promise.get_reply()   # keep the reply referenced while values are read
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(reply))

        promise = Gst.Promise.new_with_change_func(done, None)
        self.wb.emit(action, arg, promise)
        reply = await asyncio.wait_for(fut, 10)
        if reply is not None and reply.has_field('error'):
            raise ProtocolError('%s %s failed: %s' % (self.pc, action, reply.get_value('error')))
        return reply

    def note_sdp_candidates(self, sdp_text):
        """Records the candidates the server put in its description (an ICE-lite server sends
        them there instead of trickling)."""
        for line in sdp_text.splitlines():
            if line.startswith('a=candidate:'):
                self.client.remote_candidates.append({'pc': self.pc, 'candidate': line[2:]})

    def add_remote_candidate(self, cand, sdp_mid):
        if not cand:
            return   # end of candidates: nothing to tell libnice
        if not isinstance(cand, str) or not cand.startswith('candidate:'):
            raise ProtocolError('bad %s candidate %r' % (self.pc, cand))
        if self.pc == 'pub' and self.client.args.uplink_loss:
            cand = self.client.relay_candidate(cand)
            if cand is None:
                return   # only the relay leads to the server
        self.client.remote_candidates.append({'pc': self.pc, 'candidate': cand})
        mline = 0
        if sdp_mid is not None and sdp_mid in self.remote_mids:
            mline = self.remote_mids.index(sdp_mid)
        self.wb.emit('add-ice-candidate', mline, cand)

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


class LossyRelay:
    """A UDP relay from the client to one server address dropping a seeded share of the RTP
    datagrams on the way in (RFC 5761/7983 demux: first byte 128-191 is RTP or RTCP, second byte
    192-223 is RTCP). Runs on its own thread until stop()."""

    def __init__(self, server_addr, loss_pct, seed):
        self.server = server_addr
        self.loss = loss_pct / 100.0
        self.rng = random.Random(seed)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(('127.0.0.1', 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(('127.0.0.1', 0))
        self.port = self.front.getsockname()[1]
        self.client = None
        self.forwarded = self.dropped = 0
        self.restart = None
        self.restarted = 0
        self.running = True
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while self.running:
            self._restart_step()
            socks = [self.front, self.back] + ([self.restart['sock']] if self.restart else [])
            ready, _, _ = select.select(socks, [], [], 0.05)
            for sock in ready:
                try:
                    data, addr = sock.recvfrom(65536)
                except OSError:
                    continue
                if self.restart is not None and sock is self.restart['sock']:
                    self._restart_reply(data)
                    continue
                if sock is self.front:
                    self.client = addr
                    rtp = (len(data) > 1 and 128 <= data[0] <= 191
                           and not 192 <= data[1] <= 223)
                    if rtp and self.rng.random() < self.loss:
                        self.dropped += 1
                        continue
                    self.forwarded += 1
                    self.back.sendto(data, self.server)
                elif self.client is not None:
                    self.front.sendto(data, self.client)

    def restart_ice(self, ufrag, pwd):
        """An ICE restart from a new local port, as after a network change: a new back socket
        sends connectivity checks with the server's new credentials (ufrag, pwd from its answer
        to the restart offer) until one succeeds, then carries the client's datagrams. webrtcbin
        (1.22) cannot restart ICE itself; its own later checks, with the old credentials, go
        unanswered, which it tolerates for longer than the tests run."""
        new = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        new.bind(('127.0.0.1', 0))
        self.restart = {'sock': new, 'ufrag': ufrag, 'pwd': pwd.encode(), 'tries': 0,
                        'next': 0.0, 'old': self.back}
        return new.getsockname()[1]

    def _restart_step(self):
        r = self.restart
        if r is None or time.monotonic() < r['next']:
            return
        r['tries'] += 1
        r['next'] = time.monotonic() + 0.2
        r['sock'].sendto(stun_check(r['ufrag'], r['pwd']), self.server)

    def _restart_reply(self, data):
        """A datagram on the new socket: a Binding success response switches to it."""
        if len(data) >= 20 and data[0:2] == b'\x01\x01' and self.restart is not None:
            self.back = self.restart['sock']
            self.restart['old'].close()
            self.restarted = self.restart['tries']
            self.restart = None

    def stop(self):
        self.running = False


def stun_check(ufrag, pwd):
    """An ICE connectivity check (RFC 8445 section 7.2.2) as a controlling agent nominating the
    pair: USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT."""
    def attr(kind, value):
        pad = (4 - len(value) % 4) % 4
        return struct.pack('!HH', kind, len(value)) + value + b'\0' * pad
    body = (attr(0x0006, (ufrag + ':relay').encode()) + attr(0x0024, struct.pack('!I', 0x6e7fffff))
            + attr(0x802A, os.urandom(8)) + attr(0x0025, b''))
    txid = os.urandom(12)

    def header(length):
        return struct.pack('!HHI', 0x0001, length, 0x2112A442) + txid
    mac = hmac.new(pwd, header(len(body) + 24) + body, hashlib.sha1).digest()
    body += attr(0x0008, mac)
    crc = (zlib.crc32(header(len(body) + 8) + body) ^ 0x5354554e) & 0xffffffff
    body += attr(0x8028, struct.pack('!I', crc))
    return header(len(body)) + body


class Stats:
    """Per-remote-participant counters, shared between streaming threads and asyncio."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_pid = {}
        self.unmapped = {'video_frames': 0, 'audio_buffers': 0, 'rtp_packets': 0}

    def bump(self, pid, field, now, encoding=None):
        with self.lock:
            if pid is None:
                self.unmapped[field] += 1
                return
            entry = self.by_pid.setdefault(pid, {'video_frames': 0, 'audio_buffers': 0,
                                                 'rtp_packets': 0, 'first_video_s': None,
                                                 'encodings': [], 'history': []})
            entry[field] += 1
            if encoding and encoding not in entry['encodings']:
                entry['encodings'].append(encoding)
            if field == 'video_frames' and entry['first_video_s'] is None:
                entry['first_video_s'] = now

    def sample(self, now):
        with self.lock:
            for entry in self.by_pid.values():
                entry['history'].append([round(now, 2), entry['video_frames'],
                                         entry['audio_buffers']])
                del entry['history'][:-120]

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps({'received': self.by_pid, 'unmapped': self.unmapped}))


class Client:
    def __init__(self, args, loop):
        self.args, self.loop = args, loop
        self.ws = None
        self.t0 = time.monotonic()
        self.t_joined = None
        self.my_id = None
        self.participants = {}        # id -> name (the others, present now or before)
        self.tracks = {}              # mid -> {'participant', 'kind'} from the latest sub offer
        self.ssrc_mid = {}            # ssrc -> mid from the latest sub offer's a=ssrc lines
        self.pad_pid = {}             # sub src pad name -> the participant it carried last
        self.events, self.errors, self.warnings = [], [], []
        self.states = {}
        self.remote_candidates = []   # [{'pc', 'candidate'}] as received from the server
        self.stats = Stats()
        self.sent_video = 0        # encoded video frames handed to the payloader
        self.sent_history = []     # [wall clock s, frames sent by then], every 15 frames
        self.flip_on = False       # --flip: white picture and the tone now (else pattern, silence)
        self.flips = {'video': [], 'audio': []}  # [[monotonic s, on]] of the first buffer seen
        self.offers = 0
        self.out = asyncio.Queue()
        self.done = asyncio.Event()
        self.failed = False
        self.leaving = False
        self.pub = None
        self.sub = None
        self.relays = {}              # (ip, port) of a server candidate -> LossyRelay
        self.restart_pending = False  # a restart offer is out: its answer goes to the relays
        self.inbound_rtp = {}         # --rtp-stats: ssrc -> inbound-rtp figures of `sub`

    # ---- helpers usable from any thread ----
    def now(self):
        base = self.t_joined if self.t_joined is not None else self.t0
        return time.monotonic() - base

    def send(self, obj):
        self.loop.call_soon_threadsafe(self.out.put_nowait, obj)

    def fail(self, kind, message):
        def apply():
            self.errors.append({'kind': kind, 'message': message, 't': round(self.now(), 3)})
            log('ERROR', kind, message)
            self.failed = True
            self.done.set()
        self.loop.call_soon_threadsafe(apply)

    def set_state(self, pc, prop, value):
        def apply():
            self.states['%s.%s' % (pc, prop)] = value
            self.event({'type': 'state', 'pc': pc, prop: value})
        self.loop.call_soon_threadsafe(apply)

    def event(self, ev):
        ev = dict(ev)
        ev['t'] = round(self.now(), 3)
        self.events.append(ev)
        del self.events[:-500]

    # ---- report ----
    def report(self, exit_code=None):
        rep = {'id': self.my_id, 'room': self.args.room, 'name': self.args.name,
               'joined': self.t_joined is not None, 'publishing': not self.args.no_publish,
               'video_codec': self.args.video_codec, 'participants': self.participants,
               'tracks': self.tracks, 'offers': self.offers, 'states': self.states,
               'events': self.events, 'errors': self.errors, 'warnings': self.warnings,
               'remote_candidates': self.remote_candidates,
               'relay': {'forwarded': sum(r.forwarded for r in self.relays.values()),
                         'dropped': sum(r.dropped for r in self.relays.values()),
                         'restarted': [r.restarted for r in self.relays.values()]},
               'elapsed_s': round(self.now(), 3), 'exit_code': exit_code,
               'sent': {'video_frames': self.sent_video, 'history': list(self.sent_history)},
               'flips': {k: list(v) for k, v in self.flips.items()}}
        if self.args.rtp_stats:
            rep['inbound_rtp'] = list(self.inbound_rtp.values())
        rep.update(self.stats.snapshot())
        for pid, entry in rep['received'].items():
            entry['name'] = self.participants.get(pid)
        return rep

    def write_report(self, exit_code=None):
        if not self.args.report:
            return
        tmp = self.args.report + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(self.report(exit_code), f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.args.report)

    # ---- media ----
    def build_pub(self):
        video = VIDEO_ENC[self.args.video_codec].format(
            kf=self.args.keyframe_interval,
            h264enc=h264_encoder(self.args.keyframe_interval) if self.args.video_codec == 'h264'
            else '')
        desc = ('webrtcbin name=wb latency=100 ' + VIDEO_SRC_T.format(pattern=self.args.pattern)
                + video + 'wb. ' + AUDIO_T.format(tone=self.args.tone))
        pipe = Gst.parse_launch(desc)
        pipe.get_by_name('vpay').get_static_pad('sink').add_probe(
            Gst.PadProbeType.BUFFER, self.on_video_sent)
        wb = pipe.get_by_name('wb')
        for pad in wb.sinkpads:   # the client only sends on `pub`
            trans = pad.get_property('transceiver')
            trans.set_property('direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            if self.args.nack:
                trans.set_property('do-nack', True)
        if self.args.flip > 0:
            self.setup_flip(pipe)
        self.pub = Peer(self, 'pub', pipe, wb)
        wb.connect('on-negotiation-needed', lambda _wb: asyncio.run_coroutine_threadsafe(
            self.publish(), self.loop))
        pipe.set_state(Gst.State.PLAYING)

    # ---- --flip: delay marks (scripts/bench-picture measures glass-to-glass, mouth-to-ear) ----
    def setup_flip(self, pipe):
        """From SIGUSR1 on, every --flip seconds the picture turns white and the tone sounds, then back to the
        pattern and silence. The monotonic time (CLOCK_MONOTONIC, the same in every process)
        at which the first buffer of each new state leaves the source is kept in `flips`."""
        srcs = {}
        for el in pipe.iterate_elements():
            name = el.get_factory().get_name()
            if name in ('videotestsrc', 'audiotestsrc'):
                srcs[name] = el
        self.flip_srcs = srcs
        srcs['audiotestsrc'].set_property('volume', 0.0)
        for name, kind in (('videotestsrc', 'video'), ('audiotestsrc', 'audio')):
            srcs[name].get_static_pad('src').add_probe(
                Gst.PadProbeType.BUFFER, self.on_flip_buffer, kind)
        self.flip_started = False

    def start_flip(self):
        """SIGUSR1: the flips begin (once the measuring side is ready to see the first)."""
        if self.args.flip > 0 and not self.flip_started:
            self.flip_started = True
            GLib.timeout_add(int(self.args.flip * 1000), self.flip)

    def flip(self):
        self.flip_on = not self.flip_on
        self.flip_srcs['videotestsrc'].set_property(
            'pattern', 'white' if self.flip_on else self.args.pattern)
        self.flip_srcs['audiotestsrc'].set_property('volume', 0.8 if self.flip_on else 0.0)
        return True

    def on_flip_buffer(self, _pad, info, kind):
        """The state a buffer shows, read from its bytes (white / tone: bright / not zero)."""
        ok, m = info.get_buffer().map(Gst.MapFlags.READ)
        if not ok:
            return Gst.PadProbeReturn.OK
        data = m.data[::509]
        if kind == 'video':
            on = sum(data) / max(1, len(data)) > 150
        else:
            on = any(data)
        info.get_buffer().unmap(m)
        marks = self.flips[kind]
        if (marks[-1][1] if marks else False) != on:
            marks.append([round(time.monotonic(), 4), on])
            del marks[:-400]
        return Gst.PadProbeReturn.OK

    def on_video_sent(self, _pad, _info):
        self.sent_video += 1
        if self.sent_video % 15 == 0:
            self.sent_history.append((round(time.time(), 3), self.sent_video))
        return Gst.PadProbeReturn.OK

    def build_sub(self):
        pipe = Gst.Pipeline.new('sub')
        wb = Gst.ElementFactory.make('webrtcbin', 'wb')
        wb.set_property('latency', 100)
        pipe.add(wb)
        self.sub = Peer(self, 'sub', pipe, wb)
        wb.connect('pad-added', self.on_sub_pad)
        if self.args.nack:
            wb.connect('on-new-transceiver',
                       lambda _wb, trans: trans.set_property('do-nack', True))
        pipe.set_state(Gst.State.PLAYING)

    def pid_for_pad(self, pad):
        """The participant whose media a webrtcbin src pad carries now (mid, then ssrc)."""
        trans = pad.get_property('transceiver')
        mid = trans.get_property('mid') if trans is not None else None
        if mid is None:
            caps = pad.get_current_caps()
            if caps is not None:
                ok, ssrc = caps.get_structure(0).get_uint('ssrc')
                mid = self.ssrc_mid.get(ssrc) if ok else None
        track = self.tracks.get(mid)
        if track:
            self.pad_pid[pad.get_name()] = track['participant']
            return track['participant']
        # A frame still in the decoder when a newer offer dropped its track (the publisher left):
        # it is the last participant this pad carried, not an unknown stream.
        return self.pad_pid.get(pad.get_name())

    def on_sub_pad(self, _wb, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        _KEEP_ALIVE.append(pad)

        def on_rtp(p, _info):
            caps = p.get_current_caps()
            enc = caps.get_structure(0).get_string('encoding-name') if caps else None
            self.stats.bump(self.pid_for_pad(p), 'rtp_packets', self.now(), enc)
            return Gst.PadProbeReturn.OK
        pad.add_probe(Gst.PadProbeType.BUFFER, on_rtp)
        dec = Gst.ElementFactory.make('decodebin')
        dec.connect('pad-added', self.on_decoded_pad, pad)
        dec.connect('deep-element-added', self.on_decoder_element)
        self.sub.pipe.add(dec)
        dec.sync_state_with_parent()
        if pad.link(dec.get_static_pad('sink')) != Gst.PadLinkReturn.OK:
            self.fail('gstreamer', 'cannot link sub pad %s to decodebin' % pad.get_name())

    @staticmethod
    def on_decoder_element(_bin, _sub_bin, element):
        """Depayloaders ask for a keyframe (RTCP PLI) on loss and drop frames until one comes,
        as a browser does; this exercises the server's keyframe-request path."""
        for prop in ('request-keyframe', 'wait-for-keyframe'):
            if element.find_property(prop) is not None:
                element.set_property(prop, True)

    def on_decoded_pad(self, _dec, pad, rtp_pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        field = 'video_frames' if name.startswith('video/') else 'audio_buffers'
        queue = Gst.ElementFactory.make('queue')
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        for el in (queue, sink):
            self.sub.pipe.add(el)
            el.sync_state_with_parent()
        queue.link(sink)
        pad.link(queue.get_static_pad('sink'))
        sink.get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, lambda _p, _i: (
            self.stats.bump(self.pid_for_pad(rtp_pad), field, self.now()),
            Gst.PadProbeReturn.OK)[1])
        log('decoding', name, 'from', rtp_pad.get_name())

    # ---- signalling ----
    async def publish(self):
        if self.pub is None or self.leaving:
            return
        wb = self.pub.wb
        if wb.get_property('signaling-state') != GstWebRTC.WebRTCSignalingState.STABLE:
            return
        try:
            reply = await self.pub.call('create-offer', None)
            offer = reply.get_value('offer')
            self.pub.local_mids = sdp_mids(offer.sdp)
            # Queued before set-local-description starts ICE gathering, so the offer goes out
            # before any of its candidates.
            self.event({'type': 'publish'})
            self.send({'type': 'publish', 'sdp': offer.sdp.as_text()})
            await self.pub.call('set-local-description', offer)
        except (ProtocolError, asyncio.TimeoutError) as exc:
            self.fail('negotiation', 'pub offer: %r' % exc)

    async def on_answer(self, msg):
        if self.pub is None:
            raise ProtocolError('answer received but nothing was published')
        sdp_text = msg.get('sdp')
        if not isinstance(sdp_text, str):
            raise ProtocolError('answer without sdp')
        res, sdp = GstSdp.SDPMessage.new_from_text(sdp_text)
        if res != GstSdp.SDPResult.OK:
            raise ProtocolError('answer SDP does not parse')
        if self.restart_pending:
            self.restart_pending = False
            self.finish_ice_restart(sdp_text)
            return
        self.pub.remote_mids = sdp_mids(sdp)
        if self.args.uplink_loss or self.args.ice_restart_at:
            sdp_text = self.relay_sdp(sdp_text)
            res, sdp = GstSdp.SDPMessage.new_from_text(sdp_text)
        self.pub.note_sdp_candidates(sdp_text)
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        await self.pub.call('set-remote-description', desc)
        self.event({'type': 'answer'})

    def start_ice_restart(self):
        """Offers `pub` again with new ICE credentials (same DTLS fingerprint): an ICE restart
        as the server sees it. webrtcbin's own description, with its ice-ufrag/ice-pwd replaced."""
        desc = self.pub.wb.get_property('local-description')
        if desc is None or not self.relays:
            self.fail('ice-restart', 'nothing to restart (no description or no relay)')
            return
        ufrag = ''.join(random.choice('abcdefghijklmnop') for _ in range(8))
        pwd = ''.join(random.choice('abcdefghijklmnopqrstuvwx') for _ in range(24))
        lines = []
        for line in desc.sdp.as_text().split('\r\n'):
            if line.startswith('a=ice-ufrag:'):
                line = 'a=ice-ufrag:' + ufrag
            elif line.startswith('a=ice-pwd:'):
                line = 'a=ice-pwd:' + pwd
            lines.append(line)
        self.restart_pending = True
        self.event({'type': 'ice-restart-offer', 'ufrag': ufrag})
        self.send({'type': 'publish', 'sdp': '\r\n'.join(lines)})

    def finish_ice_restart(self, answer_text):
        """The server's answer to the restart offer: its new credentials go to the relays,
        which check them from a new local port."""
        cred = {}
        for line in answer_text.split('\r\n'):
            for key in ('ice-ufrag', 'ice-pwd'):
                if line.startswith('a=%s:' % key) and key not in cred:
                    cred[key] = line.split(':', 1)[1].strip()
        if len(cred) != 2:
            self.fail('ice-restart', 'the restart answer has no ICE credentials')
            return
        ports = [relay.restart_ice(cred['ice-ufrag'], cred['ice-pwd'])
                 for relay in self.relays.values()]
        self.event({'type': 'ice-restart-answer', 'ufrag': cred['ice-ufrag'], 'ports': ports})

    def relay_candidate(self, cand):
        """A server UDP candidate on 127.0.0.1 rewritten to a lossy relay; None for others."""
        f = cand.split()
        if len(f) < 8 or f[2].lower() != 'udp' or f[4] != '127.0.0.1':
            return None
        key = (f[4], int(f[5]))
        if key not in self.relays:
            self.relays[key] = LossyRelay(key, self.args.uplink_loss,
                                          self.args.loss_seed + len(self.relays))
        f[5] = str(self.relays[key].port)
        return ' '.join(f)

    def relay_sdp(self, sdp_text):
        out = []
        for line in sdp_text.split('\r\n'):
            if line.startswith('a=candidate:'):
                cand = self.relay_candidate(line[2:])
                if cand is None:
                    continue
                line = 'a=' + cand
            out.append(line)
        return '\r\n'.join(out)

    def parse_tracks(self, tracks):
        if not isinstance(tracks, list):
            raise ProtocolError('offer without a tracks list')
        out = {}
        for t in tracks:
            if (not isinstance(t, dict) or not isinstance(t.get('mid'), str)
                    or not isinstance(t.get('participant'), str)
                    or t.get('kind') not in ('audio', 'video')):
                raise ProtocolError('bad track entry %r' % (t,))
            out[t['mid']] = {'participant': t['participant'], 'kind': t['kind']}
        return out

    async def on_offer(self, msg):
        sdp_text = msg.get('sdp')
        if not isinstance(sdp_text, str):
            raise ProtocolError('offer without sdp')
        tracks = self.parse_tracks(msg.get('tracks'))
        res, sdp = GstSdp.SDPMessage.new_from_text(sdp_text)
        if res != GstSdp.SDPResult.OK:
            raise ProtocolError('offer SDP does not parse')
        mids = sdp_mids(sdp)
        for mid in tracks:
            if mid not in mids:
                raise ProtocolError('tracks names mid %r that the offer does not have' % mid)
        self.offers += 1
        self.tracks, self.ssrc_mid = tracks, sdp_ssrcs(sdp)
        self.sub.remote_mids = mids
        self.sub.note_sdp_candidates(sdp_text)
        self.event({'type': 'offer', 'tracks': msg.get('tracks')})
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        await self.sub.call('set-remote-description', desc)
        reply = await self.sub.call('create-answer', None)
        answer = reply.get_value('answer')
        if answer is None:
            raise ProtocolError('webrtcbin could not answer the sub offer')
        self.sub.local_mids = sdp_mids(answer.sdp)
        text = answer.sdp.as_text()
        if self.args.no_h264:
            text = reject_h264(text)
        self.send({'type': 'answer', 'sdp': text})   # before its candidates
        await self.sub.call('set-local-description', answer)

    def on_joined(self, msg):
        if self.t_joined is not None:
            raise ProtocolError('joined received twice')
        if not isinstance(msg.get('id'), str) or not isinstance(msg.get('participants'), list):
            raise ProtocolError('joined without id or participants')
        self.t_joined = time.monotonic()
        self.my_id = msg['id']
        for p in msg['participants']:
            if not isinstance(p, dict) or not isinstance(p.get('id'), str):
                raise ProtocolError('bad participant entry %r' % (p,))
            self.participants[p['id']] = p.get('name')
        self.event({'type': 'joined', 'id': self.my_id, 'participants': msg['participants']})
        log('joined as', self.my_id, 'with', list(self.participants))
        if not self.args.no_publish:
            self.build_pub()

    async def handle(self, msg):
        kind = msg.get('type')
        if kind == 'joined':
            self.on_joined(msg)
        elif self.t_joined is None and kind not in ('pong', 'error'):
            raise ProtocolError('%r before joined' % kind)
        elif kind == 'participant-joined':
            p = msg.get('participant')
            if not isinstance(p, dict) or not isinstance(p.get('id'), str):
                raise ProtocolError('participant-joined without participant')
            self.participants[p['id']] = p.get('name')
            self.event({'type': kind, 'participant': p})
        elif kind == 'participant-left':
            if not isinstance(msg.get('id'), str):
                raise ProtocolError('participant-left without id')
            self.event({'type': kind, 'id': msg['id'], 'reason': msg.get('reason')})
        elif kind == 'answer':
            await self.on_answer(msg)
        elif kind == 'offer':
            await self.on_offer(msg)
        elif kind == 'candidate':
            peer = {'pub': self.pub, 'sub': self.sub}.get(msg.get('pc'))
            if peer is None:
                raise ProtocolError('candidate for unknown pc %r' % msg.get('pc'))
            peer.add_remote_candidate(msg.get('candidate'), msg.get('sdpMid'))
        elif kind == 'pong':
            pass
        elif kind == 'error':
            self.event({'type': 'error', 'code': msg.get('code'), 'ref': msg.get('ref')})
            raise ProtocolError('server error %s: %s (ref %s)' % (
                msg.get('code'), msg.get('message'), msg.get('ref')))
        else:
            self.warnings.append('unknown message type %r' % kind)

    # ---- tasks ----
    async def reader(self):
        try:
            async for raw in self.ws:
                if not isinstance(raw, str):
                    raise ProtocolError('binary frame from the server')
                try:
                    msg = json.loads(raw)
                except ValueError:
                    raise ProtocolError('server sent invalid JSON: %r' % raw[:200]) from None
                if not isinstance(msg, dict) or not isinstance(msg.get('type'), str):
                    raise ProtocolError('server message without type: %r' % raw[:200])
                if self.args.trace:
                    log('%.3f <- %s' % (self.now(), self.trace_text(msg)))
                await self.handle(msg)
            if not self.leaving:
                self.fail('closed', 'server closed the socket (code %s)' % self.ws.close_code)
        except ProtocolError as exc:
            self.fail('protocol', str(exc))
        except asyncio.TimeoutError:
            self.fail('negotiation', 'webrtcbin did not answer in time')
        except websockets.ConnectionClosed as exc:
            if not self.leaving:
                self.fail('closed', 'socket closed: %s' % exc)
        self.done.set()

    async def writer(self):
        while True:
            obj = await self.out.get()
            if self.args.trace:
                log('%.3f -> %s' % (self.now(), self.trace_text(obj)))
            try:
                await self.ws.send(json.dumps(obj))
            except websockets.ConnectionClosed:
                if not self.leaving:
                    self.fail('closed', 'socket closed while sending %s' % obj.get('type'))
                return

    @staticmethod
    def trace_text(msg):
        """One line about a message for --trace: its fields, SDPs reduced to their m= lines."""
        out = {}
        for key, value in msg.items():
            if key == 'sdp' and isinstance(value, str):
                value = [ln for ln in value.splitlines() if ln.startswith(('m=', 'a=mid'))]
            out[key] = value
        return json.dumps(out, ensure_ascii=False)

    async def pinger(self):
        while True:
            await asyncio.sleep(2)
            self.send({'type': 'ping'})

    async def poll_rtp_stats(self):
        """--rtp-stats: webrtcbin's inbound-rtp stats of `sub` (what its RTCP receiver reports
        say: packets received and lost, jitter), per SSRC, with the kind from the latest offer."""
        if self.sub is None or self.leaving:
            return
        try:
            reply = await self.sub.call('get-stats', None)
        except (ProtocolError, asyncio.TimeoutError):
            return
        if reply is None:
            return
        found = []

        def each(_field, value, _data):
            if isinstance(value, Gst.Structure) and \
                    value.get_value('type') == GstWebRTC.WebRTCStatsType.INBOUND_RTP:
                found.append(value)
            return True
        reply.foreach(each, None)
        t = round(self.now(), 2)
        for st in found:
            ok, ssrc = st.get_uint('ssrc')
            if not ok:
                continue
            mid = self.ssrc_mid.get(ssrc)
            track = self.tracks.get(mid) or {}
            entry = {'ssrc': ssrc, 'kind': track.get('kind'), 't': t}
            for key in ('packets-received', 'packets-lost', 'jitter', 'nack-count', 'pli-count'):
                if st.has_field(key):
                    entry[key.replace('-', '_')] = st.get_value(key)
            self.inbound_rtp[ssrc] = entry

    async def ticker(self):
        restart_due = self.args.ice_restart_at
        ticks = 0
        while True:
            await asyncio.sleep(0.5)
            ticks += 1
            if self.args.rtp_stats and ticks % 4 == 0:
                await self.poll_rtp_stats()
            if (restart_due and self.t_joined is not None and self.pub is not None
                    and time.monotonic() - self.t_joined >= restart_due):
                restart_due = 0
                self.start_ice_restart()
            if self.t_joined is not None:
                self.stats.sample(self.now())
            self.write_report()

    async def run(self):
        self.ws = await websockets.connect(self.args.url, max_size=2**22, open_timeout=10)
        self.build_sub()
        tasks = [asyncio.create_task(c) for c in (self.reader(), self.writer(), self.pinger(),
                                                   self.ticker())]
        self.send({'type': 'join', 'room': self.args.room, 'name': self.args.name})
        try:
            await asyncio.wait_for(self.wait_joined(), self.args.join_timeout)
        except asyncio.TimeoutError:
            self.fail('protocol', 'no joined within %ss' % self.args.join_timeout)
        if not self.failed:
            try:
                await asyncio.wait_for(self.done.wait(), self.args.duration)
            except asyncio.TimeoutError:
                pass
        await self.leave()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_joined(self):
        while self.t_joined is None and not self.done.is_set():
            await asyncio.sleep(0.02)

    async def leave(self):
        """Sends `leave` (when joined and still connected), waits for the close."""
        if self.leaving:
            return
        self.stats.sample(self.now())
        self.leaving = True
        try:
            if self.t_joined is not None and self.ws.open:
                await self.ws.send(json.dumps({'type': 'leave'}))
                await asyncio.wait_for(self.ws.wait_closed(), 5)
        except (websockets.ConnectionClosed, asyncio.TimeoutError):
            pass
        finally:
            await self.ws.close()
        for peer in (self.pub, self.sub):
            if peer is not None:
                peer.stop()
        for relay in self.relays.values():
            relay.stop()


def reject_h264(answer):
    """The answer of a browser without H.264 (Firefox with H.264 disabled): every video section
    whose codec is H.264 is rejected (port 0, out of the BUNDLE group)."""
    head, *sections = answer.split('\r\nm=')
    rejected = []
    for i, sec in enumerate(sections):
        if sec.startswith('video ') and 'H264/90000' in sec and 'VP8/90000' not in sec:
            sections[i] = 'video 0 ' + sec.split(' ', 2)[2]
            mid = [ln[6:] for ln in sec.split('\r\n') if ln.startswith('a=mid:')]
            rejected += mid
    lines = []
    for ln in head.split('\r\n'):
        if ln.startswith('a=group:BUNDLE'):
            ln = ' '.join(w for w in ln.split(' ') if w not in rejected)
        lines.append(ln)
    return '\r\nm='.join(['\r\n'.join(lines)] + sections)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='GStreamer webrtcbin participant for hoinghi.')
    ap.add_argument('--url', default='ws://127.0.0.1:8080/ws')
    ap.add_argument('--room', default='test')
    ap.add_argument('--name', default='gst')
    ap.add_argument('--duration', type=float, default=10.0,
                    help='seconds to stay after joined (default 10)')
    ap.add_argument('--no-publish', action='store_true', help='only subscribe')
    ap.add_argument('--video-codec', choices=('vp8', 'h264'), default='vp8')
    ap.add_argument('--keyframe-interval', type=int, default=30,
                    help='frames between forced keyframes (default 30)')
    ap.add_argument('--join-timeout', type=float, default=10.0)
    ap.add_argument('--pattern', default='ball', help='videotestsrc pattern (red, blue, ...)')
    ap.add_argument('--tone', type=float, default=440.0, help='the sine sent as audio (Hz)')
    ap.add_argument('--flip', type=float, default=0.0,
                    help='every N s: white picture + tone, then pattern + silence (delay marks)')
    ap.add_argument('--report', help='write the JSON report here (updated while running)')
    ap.add_argument('--nack', action='store_true', help='NACK and RTX on every transceiver')
    ap.add_argument('--no-h264', action='store_true',
                    help='reject every H.264 video section offered (a browser without H.264)')
    ap.add_argument('--uplink-loss', type=float, default=0.0,
                    help='drop this %% of the RTP sent on `pub`, through a relay (default 0)')
    ap.add_argument('--loss-seed', type=int, default=1)
    ap.add_argument('--ice-restart-at', type=float, default=0.0,
                    help='seconds after joined: restart ICE on `pub` from a new local port '
                         '(through a relay, see LossyRelay.restart_ice)')
    ap.add_argument('--local-ip', default='127.0.0.1',
                    help='the one local address ICE gathers on (default 127.0.0.1)')
    ap.add_argument('--rtp-stats', action='store_true',
                    help="every 2 s, read the `sub` webrtcbin's inbound-rtp stats (packets "
                         "received and lost, jitter per SSRC) into the report's inbound_rtp")
    ap.add_argument('--trace', action='store_true',
                    help='log every message sent and received (SDPs reduced to m= lines)')
    return ap.parse_args(argv)


async def amain(args):
    loop = asyncio.get_running_loop()
    client = Client(args, loop)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, client.done.set)
    loop.add_signal_handler(signal.SIGUSR1, client.start_flip)
    try:
        await client.run()
    except (OSError, websockets.InvalidHandshake, asyncio.TimeoutError) as exc:
        client.errors.append({'kind': 'connect', 'message': repr(exc), 't': 0})
        client.failed = True
    code = 1 if client.failed else 0
    client.write_report(code)
    print(json.dumps(client.report(code), ensure_ascii=False, separators=(',', ':')), flush=True)
    return code


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    Gst.init(None)
    glib_loop = GLib.MainLoop()
    threading.Thread(target=glib_loop.run, daemon=True).start()   # bus watches
    try:
        return asyncio.run(amain(args))
    finally:
        glib_loop.quit()


if __name__ == '__main__':
    sys.exit(main())
