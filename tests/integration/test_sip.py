"""The SIP gateway for room systems (docs/room-systems.md), against the real server.

sipp plays the bad or simple callers (tests/integration/sip/*.xml); a small SIP user agent written
here plus GStreamer senders play a room system with media (H.264 + Opus over plain RTP with
separate RTCP ports, or SDES-SRTP); a webrtcbin participant (tests/interop/gst_client.py) in the
room must decode the room system's video and audio."""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from harness import counts_from, free_port, valid_room

SIP_DIR = os.path.join(os.path.dirname(__file__), 'sip')

pytestmark = pytest.mark.skipif(shutil.which('sipp') is None, reason='sipp (sip-tester) missing')


@pytest.fixture(autouse=True)
def gst_leak_suppression(monkeypatch):
    """Under ASan: the G.711/G.722 transcoding loads GStreamer into the server, and GLib's quark
    block that GStreamer outgrows is left allocated on purpose (lsan_gst.supp, as in
    test_recording.py); the full unwinder lets the suppression see it was made at load time."""
    here = os.path.dirname(__file__)
    monkeypatch.setenv('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1:'
                       'fast_unwind_on_malloc=0')
    monkeypatch.setenv('LSAN_OPTIONS', 'suppressions=%s:print_suppressions=0'
                       % os.path.join(here, 'lsan_gst.supp'))


def sip_config(port, extra=''):
    return ('[sip]\nlisten = 127.0.0.1:%d\nrequests_per_minute = 40\n'
            '[rooms]\nauto_create = false\n'
            '[room:hall]\n[room:secret]\naccess = pin\npin = 4321\n%s' % (port, extra))


@pytest.fixture
def sip_server(start_server):
    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port))
    srv.sip_port = port
    return srv


def sipp(srv, tmp_path, scenario, *args, expect=None):
    """Runs one sipp scenario once; returns (rc, output). expect: the final answer code that
    invite_expect.xml must get."""
    src = os.path.join(SIP_DIR, scenario)
    if expect is not None:
        with open(src, encoding='utf-8') as f:
            text = f.read().replace('EXPECT', str(expect))
        src = str(tmp_path / ('%s-%s.xml' % (scenario, expect)))
        with open(src, 'w', encoding='utf-8') as f:
            f.write(text)
    cmd = ['sipp', '127.0.0.1:%d' % srv.sip_port, '-sf', src, '-m', '1', '-i', '127.0.0.1',
           '-p', str(free_port(socket.SOCK_DGRAM)), '-timeout', '10', '-timeout_error',
           '-nostdin'] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=str(tmp_path),
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout[-2000:] + p.stderr[-2000:]


def invite(srv, tmp_path, dial, expect, fmt='9', rtpmap='a=rtpmap:9 G722/8000',
           proto='RTP/AVP'):
    rc, out = sipp(srv, tmp_path, 'invite_expect.xml', '-key', 'dial', dial, '-key', 'proto',
                   proto, '-key', 'fmt', fmt, '-key', 'rtpmap', rtpmap, expect=expect)
    assert rc == 0, 'INVITE %s: wanted %s\n%s' % (dial, expect, out)


