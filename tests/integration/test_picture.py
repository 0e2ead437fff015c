"""The composed picture for room systems (issue 13, docs/room-systems.md): two webrtcbin
publishers (one red with a 440 Hz tone, one blue with 1000 Hz) in a room; an output attached
through the debug REST path (HOINGHI_DEBUG_PICTURE=1) for the red one receives H.264 of the
composition (both colours in the decoded frames) and its mix-minus in PCMU (the blue one's tone,
not its own). Two outputs of the same class share one encoder; bad configurations are refused."""
import json
import math
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import gi
import jwt
import pytest

gi.require_version('Gst', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('GstWebRTC', '1.0')
from gi.repository import Gst, GstSdp, GstWebRTC  # noqa: E402

import harness  # noqa: E402

Gst.init(None)

W, H = 640, 360


@pytest.fixture(autouse=True)
def gst_leak_suppression(monkeypatch):
    """As test_recording.py: GStreamer's load-time allocations under ASan; the debug path on."""
    here = os.path.dirname(__file__)
    monkeypatch.setenv('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1:'
                       'fast_unwind_on_malloc=0')
    monkeypatch.setenv('LSAN_OPTIONS', 'suppressions=%s:print_suppressions=0'
                       % os.path.join(here, 'lsan_gst.supp'))
    monkeypatch.setenv('HOINGHI_DEBUG_PICTURE', '1')


SECRET = 'whep-test-secret-0123456789abcdef0123456789'
TURN_PASSWORD = 'turn-pass-9d8c7b'
CONFIG = ('[auth]\njwt_secret = %s\n\n[room:hoi-truong]\naccess = open\n\n'
          '[room:phong-hop]\naccess = open\n\n'
          '[whip]\nice_servers = stun:stun.example.net:3478, turn:turn.example.net?transport=udp\n'
          'ice_username = hoinghi\nice_credential = %s\n' % (SECRET, TURN_PASSWORD))


@pytest.fixture
def srv(tmp_path):
    s = harness.Server(str(tmp_path), CONFIG)
    key = subprocess.run([harness.HOINGHI_BIN, '--data-dir', s.data_dir, 'apikey', 'add', 'pic'],
                         capture_output=True, text=True, timeout=30,
                         env=harness.sanitizer_env()).stdout.strip()
    assert key, 'no API key'
    s.key = key
    s.start()
    yield s
    problems = s.stop()
    assert not problems, '%s\n%s' % (problems, harness.tail(s.log_path))


def rest(s, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(s.http_url + '/api/v1' + path, data=data, method=method)
    req.add_header('Content-Type', 'application/json')
    req.add_header('Authorization', 'Bearer ' + s.key)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, None


def metric(s, name):
    """The value of an unlabelled sample of GET /metrics."""
    with urllib.request.urlopen(s.http_url + '/metrics', timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
    return None


def udp_ports():
    """A port p with p + 2 free too."""
    for _ in range(50):
        p = harness.free_port(socket.SOCK_DGRAM)
        if p > 65000:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(('127.0.0.1', p + 2))
            return p
        except OSError:
            continue
    raise AssertionError('no free UDP ports')


class Receiver:
    """What a room system would decode: H.264 on port, PCMU on port + 2."""

    def __init__(self, port, vpt=96, apt=0):
        self.pipe = Gst.parse_launch(
            'udpsrc address=127.0.0.1 port=%d caps="application/x-rtp,media=video,'
            'encoding-name=H264,clock-rate=90000,payload=%d" ! rtpjitterbuffer latency=100 ! '
            'rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! videoscale ! '
            'video/x-raw,format=RGB,width=%d,height=%d ! appsink name=v sync=false async=false '
            'max-buffers=1 drop=true '
            'udpsrc address=127.0.0.1 port=%d caps="application/x-rtp,media=audio,'
            'encoding-name=PCMU,clock-rate=8000,payload=%d" ! rtpjitterbuffer latency=100 ! '
            'rtppcmudepay ! mulawdec ! audioconvert ! '
            'audio/x-raw,format=S16LE,rate=8000,channels=1 ! appsink name=a sync=false async=false'
            % (port, vpt, W, H, port + 2, apt))
        self.frames = 0
        self.samples = bytearray()
        self.last = None
        self.vpts = set()
        self.pipe.get_by_name('v').set_property('emit-signals', True)
        self.pipe.get_by_name('v').connect('new-sample', self.on_video)
        self.pipe.get_by_name('a').set_property('emit-signals', True)
        self.pipe.get_by_name('a').connect('new-sample', self.on_audio)
        self.pipe.set_state(Gst.State.PLAYING)

    def on_video(self, sink):
        s = sink.emit('pull-sample')
        ok, m = s.get_buffer().map(Gst.MapFlags.READ)
        if ok:
            self.last = bytes(m.data)
            s.get_buffer().unmap(m)
        self.frames += 1
        return Gst.FlowReturn.OK

    def on_audio(self, sink):
        s = sink.emit('pull-sample')
        ok, m = s.get_buffer().map(Gst.MapFlags.READ)
        if ok:
            self.samples += bytes(m.data)
            s.get_buffer().unmap(m)
        return Gst.FlowReturn.OK

    def colours(self):
        """(red, blue) fractions of the last decoded picture's pixels."""
        f = self.last
        if not f:
            return 0.0, 0.0
        red = blue = 0
        n = len(f) // 3
        for i in range(0, len(f), 3 * 7):  # every 7th pixel is plenty
            r, g, b = f[i], f[i + 1], f[i + 2]
            if r > 170 and g < 70 and b < 70:
                red += 1
            elif b > 170 and r < 70 and g < 70:
                blue += 1
        total = n / 7
        return red / total, blue / total

    def tone_power(self, freq, seconds=2.0):
        """Goertzel power of freq over the last seconds of the mix (normalised)."""
        n = int(8000 * seconds)
        raw = self.samples[-2 * n:]
        xs = [int.from_bytes(raw[i:i + 2], 'little', signed=True) / 32768.0
              for i in range(0, len(raw) - 1, 2)]
        if not xs:
            return 0.0
        k = 2 * math.cos(2 * math.pi * freq / 8000)
        s1 = s2 = 0.0
        for x in xs:
            s1, s2 = x + k * s1 - s2, s1
        return (s1 * s1 + s2 * s2 - k * s1 * s2) / (len(xs) ** 2)

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def wait_for(cond, timeout, step=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def test_composed_picture_and_mix_minus(srv, clients):
    room = 'phong-hop'
    red = clients(srv, 'Đỏ', room, 40, '--pattern', 'red', '--tone', '440')
    rr = red.wait_joined()
    blue = clients(srv, 'Xanh', room, 40, '--pattern', 'blue', '--tone', '1000')
    blue.wait_joined()
    port = udp_ports()
    rx = Receiver(port)
    try:
        video = {'codec': 'h264', 'pt': 96, 'width': W, 'height': H, 'bitrate_kbps': 800,
                 'profile_level_id': '42e01f', 'packetization_mode': 1}
        st, body = rest(srv, 'POST', '/rooms/%s/picture' % room,
                        {'port': port, 'exclude': rr['id'], 'video': video,
                         'audio': {'codec': 'pcmu', 'pt': 0}})
        assert st == 201, (st, harness.tail(srv.log_path))
        out = body['id']
        both = wait_for(lambda: min(rx.colours()) > 0.02, 20)
        assert both, 'frames %d, colours (red, blue) %s\n%s' % (
            rx.frames, rx.colours(), harness.tail(srv.log_path))
        # the mix-minus: the blue one's 1000 Hz, not the red one's own 440 Hz
        assert wait_for(lambda: rx.tone_power(1000) > 1e-4, 10), (
            len(rx.samples), rx.tone_power(1000), rx.tone_power(440))
        time.sleep(2)
        p1000, p440 = rx.tone_power(1000), rx.tone_power(440)
        assert p1000 > 100 * p440, (p1000, p440)
        harness.log_note('picture: %d frames, colours %s, tone power 1000 Hz %.2e, 440 Hz %.2e'
                         % (rx.frames, rx.colours(), p1000, p440))

        # a key frame on request, a second output of the same class, bad input
        assert rest(srv, 'POST', '/rooms/%s/picture/%d/keyframe' % (room, out))[0] == 204
        st, body2 = rest(srv, 'POST', '/rooms/%s/picture' % room,
                         {'port': udp_ports(), 'video': dict(video, pt=97)})
        assert st == 201
        assert rest(srv, 'POST', '/rooms/%s/picture' % room,
                    {'port': port, 'video': dict(video, profile_level_id='zz')})[0] == 400
        assert rest(srv, 'POST', '/rooms/%s/picture' % room,
                    {'port': port, 'audio': {'codec': 'gsm', 'pt': 3}})[0] == 400
        assert rest(srv, 'POST', '/rooms/nobody-here/picture',
                    {'port': port, 'audio': {'codec': 'pcmu', 'pt': 0}})[0] == 409
        # two outputs of one class: one encoder (the gauges wait for the picture's thread)
        assert wait_for(lambda: metric(srv, 'hoinghi_picture_outputs') == 2
                        and metric(srv, 'hoinghi_picture_encoders') == 1, 10), (
            metric(srv, 'hoinghi_picture_outputs'), metric(srv, 'hoinghi_picture_encoders'))
        assert metric(srv, 'hoinghi_picture_compositions') == 1
        assert rest(srv, 'DELETE', '/rooms/%s/picture/%d' % (room, body2['id']))[0] == 204
        frames = rx.frames
        assert wait_for(lambda: rx.frames > frames + 10, 10), 'the first output stopped'
        assert rest(srv, 'DELETE', '/rooms/%s/picture/%d' % (room, out))[0] == 204
        assert rest(srv, 'DELETE', '/rooms/%s/picture/%d' % (room, out))[0] == 404
        assert wait_for(lambda: metric(srv, 'hoinghi_picture_compositions') == 0, 10)
        assert metric(srv, 'hoinghi_picture_encoders') == 0
        assert metric(srv, 'hoinghi_picture_packets_out_total') > 100
        srv.assert_healthy()
    finally:
        rx.stop()
        red.kill()
        blue.kill()


class WhepViewer:
    """A webrtcbin viewer: recvonly VP8 + Opus, the offer with every candidate (no trickle)."""

    VIDEO = {'vp8': 'encoding-name=VP8,payload=96',
             'h264': 'encoding-name=H264,payload=102,packetization-mode=(string)1,'
                     'profile-level-id=(string)42e01f'}

    def __init__(self, codec):
        self.pipe = Gst.Pipeline.new('viewer')
        self.wb = Gst.ElementFactory.make('webrtcbin', 'wb')
        self.wb.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.wb)
        self.last = None
        self.frames = 0
        self.audio = 0
        self.decoded = []
        for caps in ('application/x-rtp,media=video,clock-rate=90000,' + self.VIDEO[codec],
                     'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,'
                     'clock-rate=48000,encoding-params=(string)2'):
            self.wb.emit('add-transceiver', GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                         Gst.Caps.from_string(caps))
        self.wb.connect('pad-added', self.on_pad)
        self.pipe.set_state(Gst.State.PLAYING)

    def offer(self):
        p = Gst.Promise.new()
        self.wb.emit('create-offer', None, p)
        p.wait()
        reply = p.get_reply()  # referenced while its values are read
        assert not reply.has_field('error'), reply.get_value('error')
        offer = reply.get_value('offer')
        p = Gst.Promise.new()
        self.wb.emit('set-local-description', offer, p)
        p.wait()
        assert wait_for(lambda: self.wb.get_property('ice-gathering-state')
                        == GstWebRTC.WebRTCICEGatheringState.COMPLETE, 10)
        return self.wb.get_property('local-description').sdp.as_text()

    def answer(self, text):
        ok, sdp = GstSdp.SDPMessage.new_from_text(text)
        assert ok == GstSdp.SDPResult.OK
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        p = Gst.Promise.new()
        self.wb.emit('set-remote-description', desc, p)
        p.wait()

    def on_pad(self, _wb, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        self.decoded.append(pad.get_name())
        dec = Gst.ElementFactory.make('decodebin')
        dec.connect('pad-added', self.on_decoded)
        self.pipe.add(dec)
        dec.sync_state_with_parent()
        pad.link(dec.get_static_pad('sink'))

    def on_decoded(self, _dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        self.decoded.append(caps.to_string()[:40])
        if caps.to_string().startswith('video'):
            b = Gst.parse_bin_from_description(
                'videoconvert ! videoscale ! video/x-raw,format=RGB,width=%d,height=%d ! '
                'appsink name=v sync=false max-buffers=1 drop=true emit-signals=true' % (W, H),
                True)
            b.get_by_name('v').connect('new-sample', self.on_video)
        else:
            b = Gst.parse_bin_from_description(
                'audioconvert ! appsink name=a sync=false emit-signals=true', True)
            b.get_by_name('a').connect('new-sample', self.on_audio)
        self.pipe.add(b)
        b.sync_state_with_parent()
        pad.link(b.get_static_pad('sink'))

    on_video = Receiver.on_video

    def on_audio(self, sink):
        sink.emit('pull-sample')
        self.audio += 1
        return Gst.FlowReturn.OK

    colours = Receiver.colours

    def stats(self):
        p = Gst.Promise.new()
        self.wb.emit('get-stats', None, p)
        p.wait()
        reply = p.get_reply()
        out = []

        def each(_field, value, _data):
            if isinstance(value, Gst.Structure) and 'rtp' in value.get_name():
                out.append(value.to_string()[:300])
            return True
        reply.foreach(each, None)
        return out

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


FRAG = 'application/trickle-ice-sdpfrag'


def whep(s, method, path, body=None, token=None, headers=None):
    req = urllib.request.Request(s.http_url + path, data=body.encode() if body else None,
                                 method=method)
    req.add_header('Content-Type', 'application/sdp')
    if token:
        req.add_header('Authorization', 'Bearer ' + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


@pytest.mark.parametrize('codec', ['vp8', 'h264'])
def test_whep_viewer_sees_the_composed_picture(srv, clients, codec):
    room = 'hoi-truong'
    red = clients(srv, 'Đỏ', room, 40, '--pattern', 'red', '--tone', '440')
    red.wait_joined()
    blue = clients(srv, 'Xanh', room, 40, '--pattern', 'blue', '--tone', '1000')
    blue_id = blue.wait_joined()['id']
    tok = jwt.encode({'room': room, 'name': 'Màn hình hội trường', 'role': 'observer',
                      'exp': int(time.time()) + 600}, SECRET, algorithm='HS256')
    viewer = WhepViewer(codec)
    try:
        # OPTIONS: the ICE servers; TURN credentials only with a token good for the room
        st, h, _ = whep(srv, 'OPTIONS', '/whep/' + room)
        assert st == 204 and h['Accept-Post'] == 'application/sdp', (st, dict(h))
        assert len(h.get_all('Link')) == 2 and TURN_PASSWORD not in str(h.get_all('Link')), h
        st, h, _ = whep(srv, 'OPTIONS', '/whep/' + room, token=tok)
        assert st == 204 and 'credential="%s"' % TURN_PASSWORD in h.get_all('Link')[1], dict(h)
        offer = viewer.offer()
        assert whep(srv, 'POST', '/whep/' + room, offer)[0] == 401
        assert whep(srv, 'POST', '/whep/' + room, offer, token='not.a.token')[0] == 401
        assert whep(srv, 'POST', '/whep/nobody-here', offer, token=jwt.encode(
            {'room': 'nobody-here', 'name': 'x', 'role': 'observer',
             'exp': int(time.time()) + 600}, SECRET, algorithm='HS256'))[0] == 404
        assert whep(srv, 'POST', '/whep/' + room, 'v=0\r\nm=garbage\r\n', token=tok)[0] == 400
        assert whep(srv, 'POST', '/whep/' + room,
                    offer.replace('VP8', 'H263').replace('H264', 'H263'), token=tok)[0] == 400
        st, headers, answer = whep(srv, 'POST', '/whep/' + room, offer, token=tok)
        assert st == 201, (st, answer, harness.tail(srv.log_path))
        assert headers['Content-Type'].startswith('application/sdp')
        loc = headers['Location']
        assert loc.startswith('/whep/resource/') and len(loc) >= len('/whep/resource/') + 32
        # the ICE servers of [whip], TURN with its credentials: the viewer passed the gate
        links = headers.get_all('Link')
        assert links == ['<stun:stun.example.net:3478>; rel="ice-server"',
                         '<turn:turn.example.net?transport=udp>; rel="ice-server"; '
                         'username="hoinghi"; credential="%s"; credential-type="password"'
                         % TURN_PASSWORD], links
        etag = headers['ETag']
        assert etag and headers['Accept-Patch'] == FRAG, dict(headers)
        viewer.answer(answer)
        # PATCH: trickled candidates 204; If-Match required (428) and current (412); an ICE
        # restart (new credentials) 422: webrtcbin does not restart in place
        cand = 'a=mid:video0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n'
        frag = {'Content-Type': FRAG}
        assert whep(srv, 'PATCH', loc, cand, headers=frag)[0] == 428
        assert whep(srv, 'PATCH', loc, cand, headers=dict(frag, **{'If-Match': '"0"'}))[0] == 412
        assert whep(srv, 'PATCH', loc, cand, headers=dict(frag, **{'If-Match': etag}))[0] == 204
        restart = ('a=ice-ufrag:R3st\r\na=ice-pwd:restartrestartrestart12\r\n' + cand)
        assert whep(srv, 'PATCH', loc, restart,
                    headers=dict(frag, **{'If-Match': '*'}))[0] == 422
        assert whep(srv, 'PATCH', '/whep/resource/' + '0' * 32, cand,
                    headers=dict(frag, **{'If-Match': '*'}))[0] == 404
        both = wait_for(lambda: min(viewer.colours()) > 0.02, 25)
        assert both, 'frames %d, audio %d, colours %s\n%s' % (
            viewer.frames, viewer.audio, viewer.colours(), harness.tail(srv.log_path))
        assert wait_for(lambda: viewer.audio > 20, 10), (viewer.audio, viewer.decoded,
                                                         viewer.stats())
        harness.log_note('whep: %d frames, colours %s' % (viewer.frames, viewer.colours()))
        assert whep(srv, 'DELETE', loc)[0] == 200
        assert whep(srv, 'DELETE', loc)[0] == 404
        with open(srv.log_path, encoding='utf-8', errors='replace') as f:
            assert TURN_PASSWORD not in f.read()
        if codec == 'vp8':
            viewer.stop()
            viewer = whep_one_participant(srv, room, tok, blue_id, offer)
        srv.assert_healthy()
    finally:
        viewer.stop()
        red.kill()
        blue.kill()


def whep_one_participant(srv, room, tok, blue_id, other_offer):
    """POST /whep/ROOM?participant=pN: that participant's camera and microphone (forwarded as
    published: VP8 and Opus), not the composition. An unknown participant 404."""
    assert whep(srv, 'POST', '/whep/%s?participant=p999999' % room, other_offer,
                token=tok)[0] == 404
    def started():
        with open(srv.log_path, encoding='utf-8', errors='replace') as f:
            return f.read().count('composition started')
    composed = started()
    viewer = WhepViewer('vp8')
    st, headers, answer = whep(srv, 'POST', '/whep/%s?participant=%s' % (room, blue_id),
                               viewer.offer(), token=tok)
    assert st == 201, (st, answer, harness.tail(srv.log_path))
    viewer.answer(answer)
    # blue alone, whole picture: no red tile, no composition
    assert wait_for(lambda: viewer.colours()[1] > 0.5 and viewer.colours()[0] < 0.01, 20), (
        viewer.frames, viewer.colours(), harness.tail(srv.log_path))
    assert wait_for(lambda: viewer.audio > 20, 10), (viewer.audio, viewer.decoded)
    assert started() == composed, 'a forwarded participant started a composition'
    harness.log_note('whep of %s: %d frames, colours %s, %d audio buffers'
                     % (blue_id, viewer.frames, viewer.colours(), viewer.audio))
    assert whep(srv, 'DELETE', headers['Location'])[0] == 200
    return viewer


def test_picture_follows_the_room_when_it_reopens(srv, clients):
    """An output outlives its room's HnRoom (everyone left, then someone joined again): the
    picture is fed by the new room, whose producer ids start again."""
    room = 'phong-hop'
    red = clients(srv, 'Đỏ', room, 40, '--pattern', 'red')
    red.wait_joined()
    port = udp_ports()
    rx = Receiver(port)
    try:
        video = {'codec': 'h264', 'pt': 96, 'width': W, 'height': H, 'bitrate_kbps': 800}
        st, body = rest(srv, 'POST', '/rooms/%s/picture' % room, {'port': port, 'video': video})
        assert st == 201
        assert wait_for(lambda: rx.colours()[0] > 0.3, 20), (rx.colours(), rx.frames, harness.tail(srv.log_path))
        red.stop()
        assert wait_for(lambda: 'room %s closed' % room in open(srv.log_path).read(), 10)
        blue = clients(srv, 'Xanh', room, 40, '--pattern', 'blue')
        blue.wait_joined()
        assert wait_for(lambda: rx.colours()[1] > 0.3 and rx.colours()[0] < 0.01, 20), (
            rx.colours(), harness.tail(srv.log_path))
        assert rest(srv, 'DELETE', '/rooms/%s/picture/%d' % (room, body['id']))[0] == 204
        blue.kill()
        srv.assert_healthy()
    finally:
        rx.stop()
