"""The admin REST API /api/v1 against the real server: every endpoint refuses requests without
credentials (401 with WWW-Authenticate) and non-admin sessions (403); bad bodies, unknown ids and
configured rooms get problem details (400, 404, 409); a room made through the API really has its
PIN checked at join and its participant limit; a meeting scheduled through the API is joinable
with a token the API mints, with the token's role; unknown keys lock the address; every write is
an audit row. One server for the file (one more for the lockout)."""
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from harness import HOINGHI_BIN, Server, expect_closed, recv_json, sanitizer_env, ws_connect

SECRET = 'api-v1-test-secret-0123456789'
CONFIG = """
[auth]
jwt_secret = %s
lockout_failures = LOCKOUT
lockout_seconds = 2

[rooms]
auto_create = false

[room:tu-tep]
title = Từ tệp
""" % SECRET

ENDPOINTS = [
    ('GET', '/api/v1/rooms'), ('POST', '/api/v1/rooms'), ('GET', '/api/v1/rooms/x'),
    ('PATCH', '/api/v1/rooms/x'), ('DELETE', '/api/v1/rooms/x'),
    ('POST', '/api/v1/rooms/x/tokens'), ('GET', '/api/v1/meetings'),
    ('POST', '/api/v1/meetings'), ('GET', '/api/v1/meetings/1'), ('PATCH', '/api/v1/meetings/1'),
    ('POST', '/api/v1/meetings/1/end'), ('POST', '/api/v1/meetings/1/tokens'),
    ('GET', '/api/v1/rooms/x/participants'), ('POST', '/api/v1/rooms/x/participants/p1/mute'),
    ('DELETE', '/api/v1/rooms/x/participants/p1'),
]


def cli(data_dir, *args, stdin=None):
    p = subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