def raw_request(srv, text, timeout=5, full=False):
    """Sends one UDP datagram to the SIP port; returns the first final response's status line
    (full: the whole response)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        s.settimeout(timeout)
        port = s.getsockname()[1]
        s.sendto(text.replace('PORT', str(port)).encode(), ('127.0.0.1', srv.sip_port))
        while True:
            data = s.recv(65535).decode(errors='replace')
            line = data.split('\r\n', 1)[0]
            if not line.startswith('SIP/2.0 1'):
                return data if full else line


# --- bad input, simple requests --------------------------------------------------------------

@pytest.mark.parametrize('transport', ['u1', 't1'], ids=['udp', 'tcp'])
def test_options_answered_with_allow_and_accept(sip_server, tmp_path, transport):
    rc, out = sipp(sip_server, tmp_path, 'options.xml', '-t', transport)
    assert rc == 0, out


def test_unknown_room_404_wrong_pin_403_unknown_codec_488(sip_server, tmp_path):
    invite(sip_server, tmp_path, 'nosuchroom', 404)
    invite(sip_server, tmp_path, 'secret*1111', 403)
    invite(sip_server, tmp_path, 'secret', 403)  # no PIN for a PIN room
    invite(sip_server, tmp_path, 'secret%2A4321', 200)  # an escaped '*'
    invite(sip_server, tmp_path, 'secret*4321', 200)
    invite(sip_server, tmp_path, 'hall', 488, fmt='98', rtpmap='a=rtpmap:98 iLBC/8000')
    invite(sip_server, tmp_path, 'hall', 488, proto='TCP/BFCP', fmt='*', rtpmap='')


def test_bye_or_reinvite_for_unknown_dialog_481(sip_server, tmp_path):
    rc, out = sipp(sip_server, tmp_path, 'bye_unknown.xml')
    assert rc == 0, out
    line = raw_request(sip_server, (
        'INVITE sip:hall@127.0.0.1 SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKreinv1\r\n'
        'From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:hall@127.0.0.1>;tag=nosuchdialog\r\n'
        'Call-ID: reinvite-unknown-1\r\nCSeq: 2 INVITE\r\nMax-Forwards: 70\r\n'
        'Contact: <sip:x@127.0.0.1:PORT>\r\nContent-Length: 0\r\n\r\n'))
    assert line.startswith('SIP/2.0 481'), line


def test_malformed_request_400(sip_server):
    line = raw_request(sip_server, (
        'INVITE sip:hall@127.0.0.1 SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKbad1\r\n'
        'From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:hall@127.0.0.1>\r\n'
        'Call-ID: bad-cseq-1\r\nCSeq: abc INVITE\r\nMax-Forwards: 70\r\n'
        'Content-Length: 0\r\n\r\n'))
    assert line.startswith('SIP/2.0 400'), line


def test_options_flood_is_rate_limited(sip_server):
    codes = []
    for i in range(60):
        codes.append(raw_request(sip_server, (
            'OPTIONS sip:127.0.0.1 SIP/2.0\r\n'
            'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKflood%d\r\n'
            'From: <sip:x@127.0.0.1>;tag=%d\r\nTo: <sip:127.0.0.1>\r\n'
            'Call-ID: flood-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n'
            'Content-Length: 0\r\n\r\n' % (i, i, i))).split(' ')[1])
    assert codes[:40] == ['200'] * 40, codes
    assert set(codes[40:]) == {'503'}, codes
    resp = raw_request(sip_server, (
        'OPTIONS sip:127.0.0.1 SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKflood-last\r\n'
        'From: <sip:x@127.0.0.1>;tag=x\r\nTo: <sip:127.0.0.1>\r\n'
        'Call-ID: flood-last\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n'
        'Content-Length: 0\r\n\r\n'), full=True)
    assert resp.startswith('SIP/2.0 503') and re.search(r'^Retry-After: *60', resp, re.M), resp


# --- a room system with media ------------------------------------------------------------------

class Uac:
    """A minimal SIP user agent over UDP: INVITE with our SDP, ACK, BYE."""

    def __init__(self, srv, dial):
        self.srv = srv
        self.dial = dial
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.call_id = uuid.uuid4().hex
        self.tag = uuid.uuid4().hex[:8]
        self.to_tag = None
        self.requests = []  # requests the server sent us (answered 200): INFO, BYE
        self.extra = []  # more header lines for our INVITEs (Session-Expires...)

    def _send(self, method, cseq, body='', ctype=None, to_tag=None):
        uri = 'sip:%s@127.0.0.1:%d' % (self.dial, self.srv.sip_port)
        hdr = ['%s %s SIP/2.0' % (method, uri),
               'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s' % (self.port, uuid.uuid4().hex),
               'From: "Hội trường xã" <sip:hall-test@127.0.0.1:%d>;tag=%s' % (self.port, self.tag),
               'To: <%s>%s' % (uri, ';tag=' + to_tag if to_tag else ''),
               'Call-ID: %s' % self.call_id, 'CSeq: %d %s' % (cseq, method),
               'Contact: <sip:hall-test@127.0.0.1:%d>' % self.port, 'Max-Forwards: 70']
        if method == 'INVITE':
            hdr += self.extra
        if ctype:
            hdr.append('Content-Type: ' + ctype)
        hdr.append('Content-Length: %d' % len(body.encode()))
        self.sock.sendto(('\r\n'.join(hdr) + '\r\n\r\n' + body).encode(),
                         ('127.0.0.1', self.srv.sip_port))

    def _answer(self, data):
        head = data.partition('\r\n\r\n')[0]
        keep = [l for l in head.split('\r\n')[1:]
                if l.split(':')[0].lower() in ('via', 'from', 'to', 'call-id', 'cseq')]
        self.sock.sendto(('SIP/2.0 200 OK\r\n' + '\r\n'.join(keep) +
                          '\r\nContent-Length: 0\r\n\r\n').encode(),
                         ('127.0.0.1', self.srv.sip_port))
        self.requests.append(data)

    def _final(self):
        while True:
            data = self.sock.recv(65535).decode(errors='replace')
            if not data.startswith('SIP/2.0 '):
                self._answer(data)
                continue
            head, _, body = data.partition('\r\n\r\n')
            status = int(head.split(' ')[1])
            if status >= 200:
                return status, head, body

    def drain(self):
        """Answers every request the server sent meanwhile."""
        self.sock.settimeout(0.2)
        try:
            while True:
                data = self.sock.recv(65535).decode(errors='replace')
                if not data.startswith('SIP/2.0 '):
                    self._answer(data)
        except socket.timeout:
            pass
        self.sock.settimeout(10)

    def invite(self, sdp):
        self._send('INVITE', 1, sdp, 'application/sdp')
        status, head, body = self._final()
        self.head = head
        m = re.search(r'^To:.*;tag=([^;\r\n]+)', head, re.M | re.I)
        self.to_tag = m.group(1) if m else None
        self._send('ACK', 1, to_tag=self.to_tag)
        return status, body

    def reinvite(self, sdp, cseq=3):
        self._send('INVITE', cseq, sdp, 'application/sdp', to_tag=self.to_tag)
        status, head, body = self._final()
        self._send('ACK', cseq, to_tag=self.to_tag)
        return status, body

    def info(self, cseq, body, ctype):
        self._send('INFO', cseq, body, ctype, to_tag=self.to_tag)
        return self._final()[0]

    def bye(self, cseq=2):
        self._send('BYE', cseq, to_tag=self.to_tag)
        return self._final()[0]

    def wait_request(self, method, timeout=60):
        """Waits for a request from the server (its BYE); answers 200."""
        self.sock.settimeout(timeout)
        while True:
            data = self.sock.recv(65535).decode(errors='replace')
            if not data.startswith('SIP/2.0 '):
                self._answer(data)
                if data.startswith(method + ' '):
                    return data

    def close(self):
        self.sock.close()


AUDIO_OFFERS = {
    'opus': '111 9 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n'
            'a=rtpmap:0 PCMU/8000',
    'g722': '9 8 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:8 PCMA/8000\r\n'
            'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15',
    'pcma': '8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000',
    'pcmu': '0',  # static payload type, no a=rtpmap
}

AUDIO_SENDERS = {
    'opus': 'opusenc ! rtpopuspay pt=111',
    'g722': 'avenc_g722 ! rtpg722pay pt=9',
    'pcma': 'audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay pt=8',
    'pcmu': 'audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0',
}


def offer(audio_port, video_port, key=None, audio='opus', feedback=True, mode0=False):
    proto = ('RTP/SAVP' if key else 'RTP/AVP') + ('F' if feedback else '')
    crypto = ('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n' %
              base64.b64encode(key).decode()) if key else ''
    return ('v=0\r\no=hall 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
            'm=audio %d %s %s\r\n%s'
            'm=video %d %s 96\r\na=rtpmap:96 H264/90000\r\n'
            'a=fmtp:96 profile-level-id=42e01f%s\r\n'
            '%s%s' % (audio_port, proto, AUDIO_OFFERS[audio], crypto, video_port, proto,
                      '' if mode0 else ';packetization-mode=1',
                      'a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n' if feedback else '',
                      crypto))


def answer_ports(sdp):
    """[(kind, rtp port, rtcp port, crypto key or None)] of the answer's m= lines."""
    out = []
    for sect in sdp.split('m=')[1:]:
        kind, port = sect.split(' ')[0], int(sect.split(' ')[1])
        m = re.search(r'a=rtcp:(\d+)', sect)
        k = re.search(r'a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)', sect)
        out.append((kind, port, int(m.group(1)) if m else port + 1,
                    base64.b64decode(k.group(1)) if k else None))
    return out


