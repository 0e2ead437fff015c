"""WHIP ingest (RFC 9725, docs/room-systems.md "WHIP encoders") against the real server: a
GStreamer webrtcbin encoder signalled over HTTP only (whip_client.py) publishes into a room; a
WebSocket participant (tests/interop/gst_client.py) sees it join as a `site`, decodes its video
and audio, and sees it leave when it DELETEs its resource. PATCH (trickle, ICE restart), the join
gate's refusals and bad input are checked with plain HTTP."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import jwt

from harness import (GST_PYTHON, HOINGHI_BIN, Server, counts_from, events_of, sanitizer_env,
                     tail)

SECRET = 'whip-integration-secret-5e4d3c2b1a'
PIN = '731946'
CONFIG = """
[auth]
jwt_secret = %s
lockout_failures = 3
lockout_seconds = 60

[rooms]
auto_create = false

[room:hall]
access = open

[room:kin]
access = token

[room:giao-ban]
pin = %s
access = pin

[whip]
ice_servers = stun:stun.example.net, turns:turn.example.net:5349?transport=tcp
ice_username = hoinghi
ice_credential = %s
""" % (SECRET, PIN, 'turn-secret-4f3e2d')
TURN_LINK = ('<turns:turn.example.net:5349?transport=tcp>; rel="ice-server"; username="hoinghi"; '
             'credential="turn-secret-4f3e2d"; credential-type="password"')
HERE = os.path.dirname(__file__)
WHIP_CLIENT = os.path.join(HERE, 'whip_client.py')
OFFER_FILE = os.path.join(HERE, '..', 'unit', 'sdp', 'fixtures', 'webrtcbin-sendonly.sdp')
FRAG = 'application/trickle-ice-sdpfrag'


def token(room, name='Xã Tân Lập', role='site', exp=3600):
    claims = {'room': room, 'name': name, 'role': role, 'exp': int(time.time()) + exp}
    return jwt.encode(claims, SECRET, algorithm='HS256')


def links(method, url, headers=None):
    """The Link headers of an answer (urllib folds nothing: every one is kept)."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers.get_all('Link') or []
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get_all('Link') or []


def http(method, url, body=None, headers=None):
    """(status, lower-case headers, body text); HTTP errors are answers, not exceptions."""
    if isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


def post_offer(server, room, sdp, bearer=None, ctype='application/sdp', query=''):
    headers = {'Content-Type': ctype}
    if bearer:
        headers['Authorization'] = 'Bearer ' + bearer
    return http('POST', '%s/whip/%s%s' % (server.http_url, room, query), sdp, headers)


def canned_offer():
    with open(OFFER_FILE, encoding='utf-8') as f:
        return f.read()