class Api:
    def __init__(self, server, key):
        self.server = server
        self.key = key

    def call(self, method, path, body=None, auth='key', cookie=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        req = urllib.request.Request(self.server.http_url + path, method=method, data=data)
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        if auth == 'key':
            req.add_header('Authorization', 'Bearer ' + self.key)
        elif auth:
            req.add_header('Authorization', auth)
        if cookie:
            req.add_header('Cookie', cookie)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read()
                return r.status, dict(r.headers), json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, dict(e.headers), json.loads(text) if text else None

    def login(self, name, password):
        st, headers, body = self.call('POST', '/api/login', {'name': name, 'password': password},
                                      auth=None)
        assert st == 200, body
        return headers['set-cookie'].split(';')[0]


def problem(st, headers, body, status):
    assert st == status, (st, body)
    assert headers['content-type'] == 'application/problem+json', headers
    assert body['status'] == status and body['type'].startswith('urn:hoinghi:api:'), body
    assert body['title'] and body['detail'], body
    return body


@pytest.fixture(scope='module')
def api():
    work = tempfile.mkdtemp(prefix='hn-api-')
    data = os.path.join(work, 'data')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    cli(data, 'user', 'add', 'quan-tri', '--role', 'admin', stdin='mat-khau-quan-tri\n')
    cli(data, 'user', 'add', 'chu-tri', '--role', 'chair', stdin='mat-khau-chu-tri\n')
    srv = Server(work, CONFIG.replace('LOCKOUT', '100'))
    try:
        srv.start()
        yield Api(srv, key)
    finally:
        problems = srv.stop()
        shutil.rmtree(work, ignore_errors=True)
        assert not problems, problems


def audit(api):
    db = sqlite3.connect(os.path.join(api.server.data_dir, 'hoinghi.db'))
    try:
        return db.execute('SELECT actor, action, room, detail FROM audit ORDER BY id').fetchall()
    finally:
        db.close()


async def join(server, room, **fields):
    ws = await ws_connect(server)
    await ws.send(json.dumps(dict({'type': 'join', 'room': room, 'name': 'Đại biểu'}, **fields)))
    return ws, await recv_json(ws)


def test_auth_on_every_endpoint(api):
    member = api.login('chu-tri', 'mat-khau-chu-tri')
    admin = api.login('quan-tri', 'mat-khau-quan-tri')
    for method, path in ENDPOINTS:
        st, headers, body = api.call(method, path, {}, auth=None)
        problem(st, headers, body, 401)
        assert headers['www-authenticate'].startswith('Bearer'), headers
        problem(*api.call(method, path, {}, auth='Basic eHg6eXk='), 401)
        problem(*api.call(method, path, {}, auth=None, cookie=member), 403)
        problem(*api.call(method, path, {}, auth=None, cookie='hn_session=forged.jwt.x'), 401)
        st, _, body = api.call(method, path, {}, auth=None, cookie=admin)
        assert st not in (401, 403), (method, path, st, body)
        st, _, body = api.call(method, path, {})
        assert st not in (401, 403), (method, path, st, body)
    st, _, rooms = api.call('GET', '/api/v1/rooms', auth=None, cookie=admin)
    assert st == 200 and isinstance(rooms, list)
    problem(*api.call('GET', '/api/v1/nothing'), 404)
    problem(*api.call('PUT', '/api/v1/rooms'), 405)


def test_rooms(api):
    st, headers, room = api.call('POST', '/api/v1/rooms', {
        'name': 'so-noi-vu', 'title': 'Sở Nội vụ', 'access': 'token-or-pin', 'pin': '2468',
        'lobby': True, 'max_participants': 12, 'last_n': 4})
    assert st == 201, room
    assert headers['location'] == '/api/v1/rooms/so-noi-vu'
    assert room == {'name': 'so-noi-vu', 'title': 'Sở Nội vụ', 'access': 'token-or-pin',
                    'access_set': 'token-or-pin', 'has_pin': True, 'lobby': True,
                    'max_participants': 12, 'last_n': 4, 'source': 'api', 'participants': 0,
                    'retention_days': 0}
    assert '2468' not in json.dumps(room)
    st, _, rooms = api.call('GET', '/api/v1/rooms')
    by_name = {r['name']: r for r in rooms}
    assert by_name['tu-tep']['source'] == 'config' and by_name['tu-tep']['title'] == 'Từ tệp'
    assert by_name['so-noi-vu'] == room
    st, _, got = api.call('GET', '/api/v1/rooms/so-noi-vu')
    assert st == 200 and got == room
    st, _, got = api.call('PATCH', '/api/v1/rooms/so-noi-vu', {'lobby': False, 'title': None})
    assert st == 200 and got['lobby'] is False and got['title'] is None and got['last_n'] == 4
    for bad in [{'name': 'co dau cach'}, {'name': 'x', 'access': 'anyone'},
                {'name': 'x', 'pin': '12'}, {'name': 'x', 'access': 'pin'},
                {'name': 'x', 'max_participants': 0}, {'name': 'x', 'last_n': 101},
                {'name': 'x', 'lobby': 'yes'}, {'name': 'x', 'colour': 'blue'}, {'title': 'x'}]:
        problem(*api.call('POST', '/api/v1/rooms', bad), 400)
    problem(*api.call('POST', '/api/v1/rooms', raw=b'{"name": '), 400)
    problem(*api.call('POST', '/api/v1/rooms', raw=b'[1, 2]'), 400)
    problem(*api.call('PATCH', '/api/v1/rooms/so-noi-vu', {'name': 'khac'}), 400)
    problem(*api.call('PATCH', '/api/v1/rooms/so-noi-vu', {'access': 'pin', 'pin': None}), 400)
    problem(*api.call('POST', '/api/v1/rooms', {'name': 'so-noi-vu'}), 409)
    problem(*api.call('POST', '/api/v1/rooms', {'name': 'tu-tep'}), 409)
    problem(*api.call('PATCH', '/api/v1/rooms/tu-tep', {'lobby': True}), 409)
    problem(*api.call('DELETE', '/api/v1/rooms/tu-tep'), 409)
    problem(*api.call('GET', '/api/v1/rooms/khong-co'), 404)
    problem(*api.call('PATCH', '/api/v1/rooms/khong-co', {}), 404)
    problem(*api.call('DELETE', '/api/v1/rooms/khong-co'), 404)
    problem(*api.call('POST', '/api/v1/rooms/khong-co/tokens', {}), 404)
    # room names ignore case: kept in lower case, found in any case
    st, _, room = api.call('POST', '/api/v1/rooms', {'name': 'So-Tu-Phap'})
    assert st == 201 and room['name'] == 'so-tu-phap', room
    assert api.call('GET', '/api/v1/rooms/SO-TU-PHAP')[2]['name'] == 'so-tu-phap'
    problem(*api.call('POST', '/api/v1/rooms', {'name': 'so-tu-phap'}), 409)
    problem(*api.call('POST', '/api/v1/rooms', {'name': 'TU-TEP'}), 409)
    assert api.call('DELETE', '/api/v1/rooms/So-Tu-Phap')[0] == 204
    assert api.call('DELETE', '/api/v1/rooms/so-noi-vu')[0] == 204
    problem(*api.call('GET', '/api/v1/rooms/so-noi-vu'), 404)


def test_api_room_gate(api):
    """A PIN room made through the API refuses a wrong PIN and admits the right one; its
    max_participants applies; a room token minted by the API joins with its role."""
    st, _, _ = api.call('POST', '/api/v1/rooms', {'name': 'xa-pin', 'access': 'token-or-pin',
                                                  'pin': '918273', 'max_participants': 2})
    assert st == 201
    st, _, tok = api.call('POST', '/api/v1/rooms/xa-pin/tokens',
                          {'name': 'Thư ký Lan', 'role': 'secretary', 'ttl': 600})
    assert st == 201 and tok['url'] == '/?room=xa-pin&token=' + tok['token'], tok
    for bad in [{'role': 'king'}, {'ttl': 5}, {'name': ''}, {'sub': 7}, {'extra': 1}]:
        problem(*api.call('POST', '/api/v1/rooms/xa-pin/tokens', bad), 400)

    async def body():
        ws, msg = await join(api.server, 'xa-pin')
        assert msg['type'] == 'error' and msg['code'] == 'auth-required', msg
        await ws.close()
        ws, msg = await join(api.server, 'xa-pin', pin='000000')
        assert msg['type'] == 'error' and msg['code'] == 'bad-pin', msg
        await ws.close()
        a, msg = await join(api.server, 'xa-pin', pin='918273')
        assert msg['type'] == 'joined', msg
        b, msg = await join(api.server, 'xa-pin', token=tok['token'])
        assert msg['type'] == 'joined' and msg['role'] == 'secretary', msg
        c, msg = await join(api.server, 'xa-pin', pin='918273')
        assert msg['type'] == 'error' and msg['code'] == 'room-full', msg
        st, _, room = api.call('GET', '/api/v1/rooms/xa-pin')
        assert room['participants'] == 2, room
        # an API room with lobby = true holds a newcomer in the lobby; false lets one in
        assert api.call('POST', '/api/v1/rooms', {'name': 'sanh-api', 'access': 'pin',
                                                  'pin': '4321', 'lobby': True})[0] == 201
        d, msg = await join(api.server, 'sanh-api', pin='4321')
        assert msg['type'] == 'lobby' and msg['room'] == 'sanh-api', msg
        assert api.call('PATCH', '/api/v1/rooms/sanh-api', {'lobby': False})[0] == 200
        e, msg = await join(api.server, 'sanh-api', pin='4321')
        assert msg['type'] == 'joined', msg
        for ws in (a, b, c, d, e):
            await ws.close()

    asyncio.run(body())


def test_meeting_flow(api):
    """The issue's flow: schedule a meeting, mint its chair's token, join with it."""
    start = int(time.time()) + 600
    st, headers, m = api.call('POST', '/api/v1/meetings', {
        'title': 'Giao ban tháng 12', 'room': 'tu-tep',
        'starts': time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(start)),
        'ends': start + 7200, 'chair': 'Chủ tịch tỉnh', 'secretary': 'Thư ký Lan',
        'sites': ['Huyện Mường Tè', 'Huyện Sìn Hồ']})
    assert st == 201, m
    mid = m['id']
    assert headers['location'] == '/api/v1/meetings/%d' % mid
    assert m['state'] == 'scheduled' and m['sites'] == ['Huyện Mường Tè', 'Huyện Sìn Hồ']
    assert m['starts'] == time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(start)), m
    st, _, got = api.call('GET', '/api/v1/meetings/%d' % mid)
    assert st == 200 and got == m
    st, _, listed = api.call('GET', '/api/v1/meetings?room=tu-tep')
    assert st == 200 and [x['id'] for x in listed] == [mid]
    st, _, got = api.call('PATCH', '/api/v1/meetings/%d' % mid, {'sites': ['Huyện Tam Đường']})
    assert st == 200 and got['sites'] == ['Huyện Tam Đường'] and got['title'] == m['title']
    st, _, tok = api.call('POST', '/api/v1/meetings/%d/tokens' % mid,
                          {'name': 'Chủ tịch tỉnh', 'role': 'chair', 'sub': 'ct-01'})
    assert st == 201 and tok['room'] == 'tu-tep', tok
    assert tok['expires'] >= start + 7200, tok  # lasts past the meeting's end
    for bad in [{}, {'title': 'x', 'room': 'tu-tep'}, {'title': 'x', 'room': 'khong-co',
                                                       'starts': start},
                {'title': 'x', 'room': 'tu-tep', 'starts': 'tomorrow'},
                {'title': 'x', 'room': 'tu-tep', 'starts': '2026-12-05T10:00:00'},
                {'title': 'x', 'room': 'tu-tep', 'starts': start, 'ends': start - 1},
                {'title': 'x', 'room': 'tu-tep', 'starts': start, 'sites': 'all'},
                {'title': '', 'room': 'tu-tep', 'starts': start}]:
        problem(*api.call('POST', '/api/v1/meetings', bad), 400)
    problem(*api.call('PATCH', '/api/v1/meetings/%d' % mid, {'ends': start - 60}), 400)
    problem(*api.call('GET', '/api/v1/meetings?colour=blue'), 400)
    for path in ['/api/v1/meetings/9999', '/api/v1/meetings/abc']:
        problem(*api.call('GET', path), 404)
    problem(*api.call('POST', '/api/v1/meetings/9999/end'), 404)
    problem(*api.call('POST', '/api/v1/meetings/9999/tokens', {}), 404)

    async def body():
        ws, msg = await join(api.server, 'tu-tep', name='Tự xưng', token=tok['token'])
        assert msg['type'] == 'joined' and msg['role'] == 'chair', msg
        await ws.close()

    asyncio.run(body())
    st, _, ended = api.call('POST', '/api/v1/meetings/%d/end' % mid)
    assert st == 200 and ended['state'] == 'ended' and ended['ended'], ended
    problem(*api.call('POST', '/api/v1/meetings/%d/end' % mid), 409)
    problem(*api.call('POST', '/api/v1/meetings/%d/tokens' % mid, {}), 409)
    problem(*api.call('PATCH', '/api/v1/meetings/%d' % mid, {'title': 'y'}), 409)