def gst_sender(audio_src_port, video_src_port, audio_port, video_port, keys=(None, None),
               audio='opus', mode0=False):
    """gst-launch sending Opus and H.264 RTP from fixed source ports (symmetric RTP), with SRTP
    under keys (audio's, video's: the offer's SDES keys, the ones the endpoint sends with)."""
    def srtp(ssrc):
        key = keys[0] if ssrc == 2222 else keys[1]
        if not key:
            return ''
        return (' ! application/x-rtp ! srtpenc key=%s rtp-cipher=aes-128-icm '
                'rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80'
                % key.hex())
    pipeline = (
        'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1'
        ' ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300%s'
        ' ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=96 config-interval=1%s'
        ' ssrc=1111%s ! udpsink host=127.0.0.1 port=%d bind-address=127.0.0.1 bind-port=%d '
        'audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! '
        '%s ssrc=2222%s ! udpsink host=127.0.0.1 port=%d '
        'bind-address=127.0.0.1 bind-port=%d' % (
            # packetization-mode 0: every NAL unit fits one packet, none aggregated
            ' option-string=slice-max-size=1000' if mode0 else '',
            ' aggregate-mode=none' if mode0 else '',
            srtp(1111), video_port, video_src_port, AUDIO_SENDERS[audio], srtp(2222), audio_port,
            audio_src_port))
    return subprocess.Popen(['gst-launch-1.0', '-q'] + pipeline.split(' '),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def sip_participant(rep):
    for pid, name in (rep.get('participants') or {}).items():
        if name == 'Hội trường xã':
            return pid
    return None


@pytest.mark.parametrize('srtp,audio', [(False, 'opus'), (True, 'opus'), (False, 'g722'),
                                        (True, 'pcma'), (False, 'pcmu')],
                         ids=['plain-rtp-opus', 'sdes-srtp-opus', 'plain-rtp-g722',
                              'sdes-srtp-pcma', 'plain-rtp-pcmu-h264-mode0'])
def test_room_system_media_reaches_a_browser(sip_server, clients, srtp, audio):
    """The room system's H.264 video and its audio (Opus as is, G.722 and G.711 transcoded to
    Opus), over plain RTP with separate RTCP ports or SDES-SRTP, are decoded by a webrtcbin
    participant; BYE: it leaves the room. The G.722 endpoint offers RTP/AVP (no RTCP feedback):
    the browser's key-frame requests reach it as SIP INFO picture_fast_update (RFC 5168); the
    others offer RTP/AVPF or RTP/SAVPF with nack, pli and ccm fir and get RTCP instead. The PCMU
    endpoint offers H.264 packetization-mode 0 only (no packetization-mode parameter)."""
    mode0 = audio == 'pcmu'
    room = 'hall'
    viewer = clients(sip_server, 'Viewer', room, 14, '--no-publish', '--video-codec', 'h264')
    viewer.wait_joined()
    key = os.urandom(30) if srtp else None
    uac = Uac(sip_server, room)
    a_src, v_src = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    status, body = uac.invite(offer(a_src, v_src, key, audio, feedback=audio != 'g722',
                                    mode0=mode0))
    assert status == 200, (status, body)
    ports = answer_ports(body)
    assert [p[0] for p in ports] == ['audio', 'video'], body
    assert all(p[2] != p[1] for p in ports), 'separate RTCP ports: %s' % body
    assert all((p[3] is not None) == srtp for p in ports), body
    assert ('RTP/SAVP' in body) == srtp, body
    assert ('a=rtcp-fb:96 nack pli' in body) == (audio != 'g722'), body
    assert {'opus': 'opus/48000', 'g722': 'G722/8000', 'pcma': 'PCMA/8000',
            'pcmu': 'PCMU/8000'}[audio] in body, body
    assert ('packetization-mode=0' if mode0 else 'packetization-mode=1') in body, body
    sender = gst_sender(a_src, v_src, ports[0][1], ports[1][1], (key, key), audio, mode0)
    try:
        for _ in range(8):
            uac.drain()
            time.sleep(0.8)
        assert sender.poll() is None, sender.stderr.read().decode(errors='replace')
        assert uac.bye() == 200
    finally:
        sender.send_signal(signal.SIGINT)
        try:
            sender.wait(5)
        except subprocess.TimeoutExpired:
            sender.kill()
            sender.wait()
        uac.close()
    rep = viewer.wait()
    assert rep['rc'] == 0, viewer.describe()
    pid = sip_participant(rep)
    assert pid, rep.get('participants')
    v, a = counts_from(rep, pid)
    assert v > 30 and a > 50, 'decoded %d video frames, %d audio buffers: %s' % (
        v, a, rep.get('received'))
    assert set(rep['received'][pid]['encodings']) == {'H264', 'OPUS'}, rep['received'][pid]
    infos = [r for r in uac.requests if r.startswith('INFO ')]
    if audio == 'g722':
        assert infos and all('picture_fast_update' in r and
                             'application/media_control+xml' in r for r in infos), uac.requests
    else:
        assert not infos, infos
    left = [e for e in rep.get('events', []) if e.get('type') == 'participant-left']
    assert any(e.get('participant') == pid or e.get('id') == pid for e in left), left


with open(os.path.join(SIP_DIR, 'baresip.conf'), encoding='utf-8') as _f:
    BARESIP_CONFIG = _f.read()  # shared with tests/e2e/lib/baresip.js


@pytest.mark.skipif(shutil.which('baresip') is None or
                    not os.path.exists('/usr/lib/baresip/modules/avcodec.so'),
                    reason='baresip-core and baresip-ffmpeg missing')
def test_baresip_dials_in_and_a_browser_sees_and_hears_it(sip_server, clients, tmp_path):
    """A real SIP endpoint (baresip: fake video in H.264, a 440 Hz tone in G.722, no
    registration) dials sip:hall@127.0.0.1:PORT, is answered, and a webrtcbin participant decodes
    its video and its audio (transcoded to Opus); its hang-up makes it leave."""
    bdir = tmp_path / 'baresip'
    bdir.mkdir()
    (bdir / 'config').write_text(BARESIP_CONFIG % {'port': free_port(socket.SOCK_DGRAM),
                                                   'dir': str(bdir)})
    (bdir / 'accounts').write_text('"Baresip hall" <sip:hall-baresip@127.0.0.1>;regint=0\n')
    viewer = clients(sip_server, 'Viewer', 'hall', 16, '--no-publish', '--video-codec', 'h264')
    viewer.wait_joined()
    log = open(str(tmp_path / 'baresip.log'), 'w')
    phone = subprocess.Popen(['baresip', '-f', str(bdir), '-t', '10', '-e',
                              '/dial sip:hall@127.0.0.1:%d' % sip_server.sip_port],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        phone.wait(30)
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
        log.close()
    out = (tmp_path / 'baresip.log').read_text(errors='replace')
    assert 'Call established' in out, out[-3000:]
    rep = viewer.wait()
    assert rep['rc'] == 0, viewer.describe()
    pid = next((p for p, n in (rep.get('participants') or {}).items() if n == 'Baresip hall'),
               None)
    assert pid, rep.get('participants')
    v, a = counts_from(rep, pid)
    assert v > 30 and a > 50, 'decoded %d video frames, %d audio buffers: %s\n%s' % (
        v, a, rep.get('received'), out[-2000:])
    left = [e for e in rep.get('events', []) if e.get('type') == 'participant-left']
    assert any(pid in str(e) for e in left), left


def test_meeting_keeps_its_media_under_bad_sip_input(sip_server, clients, tmp_path):
    """Two participants exchange media while the SIP port gets garbage (UDP and TCP), malformed
    requests, BYEs for unknown dialogs and a flood of INVITEs (rate-limited: 503 with
    Retry-After): their media goes on and the server stays up."""
    a = clients(sip_server, 'A', 'hall', 14)
    a.wait_joined()
    b = clients(sip_server, 'B', 'hall', 12)
    b.wait_joined()
    rng = os.urandom(4096)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(200):
            s.sendto(rng[i:i + 1 + (i * 37) % 1400], ('127.0.0.1', sip_server.sip_port))
            s.sendto(b'INVITE sip:x SIP/2.0\r\n\r\n' + rng[:i], ('127.0.0.1', sip_server.sip_port))
    for i in range(5):
        with socket.create_connection(('127.0.0.1', sip_server.sip_port), timeout=5) as t:
            t.sendall(b'OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n' + rng)
    rc, out = sipp(sip_server, tmp_path, 'bye_unknown.xml')
    assert rc == 0, out
    codes = []
    for i in range(60):
        codes.append(raw_request(sip_server, (
            'INVITE sip:nosuchroom@127.0.0.1 SIP/2.0\r\n'
            'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKinv%d\r\n'
            'From: <sip:x@127.0.0.1>;tag=%d\r\nTo: <sip:nosuchroom@127.0.0.1>\r\n'
            'Call-ID: inv-flood-%d\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n'
            'Content-Length: 0\r\n\r\n' % (i, i, i))).split(' ')[1])
    assert '404' in codes and codes[-1] == '503', codes
    ra, rb = a.wait(), b.wait()
    for rep, other, who in ((ra, rb, 'A'), (rb, ra, 'B')):
        assert rep['rc'] == 0, who
        v, au = counts_from(rep, other['id'])
        assert v > 60 and au > 100, '%s decoded %d video frames, %d audio buffers' % (who, v, au)


def participants(srv):
    with urllib.request.urlopen(srv.http_url + '/healthz', timeout=5) as r:
        return json.load(r)['participants']


def test_silent_endpoint_is_hung_up_and_shutdown_says_bye(start_server):
    """An endpoint whose media stops is hung up with BYE after [media] consent_timeout +
    ice_restart_grace and leaves the room; a call still up when the server stops gets BYE."""
    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port, '[media]\nconsent_timeout = 3\nice_restart_grace = 0\n'))
    srv.sip_port = port
    uac = Uac(srv, 'hall')
    a_src, v_src = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    status, body = uac.invite(offer(a_src, v_src))
    assert status == 200, (status, body)
    ports = answer_ports(body)
    sender = gst_sender(a_src, v_src, ports[0][1], ports[1][1])
    try:
        time.sleep(1)
        # the same offer again (a session refresh): the same answer, version included
        status2, body2 = uac.reinvite(offer(a_src, v_src))
        assert status2 == 200 and body2 == body, (status2, body2)
        time.sleep(2)
        assert participants(srv) == 1
    finally:
        sender.send_signal(signal.SIGINT)
        sender.wait(10)
    t0 = time.monotonic()
    bye = uac.wait_request('BYE', timeout=20)
    waited = time.monotonic() - t0
    assert bye.startswith('BYE ') and 2 < waited < 12, (waited, bye)
    assert participants(srv) == 0
    uac.close()
    # a second call, up when the server stops
    uac = Uac(srv, 'hall')
    status, body = uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)))
    assert status == 200
    problems = srv.stop()  # SIGTERM; the BYE waits in our socket
    srv.proc = None  # stopped here, not again by the fixture
    assert not problems, problems
    assert uac.wait_request('BYE', timeout=5).startswith('BYE ')
    uac.close()