class WhipEncoder:
    """whip_client.py as a subprocess (killed by PID at the end)."""

    def __init__(self, server, tmp_path, room, bearer, duration, *extra):
        self.report_path = str(tmp_path / ('whip-%s.json' % room))
        self.log_path = str(tmp_path / ('whip-%s.log' % room))
        self._log = open(self.log_path, 'w', encoding='utf-8')
        args = [GST_PYTHON, WHIP_CLIENT, '--url', '%s/whip/%s' % (server.http_url, room),
                '--duration', str(duration), '--report', self.report_path] + list(extra)
        if bearer:
            args += ['--bearer', bearer]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        self.duration = duration

    def report(self):
        try:
            with open(self.report_path, encoding='utf-8') as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_for(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rep = self.report()
            if rep and pred(rep):
                return rep
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError('WHIP encoder: condition not met; report %s\n%s'
                             % (self.report(), tail(self.log_path)))

    def wait(self):
        self.proc.wait(self.duration + 30)
        self._log.close()
        return self.report()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_whip_encoder_is_seen_decoded_and_leaves(start_server, clients, tmp_path):
    server = start_server(CONFIG)
    viewer = clients(server, 'Viewer', 'hall', 20, '--no-publish')
    viewer.wait_joined()
    enc = WhipEncoder(server, tmp_path, 'hall', token('hall'), 12)
    try:
        rep = enc.wait_for(lambda r: r.get('status') is not None)
        assert rep['status'] == 201, rep
        assert rep['content_type'].startswith('application/sdp'), rep
        loc, etag = rep['location'], rep['etag']
        assert loc.startswith('/whip/resource/') and len(loc.rsplit('/', 1)[1]) == 32, loc
        assert etag and etag.startswith('"'), etag
        assert 'a=ice-lite' in rep['answer'] and 'a=candidate:' in rep['answer']
        enc.wait_for(lambda r: r.get('connected'))
        res = server.http_url + loc

        # PATCH: the If-Match rules, then a trickled candidate with the right ETag
        cand = 'a=candidate:9 1 udp 2122260223 127.0.0.1 9 typ host\r\n'
        assert http('PATCH', res, cand, {'Content-Type': FRAG})[0] == 428
        assert http('PATCH', res, cand, {'Content-Type': FRAG, 'If-Match': '"nope"'})[0] == 412
        assert http('PATCH', res, cand, {'Content-Type': 'text/plain', 'If-Match': etag})[0] == 415
        assert http('PATCH', res, 'garbage', {'Content-Type': FRAG, 'If-Match': etag})[0] == 400
        assert http('PATCH', res, cand, {'Content-Type': FRAG, 'If-Match': etag})[0] == 204

        # bad input from someone else disturbs nobody
        hall = 'hall'
        assert post_offer(server, hall, 'garbage')[0] == 400
        assert post_offer(server, hall, '')[0] == 400
        assert post_offer(server, hall, canned_offer(), ctype='text/plain')[0] == 415
        nomedia = canned_offer().replace('VP8/90000', 'XV1/90000').replace('OPUS/48000/2',
                                                                          'XA1/48000/2')
        st, _, body = post_offer(server, hall, nomedia)
        assert st == 422 and "no supported video codec" in body, (st, body)
        assert post_offer(server, hall, 'v=0\r\n' + 'a=x\r\n' * 20000)[0] == 413
        # an unknown room: as `join` (the gate first, then the room)
        assert post_offer(server, 'no-such-room', canned_offer())[0] == 401
        assert post_offer(server, 'no-such-room', canned_offer(), token('no-such-room'))[0] == 404
        st, hdrs, _ = http('OPTIONS', server.http_url + '/whip/hall')
        assert st == 204 and hdrs.get('accept-post') == 'application/sdp', (st, hdrs)

        final = enc.wait()
        assert final['delete_status'] == 200, final
        assert final['video_sent'] > 200, final
    finally:
        enc.kill()
    assert http('DELETE', res)[0] == 404  # the second DELETE
    assert http('PATCH', res, cand, {'Content-Type': FRAG, 'If-Match': etag})[0] == 404
    vr = viewer.wait()
    assert vr['rc'] == 0, (vr.get('errors'), viewer.describe())
    joined = [e['participant'] for e in events_of(vr, 'participant-joined')]
    sites = [p for p in joined if p.get('role') == 'site']
    assert len(sites) == 1 and sites[0]['name'] == 'Xã Tân Lập', joined
    pid = sites[0]['id']
    video, audio = counts_from(vr, pid)
    assert video > 150 and audio > 200, (video, audio, vr.get('received'))
    left = [e for e in events_of(vr, 'participant-left') if e['id'] == pid]
    assert left and left[0]['reason'] == 'left', events_of(vr, 'participant-left')
    server.assert_healthy()


def test_whip_ice_restart_answers_a_fragment(start_server, tmp_path):
    """An ICE restart (If-Match: *, new ufrag and pwd): 200 with the server's new credentials
    and a new ETag; the old ETag no longer matches. (The canned offer's peer never connects:
    the HTTP exchange is what is checked; the room restarts its ICE agent in place.)"""
    server = start_server(CONFIG)
    st, hdrs, answer = post_offer(server, 'hall', canned_offer(), query='?name=Encoder%201')
    assert st == 201, answer
    res, etag = server.http_url + hdrs['location'], hdrs['etag']
    old_ufrag = [l for l in answer.splitlines() if l.startswith('a=ice-ufrag:')][0]
    frag = ('a=ice-ufrag:R3st\r\na=ice-pwd:restartrestartrestart12\r\nm=audio 9 RTP/AVP 0\r\n'
            'a=mid:video0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n')
    st, h2, body = http('PATCH', res, frag, {'Content-Type': FRAG, 'If-Match': '*'})
    assert st == 200, body
    assert h2['content-type'].startswith(FRAG), h2
    assert h2['etag'] != etag
    new_ufrag = [l for l in body.splitlines() if l.startswith('a=ice-ufrag:')][0]
    assert new_ufrag != old_ufrag and 'a=ice-pwd:' in body and 'a=candidate:' in body, body
    assert http('PATCH', res, 'a=end-of-candidates\r\n',
                {'Content-Type': FRAG, 'If-Match': etag})[0] == 412
    assert http('PATCH', res, 'a=end-of-candidates\r\n',
                {'Content-Type': FRAG, 'If-Match': h2['etag']})[0] == 204
    assert http('DELETE', res)[0] == 200
    assert http('DELETE', res)[0] == 404
    server.assert_healthy()


def test_whip_join_gate(start_server):
    server = start_server(CONFIG)
    offer = canned_offer()
    st, hdrs, _ = post_offer(server, 'kin', offer)
    assert st == 401 and hdrs.get('www-authenticate', '').startswith('Bearer'), (st, hdrs)
    # a valid token for the token room, then the room PIN where the room takes one
    st, hdrs, body = post_offer(server, 'kin', offer, token('kin'))
    assert st == 201, body
    assert http('DELETE', server.http_url + hdrs['location'])[0] == 200
    # Link rel="ice-server" (RFC 9725 4.6): on the 201 with the TURN credentials; on OPTIONS
    # with them only for a token good for the room (a PIN is not checked there)
    req = urllib.request.Request(server.http_url + '/whip/hall', data=offer.encode(),
                                 method='POST', headers={'Content-Type': 'application/sdp'})
    with urllib.request.urlopen(req, timeout=15) as r:
        assert r.status == 201
        got = r.headers.get_all('Link')
        loc = r.headers['Location']
    assert got == ['<stun:stun.example.net>; rel="ice-server"', TURN_LINK], got
    assert http('DELETE', server.http_url + loc)[0] == 200
    st, got = links('OPTIONS', server.http_url + '/whip/kin')
    assert st == 204 and len(got) == 2 and 'credential' not in got[1], got
    st, got = links('OPTIONS', server.http_url + '/whip/kin',
                    {'Authorization': 'Bearer ' + token('kin')})
    assert st == 204 and got[1] == TURN_LINK, got
    st, got = links('OPTIONS', server.http_url + '/whip/kin',
                    {'Authorization': 'Bearer ' + token('hall')})
    assert st == 204 and 'credential' not in got[1], got
    st, hdrs, body = post_offer(server, 'giao-ban', offer, PIN, query='?name=Hall%20A')
    assert st == 201, body
    assert http('DELETE', server.http_url + hdrs['location'])[0] == 200
    # refusals: wrong PIN, expired token, another room's token; the third failure locks
    assert post_offer(server, 'giao-ban', offer, '000000')[0] == 401
    assert post_offer(server, 'kin', offer, token('kin', exp=-60))[0] == 401
    assert post_offer(server, 'kin', offer, token('hall'))[0] == 403
    assert post_offer(server, 'kin', offer, token('kin'))[0] == 429
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=10) as r:
        text = r.read().decode()
    refused = [l for l in text.splitlines() if l.startswith('hoinghi_joins_refused_total ')]
    assert refused and float(refused[0].split()[1]) >= 4, refused
    server.assert_healthy()


