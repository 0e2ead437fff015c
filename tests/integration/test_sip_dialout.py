"""Dial-out (docs/room-systems.md, "Dial-out"): the SIP gateway calls the configured sites of a
room when its meeting starts, redials a site that hangs up, and calls or hangs up a site when the
REST API asks. The site is a small SIP user agent written here (UDP, answers INVITE with an
H.264 + Opus answer, can send BYE); a WebSocket participant sees it join the roster as a `site`.
One server for the file."""
import asyncio
import json
import os
import queue
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from harness import HOINGHI_BIN, Server, free_port, recv_type, sanitizer_env, tail, ws_connect

SITE = 'UBND xã An Phú'
SITE2 = 'Hội trường huyện'


class Uas:
    """A room system that is called: answers each INVITE (200 with an SDP answer, or `refuse`
    with that code), takes ACK, answers BYE with 200, and sends BYE itself (hang_up)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.events = queue.Queue()  # ('INVITE', time, text) / ('BYE', time, text)
        self.refuse = []  # codes for the next INVITEs, in order (then 200)
        self.dialog = None
        self.media = []  # the RTP sockets of the answers
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _reply(self, req, addr, code, reason, body='', tag=None):
        head = req.partition('\r\n\r\n')[0].split('\r\n')
        out = ['SIP/2.0 %d %s' % (code, reason)]
        for line in head[1:]:
            name = line.split(':')[0].strip().lower()
            if name in ('via', 'from', 'call-id', 'cseq'):
                out.append(line)
            elif name == 'to':
                out.append(line + (';tag=' + tag if tag and ';tag=' not in line else ''))
        out.append('Contact: <sip:site@127.0.0.1:%d>' % self.port)
        if body:
            out.append('Content-Type: application/sdp')
        out.append('Content-Length: %d' % len(body.encode()))
        self.sock.sendto(('\r\n'.join(out) + '\r\n\r\n' + body).encode(), addr)

    def _run(self):
        while not self.stop_flag:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode(errors='replace')
            method = text.split(' ', 1)[0]
            if method == 'INVITE':
                if re.search(r'^To:.*;tag=', text, re.M | re.I):  # a re-INVITE
                    self._reply(text, addr, 200, 'OK', tag=None)
                    continue
                code = self.refuse.pop(0) if self.refuse else 200
                tag = uuid.uuid4().hex[:8]
                if code != 200:
                    self._reply(text, addr, code, 'Busy Here', tag=tag)
                    self.events.put(('REFUSED', time.monotonic(), text))
                    continue
                media = []
                for _ in range(2):  # audio, video: where the server must send
                    m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    m.bind(('127.0.0.1', 0))
                    m.setblocking(False)
                    media.append(m)
                self.media.extend(media)
                a, v = (m.getsockname()[1] for m in media)
                sdp = ('v=0\r\no=site 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n'
                       't=0 0\r\nm=audio %d RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n'
                       'm=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n'
                       'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n' % (a, v))
                self._reply(text, addr, 200, 'OK', sdp, tag=tag)
                hdr = {l.split(':', 1)[0].strip().lower(): l.split(':', 1)[1].strip()
                       for l in text.partition('\r\n\r\n')[0].split('\r\n')[1:] if ':' in l}
                contact = re.search(r'<([^>]+)>', hdr.get('contact', hdr.get('m', '')))
                self.dialog = {'from': hdr.get('from') or hdr.get('f'),
                               'to': (hdr.get('to') or hdr.get('t')) + ';tag=' + tag,
                               'call_id': hdr.get('call-id') or hdr.get('i'),
                               'target': contact.group(1) if contact else None, 'addr': addr}
                self.events.put(('INVITE', time.monotonic(), text))
            elif method in ('BYE', 'CANCEL', 'OPTIONS', 'INFO'):
                self._reply(text, addr, 200, 'OK')
                if method in ('BYE', 'CANCEL'):
                    self.events.put((method, time.monotonic(), text))
            # ACK and responses (to our BYE): nothing to do

    def wait(self, kind, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, 'no %s within %s s' % (kind, timeout)
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev[0] == kind:
                return ev

    def quiet(self, seconds):
        """The events of the next `seconds` (none expected)."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.events.get(timeout=max(0.01, deadline - time.monotonic()))[0])
            except queue.Empty:
                pass
        return got

    def media_packets(self, timeout):
        """RTP packets (audio, video) the server sent to the last answer's ports within
        timeout s (stops early once both kinds arrived)."""
        audio, video = self.media[-2:]
        got = [0, 0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(got):
            for i, m in enumerate((audio, video)):
                try:
                    while True:
                        data = m.recv(2048)
                        if len(data) >= 12 and data[0] >> 6 == 2:
                            got[i] += 1
                except BlockingIOError:
                    pass
            time.sleep(0.05)
        return got

    def hang_up(self):
        d = self.dialog
        msg = ('BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n'
               'From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\n'
               'Content-Length: 0\r\n\r\n' % (d['target'], self.port, uuid.uuid4().hex,
                                             d['to'], d['from'], d['call_id']))
        self.sock.sendto(msg.encode(), d['addr'])
        return time.monotonic()

    def close(self):
        self.stop_flag = True
        self.thread.join(2)
        self.sock.close()
        for m in self.media:
            m.close()


def cli(data_dir, *args):
    p = subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), capture_output=True,
                       text=True, timeout=30, env=sanitizer_env())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def config(sip_port, uas_port, uas2_port):
    return ('[sip]\nlisten = 127.0.0.1:%d\nredial_seconds = 1\n'
            '[media]\nconsent_timeout = 60\nbusy_lag_ms = 0\n'
            '[rooms]\nauto_create = false\nend_grace = 2\n'
            '[room:hall]\nsites = %s\n[room:other]\n'
            '[site:%s]\ndial = sip:anphu@127.0.0.1:%d\n'
            '[site:%s]\ndial = sip:huyen@127.0.0.1:%d\n'
            % (sip_port, SITE, SITE, uas_port, SITE2, uas2_port))