def test_pin_guessing_locks_the_address(start_server, tmp_path):
    """Wrong PINs count in the join gate's per-address limiter like a browser's: after
    [auth] lockout_failures the address is refused (503 with Retry-After = lockout_seconds),
    even with the right PIN."""
    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port, '[auth]\nlockout_failures = 3\nlockout_seconds = 120\n'))
    srv.sip_port = port
    for _ in range(3):
        invite(srv, tmp_path, 'secret*1111', 403)
    invite(srv, tmp_path, 'secret*4321', 503)
    resp = raw_request(srv, (
        'INVITE sip:secret*4321@127.0.0.1 SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKlocked\r\n'
        'From: <sip:x@127.0.0.1>;tag=l\r\nTo: <sip:secret*4321@127.0.0.1>\r\n'
        'Call-ID: locked-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n'
        'Content-Length: 0\r\n\r\n'), full=True)
    assert resp.startswith('SIP/2.0 503') and re.search(r'^Retry-After: *1[0-2][0-9]', resp,
                                                        re.M), resp


def send_dtmf(port, src_port, digits, pt=101):
    """RFC 4733 telephone-events for digits ('0'-'9', '#'), from src_port (symmetric RTP): per
    digit two packets during the tone and three end packets, as endpoints send them."""
    codes = {str(d): d for d in range(10)}
    codes['#'] = 11
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', src_port))
        seq = 100
        for i, d in enumerate(digits):
            ts = 8000 * (i + 1)
            for k in range(5):
                end = k >= 2
                dur = 400 * (k + 1)
                hdr = bytes([0x80, (0x80 if k == 0 else 0) | pt, seq >> 8 & 0xff, seq & 0xff,
                             ts >> 24 & 0xff, ts >> 16 & 0xff, ts >> 8 & 0xff, ts & 0xff,
                             0x12, 0x34, 0x56, 0x78])
                payload = bytes([codes[d], (0x80 if end else 0) | 10, dur >> 8, dur & 0xff])
                s.sendto(hdr + payload, ('127.0.0.1', port))
                seq += 1
                time.sleep(0.02)
            time.sleep(0.05)