def test_whip_silent_encoder_leaves_and_its_resource_is_gone(start_server, clients, tmp_path):
    """An encoder that vanishes without DELETE (killed: its power cut) is dropped by the room's
    liveness check ([media] consent_timeout, ice_restart_grace): the others see it leave as
    `disconnected` and its resource answers 404."""
    server = start_server(CONFIG + '\n[media]\nconsent_timeout = 3\nice_restart_grace = 0\n')
    # the viewer publishes: a receive-only viewer falls silent too once the encoder is gone (no
    # media, so no RTCP) and the same 3 s liveness check could drop it with the encoder, its
    # socket closed before it wrote the encoder's `participant-left` down. It stays until stopped.
    viewer = clients(server, 'Viewer', 'hall', 90)
    viewer.wait_joined()
    enc = WhipEncoder(server, tmp_path, 'hall', None, 60, '--no-delete')
    try:
        rep = enc.wait_for(lambda r: r.get('connected'))
        res, etag = server.http_url + rep['location'], rep['etag']
        time.sleep(1)
        enc.kill()
        frag = {'Content-Type': FRAG, 'If-Match': etag}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if http('PATCH', res, 'a=end-of-candidates\r\n', frag)[0] == 404:
                break
            time.sleep(0.25)
        assert http('PATCH', res, 'a=end-of-candidates\r\n', frag)[0] == 404
    finally:
        enc.kill()

    def site_left(rep):
        joined = [e['participant'] for e in events_of(rep, 'participant-joined')]
        sites = [p for p in joined if p.get('role') == 'site']
        ids = {p['id'] for p in sites}
        return sites, [e for e in events_of(rep, 'participant-left') if e['id'] in ids]

    # the viewer reports what it received about once a second: the resource's 404 can come
    # before the viewer has written the `participant-left` it was sent down
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not site_left(viewer.report())[1]:
        time.sleep(0.25)
    vr = viewer.stop()
    sites, left = site_left(vr)
    assert len(sites) == 1 and sites[0]['name'] == 'WHIP', events_of(vr, 'participant-joined')
    assert left and left[0]['reason'] == 'disconnected', events_of(vr, 'participant-left')
    server.assert_healthy()