@pytest.fixture(scope='module', autouse=True)
def gst_leak_suppression():
    """Under ASan: the called site gets the composed picture and its mix, which load GStreamer
    into the server; GLib's quark block that GStreamer outgrows is left allocated on purpose
    (lsan_gst.supp, as in test_sip.py); the full unwinder lets the suppression see it."""
    here = os.path.dirname(__file__)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1:'
                  'fast_unwind_on_malloc=0')
        mp.setenv('LSAN_OPTIONS', 'suppressions=%s:print_suppressions=0'
                  % os.path.join(here, 'lsan_gst.supp'))
        yield


@pytest.fixture(scope='module')
def env(gst_leak_suppression):
    if shutil.which('gst-launch-1.0') is None:
        pytest.skip('GStreamer missing')
    uas, uas2 = Uas(), Uas()
    work = tempfile.mkdtemp(prefix='hn-dialout-')
    key = cli(os.path.join(work, 'data'), 'apikey', 'add', 'dialout-test')
    srv = Server(work, config(free_port(socket.SOCK_DGRAM), uas.port, uas2.port))
    try:
        srv.start()
        yield srv, key, uas, uas2
    finally:
        problems = srv.stop()
        log = tail(srv.log_path, 80)
        uas.close()
        uas2.close()
        shutil.rmtree(work, ignore_errors=True)
        assert not problems, '%s\n--- server log tail:\n%s' % (problems, log)


def api(srv, key, method, path):
    req = urllib.request.Request(srv.http_url + path, method=method, data=b'' if method == 'POST'
                                 else None)
    req.add_header('Authorization', 'Bearer ' + key)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def site_path(room, site):
    return '/api/v1/rooms/%s/sites/%s/call' % (room, urllib.parse.quote(site))