def test_pin_by_dtmf(sip_server):
    """A room system that dials a PIN room without the PIN is answered and types the PIN as
    RFC 4733 telephone-events (or SIP INFO dtmf-relay) ended by '#': the right PIN lets it in, a
    wrong one gets BYE."""
    uac = Uac(sip_server, 'secret')
    a_src, v_src = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    status, body = uac.invite(offer(a_src, v_src, audio='g722', feedback=False))
    assert status == 200, (status, body)
    assert 'telephone-event/8000' in body, body
    ports = answer_ports(body)
    assert participants(sip_server) == 0  # not in the room before the PIN
    send_dtmf(ports[0][1], a_src, '4321#')
    deadline = time.monotonic() + 10
    while participants(sip_server) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert participants(sip_server) == 1
    assert uac.bye() == 200
    uac.close()

    uac = Uac(sip_server, 'secret')
    a_src, v_src = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    status, body = uac.invite(offer(a_src, v_src, audio='g722', feedback=False))
    assert status == 200, (status, body)
    send_dtmf(answer_ports(body)[0][1], a_src, '1111#')
    bye = uac.wait_request('BYE', timeout=10)
    assert re.search(r'^Reason: SIP;cause=403;text="wrong PIN"', bye, re.M | re.I), bye
    assert participants(sip_server) == 0
    uac.close()

    # the keys as SIP INFO (application/dtmf-relay), a common room-system setting
    uac = Uac(sip_server, 'secret')
    status, body = uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM),
                                    audio='g722', feedback=False))
    assert status == 200, (status, body)
    for i, key in enumerate('4321#'):
        assert uac.info(10 + i, 'Signal=%s\r\nDuration=160\r\n' % key,
                        'application/dtmf-relay') == 200
    deadline = time.monotonic() + 10
    while participants(sip_server) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert participants(sip_server) == 1
    assert uac.bye(cseq=20) == 200
    uac.close()

    # without telephone-event the PIN cannot be typed: 403 at once
    uac = Uac(sip_server, 'secret')
    assert uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM),
                            audio='pcmu'))[0] == 403
    uac.close()