def test_live_participants(api):
    """List, mute and remove the participants of a live room, and end a meeting for everyone,
    through the moderation capability."""

    async def body():
        a, ja = await join(api.server, 'tu-tep', name='Đại biểu A',
                           token=api.call('POST', '/api/v1/rooms/tu-tep/tokens',
                                          {'name': 'Đại biểu A'})[2]['token'])
        b, jb = await join(api.server, 'tu-tep', name='Đại biểu B',
                           token=api.call('POST', '/api/v1/rooms/tu-tep/tokens',
                                          {'name': 'Đại biểu B'})[2]['token'])
        assert ja['type'] == 'joined' and jb['type'] == 'joined', (ja, jb)
        st, _, people = api.call('GET', '/api/v1/rooms/TU-TEP/participants')
        assert st == 200 and len(people) == 2, people
        assert 'Đại biểu A' in json.dumps(people, ensure_ascii=False), people
        pa, pb = ja['self'], jb['self']
        assert api.call('POST', '/api/v1/rooms/tu-tep/participants/%s/mute' % pa,
                        {'kind': 'audio'})[0] == 204
        problem(*api.call('POST', '/api/v1/rooms/tu-tep/participants/%s/mute' % pa,
                          {'kind': 'smell'}), 400)
        problem(*api.call('POST', '/api/v1/rooms/tu-tep/participants/p999999/mute',
                          {'kind': 'audio'}), 404)
        problem(*api.call('DELETE', '/api/v1/rooms/tu-tep/participants/p999999'), 404)
        assert api.call('DELETE', '/api/v1/rooms/tu-tep/participants/%s' % pb)[0] == 204
        await expect_closed(b)
        st, _, m = api.call('POST', '/api/v1/meetings', {'title': 'Họp ngắn', 'room': 'tu-tep',
                                                         'starts': int(time.time())})
        assert api.call('POST', '/api/v1/meetings/%d/end' % m['id'])[0] == 200
        await expect_closed(a)  # the meeting's end closes the live room for everyone

    asyncio.run(body())
    st, _, people = api.call('GET', '/api/v1/rooms/tu-tep/participants')
    assert st == 200 and people == [], people
    problem(*api.call('GET', '/api/v1/rooms/khong-co/participants'), 404)