async def site_joined(ws, name, timeout=15):
    while True:
        msg = await recv_type(ws, 'participant-joined', timeout=timeout)
        if msg['participant']['name'] == name:
            return msg['participant']


async def site_left(ws, pid, timeout=15):
    while True:
        msg = await recv_type(ws, 'participant-left', timeout=timeout)
        if msg['id'] == pid:
            return msg


def test_meeting_start_calls_the_site_and_a_drop_is_redialled(env):
    """The first participant in `hall` starts its meeting: the gateway calls the site of
    `sites`; it joins as a `site` participant named after the site and receives RTP (picture
    and mix) at the ports of its answer. The site hangs up (BYE): it
    is called again after redial_seconds (1 s). The last participant leaves: the site is hung
    up and not called again."""
    srv, key, uas, _ = env

    async def run():
        ws = await ws_connect(srv)
        await ws.send(json.dumps({'type': 'join', 'room': 'hall', 'name': 'Chủ trì', 'id': 1}))
        await recv_type(ws, 'joined')
        loop = asyncio.get_running_loop()
        _, _, invite = await loop.run_in_executor(None, uas.wait, 'INVITE', 15)
        assert invite.startswith('INVITE sip:anphu@127.0.0.1:%d' % uas.port), invite
        assert re.search(r'^m=audio \d+ RTP/AVP ', invite, re.M), invite
        assert re.search(r'^a=rtpmap:\d+ H264/90000', invite, re.M), invite
        assert 'G722/8000' in invite and 'PCMU/8000' in invite, invite
        p = await site_joined(ws, SITE)
        assert p['role'] == 'site', p
        # it receives the meeting: the composed picture and the mix, where its answer said
        audio, video = await loop.run_in_executor(None, uas.media_packets, 40)
        assert audio > 0 and video > 0, (audio, video)
        # the site hangs up: called again after redial_seconds
        t_bye = await loop.run_in_executor(None, uas.hang_up)
        left = await site_left(ws, p['id'])
        assert left['reason'] == 'left', left
        _, t_inv, _ = await loop.run_in_executor(None, uas.wait, 'INVITE', 15)
        assert 0.8 < t_inv - t_bye < 10, t_inv - t_bye
        p2 = await site_joined(ws, SITE)
        assert p2['id'] != p['id'] and p2['role'] == 'site', p2
        await ws.close()
        # nobody but the site: it is hung up (BYE), and not redialled
        await loop.run_in_executor(None, uas.wait, 'BYE', 15)
        assert 'INVITE' not in await loop.run_in_executor(None, uas.quiet, 3)

    asyncio.run(run())
    # what happened is in the meeting's event log (and so in its hooks)
    db = sqlite3.connect(os.path.join(srv.data_dir, 'hoinghi.db'))
    try:
        rows = db.execute("SELECT type, participant, data FROM events WHERE room = 'hall' AND "
                          "type LIKE 'site.%' ORDER BY id").fetchall()
    finally:
        db.close()
    types = [r[0] for r in rows]
    assert types == ['site.calling', 'site.connected', 'site.dropped', 'site.calling',
                     'site.connected', 'site.hung-up'], rows
    assert all(json.loads(r[2])['site'] == SITE for r in rows), rows
    assert rows[1][1] and rows[1][1].startswith('p'), rows
    db = sqlite3.connect(os.path.join(srv.data_dir, 'hoinghi.db'))
    try:
        started = db.execute("SELECT data FROM events WHERE room = 'hall' AND "
                             "type = 'meeting.started' ORDER BY id").fetchone()
    finally:
        db.close()
    assert json.loads(started[0])['sites'] == [SITE], started