def test_configured_site(start_server, tmp_path):
    """[site:NAME] by source address: a trusted site enters a PIN room without the PIN and is
    named after the site; srtp = required refuses a plain offer with 488."""
    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port, '[site:UBND xã An Phú]\naddress = 127.0.0.1\n'
                                        'trusted = true\n'))
    srv.sip_port = port
    uac = Uac(srv, 'secret')
    status, body = uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)))
    assert status == 200, (status, body)
    assert participants(srv) == 1
    assert uac.bye() == 200
    uac.close()
    with open(srv.log_path, encoding='utf-8', errors='replace') as f:
        assert 'sip: UBND xã An Phú (127.0.0.1) entered secret' in f.read()

    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port, '[site:Hội trường]\naddress = 127.0.0.1\n'
                                        'srtp = required\n'))
    srv.sip_port = port
    uac = Uac(srv, 'hall')
    assert uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)))[0] == 488
    uac.close()
    uac = Uac(srv, 'hall')
    status, body = uac.invite(offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM),
                                    key=os.urandom(30)))
    assert status == 200 and 'RTP/SAVP' in body, (status, body)
    uac.close()


def test_chair_removes_a_room_system(sip_server):
    """The chair's `remove` of a room system ends its call with BYE and it leaves the room."""
    import asyncio
    from harness import recv_type, ws_connect

    async def run():
        ws = await ws_connect(sip_server)
        await ws.send(json.dumps({'type': 'join', 'room': 'hall', 'name': 'Chủ trì', 'id': 1}))
        await recv_type(ws, 'joined')
        uac = Uac(sip_server, 'hall')
        status, body = uac.invite(offer(free_port(socket.SOCK_DGRAM),
                                        free_port(socket.SOCK_DGRAM)))
        assert status == 200, (status, body)
        joined = await recv_type(ws, 'participant-joined')
        pid = joined['participant']['id']
        assert joined['participant']['name'] == 'Hội trường xã', joined
        await ws.send(json.dumps({'type': 'moderate', 'action': 'remove', 'participant': pid,
                                  'id': 2}))
        left = await recv_type(ws, 'participant-left', timeout=10)
        assert left['id'] == pid and left['reason'] == 'left', left
        bye = await asyncio.get_running_loop().run_in_executor(
            None, uac.wait_request, 'BYE', 10)
        assert bye.startswith('BYE '), bye
        uac.close()
        await ws.close()

    asyncio.run(run())


# --- re-INVITE, session timers, TLS, b=AS ------------------------------------------------------