def test_writes_are_audited(api):
    deadline = time.monotonic() + 5
    while True:
        rows = audit(api)
        actions = {(r[0], r[1]) for r in rows}
        want = {('apikey:cong-thong-tin', a) for a in (
            'api-room-create', 'api-room-update', 'api-room-delete', 'api-meeting-create',
            'api-meeting-update', 'api-meeting-end', 'token-minted')}
        if want <= actions or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert want <= actions, sorted(actions)
    assert api.key not in str(rows) and '918273' not in str(rows) and '2468' not in str(rows)
    assert api.key not in api.server.log()


def test_lockout_after_bad_keys(tmp_path):
    data = str(tmp_path / 'data')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    srv = Server(str(tmp_path), CONFIG.replace('LOCKOUT', '3'))
    try:
        srv.start()
        a = Api(srv, key)
        assert a.call('GET', '/api/v1/rooms')[0] == 200
        problem(*a.call('POST', '/api/rooms/*/tokens', {'sub': 'quan-tri'}), 400)
        assert a.call('POST', '/api/rooms/*/tokens', {'name': 'Khách'})[0] == 201
        for _ in range(3):
            problem(*a.call('GET', '/api/v1/rooms', auth='Bearer hnk_guessed'), 401)
        st, headers, body = a.call('GET', '/api/v1/rooms')  # the right key, refused
        problem(st, headers, body, 429)
        assert int(headers['retry-after']) >= 1
        # the old endpoint shares the limiter
        problem(*a.call('POST', '/api/rooms/tu-tep/tokens', {}), 429)
        deadline = time.monotonic() + 10
        while a.call('GET', '/api/v1/rooms')[0] == 429 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert a.call('GET', '/api/v1/rooms')[0] == 200  # the lock expired
    finally:
        problems = srv.stop()
        assert not problems, problems


def test_api_rooms_survive_restart(tmp_path):
    """API rooms are in the store and loaded at start: after a restart the room is listed and
    its PIN still guards it."""
    data = str(tmp_path / 'data')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    conf = CONFIG.replace('LOCKOUT', '100')
    first = Server(str(tmp_path), conf)
    try:
        first.start()
        st, _, _ = Api(first, key).call('POST', '/api/v1/rooms', {
            'name': 'ben-vung', 'access': 'pin', 'pin': '55667788'})
        assert st == 201
    finally:
        assert not first.stop()
    second = Server(str(tmp_path), conf)
    try:
        second.start()
        st, _, room = Api(second, key).call('GET', '/api/v1/rooms/ben-vung')
        assert st == 200 and room['access'] == 'pin' and room['source'] == 'api', room

        async def body():
            ws, msg = await join(second, 'ben-vung', pin='11111111')
            assert msg['type'] == 'error' and msg['code'] == 'bad-pin', msg
            await ws.close()
            ws, msg = await join(second, 'ben-vung', pin='55667788')
            assert msg['type'] == 'joined', msg
            await ws.close()

        asyncio.run(body())
    finally:
        assert not second.stop()