def test_api_calls_and_hangs_up_a_site(env):
    """POST /api/v1/rooms/ROOM/sites/NAME/call calls a configured site now (a refused call is
    retried after redial_seconds); the site is in the room's participants with role site;
    DELETE hangs it up (BYE) without redial. Unknown site 404, no credentials 401, DELETE of a
    site not called 409."""
    srv, key, _, uas = env
    path = site_path('other', SITE2)
    assert api(srv, 'wrong-key', 'POST', path)[0] == 401
    assert api(srv, key, 'POST', site_path('other', 'Xã Không Có'))[0] == 404
    assert api(srv, key, 'POST', site_path('nosuchroom', SITE2))[0] == 404
    assert api(srv, key, 'DELETE', path)[0] == 409
    assert api(srv, key, 'GET', path)[0] == 405
    uas.refuse = [486]
    st, body = api(srv, key, 'POST', path)
    assert st == 202 and json.loads(body)['state'] == 'calling', (st, body)
    _, t_refused, _ = uas.wait('REFUSED', 10)
    _, t_inv, _ = uas.wait('INVITE', 10)
    assert 0.8 < t_inv - t_refused < 10, t_inv - t_refused
    deadline = time.monotonic() + 10
    people = []
    while time.monotonic() < deadline:
        st, body = api(srv, key, 'GET', '/api/v1/rooms/other/participants')
        people = json.loads(body) if st == 200 else []
        if any(p.get('name') == SITE2 for p in people):
            break
        time.sleep(0.2)
    site = [p for p in people if p.get('name') == SITE2]
    assert site and site[0]['role'] == 'site', people
    assert api(srv, key, 'DELETE', path)[0] == 204
    uas.wait('BYE', 10)
    assert 'INVITE' not in uas.quiet(3)
    st, body = api(srv, key, 'GET', '/api/v1/rooms/other/participants')
    assert not any(p.get('name') == SITE2 for p in (json.loads(body) if st == 200 else [])), body
    assert api(srv, key, 'DELETE', path)[0] == 409


def test_unknown_site_in_sites_refuses_the_start(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('[sip]\nlisten = 127.0.0.1:%d\n[room:hall]\nsites = Xã Không Có\n'
                    % free_port(socket.SOCK_DGRAM), encoding='utf-8')
    p = subprocess.run([HOINGHI_BIN, '--config', str(conf), '--data-dir', str(tmp_path / 'd'),
                        '--listen', '127.0.0.1:%d' % free_port()], capture_output=True,
                       text=True, timeout=30, env=sanitizer_env())
    assert p.returncode != 0
    assert '[room:hall] sites: no [site:Xã Không Có] group is declared' in p.stderr + p.stdout, \
        p.stderr


def test_silent_site_is_hung_up_and_redialled(tmp_path):
    """A called site whose media stops ([media] consent_timeout + ice_restart_grace, here 3 s)
    is hung up with BYE like a caller would be, and called again after redial_seconds while the
    meeting runs (site.dropped with reason "media silent")."""
    uas = Uas()
    conf = config(free_port(socket.SOCK_DGRAM), uas.port, free_port(socket.SOCK_DGRAM)).replace(
        'consent_timeout = 60', 'consent_timeout = 3\nice_restart_grace = 0')
    srv = Server(str(tmp_path), conf)
    try:
        srv.start()

        async def run():
            ws = await ws_connect(srv)
            await ws.send(json.dumps({'type': 'join', 'room': 'hall', 'name': 'Chủ trì',
                                      'id': 1}))
            await recv_type(ws, 'joined')
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, uas.wait, 'INVITE', 15)
            p = await site_joined(ws, SITE)
            _, t_bye, _ = await loop.run_in_executor(None, uas.wait, 'BYE', 20)
            left = await site_left(ws, p['id'])
            assert left['reason'] == 'timeout', left
            _, t_inv, _ = await loop.run_in_executor(None, uas.wait, 'INVITE', 15)
            assert 0.8 < t_inv - t_bye < 10, t_inv - t_bye
            await site_joined(ws, SITE)
            await ws.close()

        asyncio.run(run())
        with open(srv.log_path, encoding='utf-8', errors='replace') as f:
            assert 'hall to %s: site.dropped media silent' % SITE in f.read()
    finally:
        problems = srv.stop()
        uas.close()
        assert not problems, problems