class RtpCounter:
    """Counts the RTP packets arriving on a UDP socket (the endpoint's video port) and notes when
    an H.264 key frame (an IDR or SPS NAL unit, alone, in a STAP-A or the start of a FU-A)
    arrived."""

    def __init__(self, sock):
        import threading
        self.sock = sock
        self.sock.settimeout(0.2)
        self.packets = []  # (monotonic time, key frame?)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def keyframe(pkt):
        if len(pkt) < 13:
            return False
        off = 12 + 4 * (pkt[0] & 0x0f)
        if off >= len(pkt):
            return False
        nal = pkt[off] & 0x1f
        if nal in (5, 7):
            return True
        if nal == 24:  # STAP-A
            i = off + 1
            while i + 3 <= len(pkt):
                size = pkt[i] << 8 | pkt[i + 1]
                if pkt[i + 2] & 0x1f in (5, 7):
                    return True
                i += 2 + size
        if nal == 28 and off + 1 < len(pkt):  # FU-A start of an IDR
            return bool(pkt[off + 1] & 0x80) and pkt[off + 1] & 0x1f == 5
        return False

    def _run(self):
        while self.running:
            try:
                pkt = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(pkt) >= 12 and pkt[0] >> 6 == 2:
                self.packets.append((time.monotonic(), self.keyframe(pkt)))

    def since(self, t):
        return [p for p in self.packets if p[0] >= t]

    def wait(self, cond, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.05)
        return cond()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def video_offer(a_port, v_port, direction='sendrecv', conn='127.0.0.1', bw='', codec='H264'):
    rtpmap = ('a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f;packetization-mode=1'
              if codec == 'H264' else 'a=rtpmap:96 H263-1998/90000')
    return ('v=0\r\no=hall 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=%s\r\n'
            'm=video %d RTP/AVP 96\r\n%s%s\r\na=%s\r\n'
            % (conn, a_port, direction, v_port, bw, rtpmap, direction))


def test_reinvite_hold_resume_move_and_488(start_server):
    """re-INVITE: a=sendonly (hold) -> the endpoint receives no RTP and the answer says recvonly;
    sendrecv (resume) -> RTP again, starting with a key frame; a new video port -> the picture is
    sent there; an offer without a common codec -> 488 and the call goes on as it was. The offer's
    b=AS:512 caps the picture at 512 kbit/s (the answer's b=AS / b=TIAS say so)."""
    port = free_port(socket.SOCK_DGRAM)
    srv = start_server(sip_config(port))
    srv.sip_port = port
    socks = []
    for _ in range(3):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        socks.append(s)
    a_port, v_port, v2_port = (s.getsockname()[1] for s in socks)
    video, video2 = RtpCounter(socks[1]), RtpCounter(socks[2])
    uac = Uac(srv, 'hall')
    try:
        status, body = uac.invite(video_offer(a_port, v_port, bw='b=AS:512\r\n'))
        assert status == 200, (status, body)
        vsect = body.split('m=video')[1]
        assert 'b=AS:512\r\n' in vsect and 'b=TIAS:512000\r\n' in vsect, body
        assert video.wait(lambda: len(video.packets) > 20, 20), 'no picture arrived'
        with open(srv.log_path, encoding='utf-8', errors='replace') as f:
            assert re.search(r'receives the picture \(H\.264 1280x720 512 kbit/s', f.read())

        # hold
        status, body = uac.reinvite(video_offer(a_port, v_port, 'sendonly'), cseq=3)
        assert status == 200 and 'a=recvonly' in body.split('m=video')[1], (status, body)
        time.sleep(0.3)  # packets already on their way
        t_hold = time.monotonic()
        time.sleep(1.2)
        assert video.since(t_hold) == [], 'RTP sent to an endpoint on hold'
        # resume: RTP again, a key frame first
        status, body = uac.reinvite(video_offer(a_port, v_port), cseq=4)
        assert status == 200 and 'a=sendrecv' in body.split('m=video')[1], (status, body)
        t_resume = time.monotonic()
        assert video.wait(lambda: any(k for _, k in video.since(t_resume)), 5), \
            'no key frame after resume'
        # the old hold (c=0.0.0.0): nothing sent either
        status, body = uac.reinvite(video_offer(a_port, v_port, conn='0.0.0.0'), cseq=5)
        assert status == 200, (status, body)
        time.sleep(0.3)
        t_hold = time.monotonic()
        time.sleep(0.7)
        assert video.since(t_hold) == []
        # moved: the video now goes to another port
        status, body = uac.reinvite(video_offer(a_port, v2_port), cseq=6)
        assert status == 200, (status, body)
        assert video2.wait(lambda: len(video2.packets) > 10, 5), 'nothing at the new port'
        # no common codec: 488, and the call goes on unchanged (still sending to v2_port)
        status, body = uac.reinvite(video_offer(a_port, v_port, codec='H263'), cseq=7)
        assert status == 488, (status, body)
        n = len(video2.packets)
        assert video2.wait(lambda: len(video2.packets) > n + 10, 5)
        assert participants(srv) == 1
        assert uac.bye(cseq=8) == 200
    finally:
        video.close()
        video2.close()
        socks[0].close()
        uac.close()