def test_whip_site_removed_through_the_api(tmp_path):
    """The REST API (as a chair's `remove`) lists the encoder as a `site` and removes it: its
    session ends and the resource answers 404."""
    srv = Server(str(tmp_path), CONFIG)
    p = subprocess.run([HOINGHI_BIN, '--data-dir', srv.data_dir, 'apikey', 'add', 'whip-test'],
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert p.returncode == 0, p.stderr
    auth = {'Authorization': 'Bearer ' + p.stdout.strip()}
    srv.start()
    try:
        st, hdrs, body = post_offer(srv, 'hall', canned_offer(), token('hall', name='Hội trường'))
        assert st == 201, body
        res = srv.http_url + hdrs['location']
        st, _, body = http('GET', srv.http_url + '/api/v1/rooms/hall/participants', None, auth)
        assert st == 200, body
        parts = json.loads(body)
        assert [(x['name'], x['role']) for x in parts] == [('Hội trường', 'site')], parts
        st, _, body = http('DELETE', '%s/api/v1/rooms/hall/participants/%s'
                           % (srv.http_url, parts[0]['id']), None, auth)
        assert st == 204, body
        deadline = time.monotonic() + 10
        frag = {'Content-Type': FRAG, 'If-Match': hdrs['etag']}
        while (time.monotonic() < deadline and
               http('PATCH', res, 'a=end-of-candidates\r\n', frag)[0] != 404):
            time.sleep(0.1)
        assert http('PATCH', res, 'a=end-of-candidates\r\n', frag)[0] == 404
        assert http('DELETE', res)[0] == 404
        st, _, body = http('GET', srv.http_url + '/api/v1/rooms/hall/participants', None, auth)
        assert st == 200 and json.loads(body) == [], body
        srv.assert_healthy()
    finally:
        problems = srv.stop()
    assert not problems, problems


def test_whip_h264_encoder_is_decoded(start_server, clients, tmp_path):
    """The same with H.264 (constrained baseline), as most hardware encoders send."""
    server = start_server(CONFIG)
    viewer = clients(server, 'Viewer', 'hall', 14, '--no-publish')
    viewer.wait_joined()
    enc = WhipEncoder(server, tmp_path, 'hall', token('hall', name='Bộ mã hoá'), 9,
                      '--video-codec', 'h264')
    try:
        final = enc.wait()
    finally:
        enc.kill()
    assert final['status'] == 201 and final['delete_status'] == 200, final
    vr = viewer.wait()
    assert vr['rc'] == 0, (vr.get('errors'), viewer.describe())
    sites = [e['participant'] for e in events_of(vr, 'participant-joined')
             if e['participant'].get('role') == 'site']
    assert [p['name'] for p in sites] == ['Bộ mã hoá'], sites
    pid = sites[0]['id']
    video, audio = counts_from(vr, pid)
    assert video > 100 and audio > 150, (video, audio, vr.get('received'))
    assert set(vr['received'][pid]['encodings']) == {'H264', 'OPUS'}, vr['received'][pid]
    server.assert_healthy()