def test_session_timer_in_200_and_422_below_min_se(sip_server):
    """RFC 4028: an INVITE with Session-Expires gets it back in the 200 (refresher uac); one
    with Session-Expires: 30 (below [sip] min_se, 90) gets 422 with Min-SE: 90; one without
    Supported: timer gets no session timer."""
    uac = Uac(sip_server, 'hall')
    uac.extra = ['Supported: timer', 'Session-Expires: 30']
    sdp = offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM))
    status, _ = uac.invite(sdp)
    assert status == 422 and re.search(r'^Min-SE: *90', uac.head, re.M | re.I), uac.head
    uac.close()
    uac = Uac(sip_server, 'hall')
    uac.extra = ['Supported: timer', 'Session-Expires: 600;refresher=uac']
    status, body = uac.invite(sdp)
    assert status == 200, (status, body)
    m = re.search(r'^(Session-Expires|x): *(\d+)(;refresher=(\w+))?', uac.head, re.M | re.I)
    assert m and int(m.group(2)) == 600 and m.group(4) == 'uac', uac.head
    assert uac.bye() == 200
    uac.close()
    # an endpoint without timers gets none (the gateway does not refresh with SDP-less INVITEs)
    uac = Uac(sip_server, 'hall')
    status, body = uac.invite(sdp)
    assert status == 200 and not re.search(r'^(Session-Expires|x):', uac.head, re.M | re.I), \
        uac.head
    assert uac.bye() == 200
    uac.close()


@pytest.fixture(scope='module')
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp('siptls')
    for name in ('a', 'b'):
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                        '-subj', '/CN=127.0.0.1', '-keyout', str(d / (name + '.key')),
                        '-out', str(d / (name + '.pem'))], check=True, capture_output=True)
    return d


def tls_request(conn, text):
    """Sends one request on a TLS connection; returns the final response (head, body)."""
    conn.sendall(text.encode())
    buf = b''
    while True:
        while b'\r\n\r\n' not in buf:
            buf += conn.recv(65535)
        head, _, rest = buf.partition(b'\r\n\r\n')
        m = re.search(rb'^Content-Length: *(\d+)', head, re.M | re.I)
        n = int(m.group(1)) if m else 0
        while len(rest) < n:
            rest += conn.recv(65535)
        body, buf = rest[:n], rest[n:]
        head = head.decode()
        if not head.startswith('SIP/2.0 1'):
            return head, body.decode()


def test_sip_over_tls(start_server, tls_files):
    """[sip] tls_listen: OPTIONS and a call over TLS are answered (the call with its picture's
    b=AS); a private key that is not the certificate's stops the start with a clear message."""
    import ssl
    from harness import Server
    port, tls_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    tls = ('tls_listen = 127.0.0.1:%d\ncertificate = %s\nprivate_key = %s\n'
           % (tls_port, tls_files / 'a.pem', tls_files / 'a.key'))
    srv = start_server(sip_config(port).replace('[rooms]', tls + '[rooms]'))
    ctx = ssl.create_default_context(cafile=str(tls_files / 'a.pem'))
    ctx.check_hostname = False
    with socket.create_connection(('127.0.0.1', tls_port), timeout=10) as raw, \
            ctx.wrap_socket(raw) as conn:
        me = '127.0.0.1:%d' % conn.getsockname()[1]
        uri = 'sip:hall@127.0.0.1:%d;transport=tls' % tls_port
        common = ('Via: SIP/2.0/TLS %s;branch=z9hG4bK%%s\r\nFrom: <sip:tls@127.0.0.1>;tag=t1\r\n'
                  'To: <%s>%%s\r\nCall-ID: tls-%s\r\nMax-Forwards: 70\r\n'
                  'Contact: <sip:tls@%s;transport=tls>\r\n' % (me, uri, uuid.uuid4().hex, me))
        head, _ = tls_request(conn, 'OPTIONS %s SIP/2.0\r\n' % uri + common % ('o1', '') +
                              'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n')
        assert head.startswith('SIP/2.0 200'), head
        sdp = video_offer(free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM))
        head, body = tls_request(conn, 'INVITE %s SIP/2.0\r\n' % uri + common % ('i1', '') +
                                 'CSeq: 2 INVITE\r\nContent-Type: application/sdp\r\n'
                                 'Content-Length: %d\r\n\r\n%s' % (len(sdp), sdp))
        assert head.startswith('SIP/2.0 200') and 'm=video' in body, head
        assert 'b=AS:1408' in body, body  # the default 720p bitrate, as the encoder makes it
        to_tag = re.search(r'^To:.*(;tag=[^;\r\n]+)', head, re.M | re.I).group(1)
        conn.sendall(('ACK %s SIP/2.0\r\n' % uri + common % ('a1', to_tag) +
                      'CSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n').encode())
        assert participants(srv) == 1
        head, _ = tls_request(conn, 'BYE %s SIP/2.0\r\n' % uri + common % ('b1', to_tag) +
                              'CSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n')
        assert head.startswith('SIP/2.0 200'), head
    # the key of another certificate: the server refuses to start
    bad = Server(str(tls_files), sip_config(free_port(socket.SOCK_DGRAM)).replace(
        '[rooms]', tls.replace('a.key', 'b.key') + '[rooms]'))
    with pytest.raises(AssertionError) as e:
        bad.start()
    assert 'it is not the key of the certificate' in str(e.value), e.value
