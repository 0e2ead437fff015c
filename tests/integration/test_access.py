"""Who may join: HS256 join tokens, room PINs, the per-address lockout and the WebSocket Origin,
against the real server. Every refusal comes with its documented code before any room or
transport exists; the audit log (read with sqlite3) holds every decision; the server log never
holds a PIN or the secret."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import time
import urllib.request

import jwt
import pytest
import websockets

from harness import expect_error, recv_json, ws_connect

SECRET = 'integration-secret-0f9e8d7c6b5a4'
PIN = '482913'
CONFIG = """
[auth]
jwt_secret = %s
lockout_failures = LOCKOUT
lockout_seconds = 3

[room:hoi-dong]
title = Hội đồng

[room:giao-ban]
pin = %s
access = pin

[room:mo]
access = open
""" % (SECRET, PIN)
MANY = CONFIG.replace('LOCKOUT', '100')  # tests of every refusal reason: no lockout
CONFIG = CONFIG.replace('LOCKOUT', '5')


def token(room='hoi-dong', name='Chủ tịch tỉnh', role='chair', exp=3600, nbf=None, key=SECRET,
          **extra):
    now = int(time.time())
    claims = dict({'room': room, 'name': name, 'role': role, 'exp': now + exp}, **extra)
    if nbf is not None:
        claims['nbf'] = now + nbf
    return jwt.encode(claims, key, algorithm='HS256')


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def forged(header, claims, key=SECRET, sign=True):
    h = b64url(json.dumps(header).encode())
    p = b64url(json.dumps(claims).encode())
    sig = b64url(hmac.new(key.encode(), ('%s.%s' % (h, p)).encode(), hashlib.sha256).digest())
    return '%s.%s.%s' % (h, p, sig if sign else '')


def metric(server, name):
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
    raise AssertionError('%s not in /metrics' % name)


def healthz(server):
    with urllib.request.urlopen(server.http_url + '/healthz', timeout=5) as r:
        return json.loads(r.read())


async def try_join(server, room, name='Đại biểu', **fields):
    ws = await ws_connect(server)
    await ws.send(json.dumps(dict({'type': 'join', 'room': room, 'name': name}, **fields)))
    msg = await recv_json(ws)
    return ws, msg


async def refused(server, room, code, **fields):
    ws, msg = await try_join(server, room, **fields)
    assert msg['type'] == 'error' and msg.get('code') == code, \
        'expected %s, got %r' % (code, msg)
    assert msg.get('ref') == 'join', msg
    await ws.close()
    return msg


def audit_rows(server, timeout=5):
    """(actor, action, room, detail) rows, once the store thread wrote them."""
    path = os.path.join(server.data_dir, 'hoinghi.db')
    db = sqlite3.connect(path)
    try:
        return db.execute('SELECT actor, action, room, detail FROM audit ORDER BY id').fetchall()
    finally:
        db.close()


def wait_rows(server, pred, timeout=5):
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = audit_rows(server)
        if pred(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError('audit rows never matched:\n%s' % '\n'.join(map(str, rows)))


def test_token_each_reason(start_server):
    server = start_server(MANY)

    async def body():
        await refused(server, 'hoi-dong', 'auth-required')
        await refused(server, 'hoi-dong', 'token-expired', token=token(exp=-3600))
        await refused(server, 'hoi-dong', 'bad-token', token=token(nbf=3600))
        await refused(server, 'hoi-dong', 'wrong-room', token=token(room='khac'))
        await refused(server, 'hoi-dong', 'bad-token', token=token(key='another-secret-abcdef'))
        good = token()
        h, p, s = good.split('.')
        claims = json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
        claims['role'] = 'chair'
        claims['room'] = '*'
        await refused(server, 'hoi-dong', 'bad-token',
                      token='%s.%s.%s' % (h, b64url(json.dumps(claims).encode()), s))
        await refused(server, 'hoi-dong', 'bad-token',
                      token=forged({'alg': 'none', 'typ': 'JWT'}, claims, sign=False))
        await refused(server, 'hoi-dong', 'bad-token',
                      token=forged({'alg': 'RS256', 'typ': 'JWT'}, claims))
        await refused(server, 'hoi-dong', 'bad-token', token=token(role='king'))
        # nothing was opened for a refused join: no room, no participant, no transport
        hz = healthz(server)
        assert hz['rooms'] == 0 and hz['participants'] == 0, hz

        # a valid token: admitted with the role and the name it carries, not the client's
        ws, msg = await try_join(server, 'hoi-dong', name='Tự xưng', token=good)
        assert msg['type'] == 'joined', msg
        assert msg['role'] == 'chair', msg
        ws2, msg2 = await try_join(server, 'hoi-dong',
                                   token=token(name='Thư ký', role='secretary'))
        assert msg2['type'] == 'joined' and msg2['role'] == 'secretary', msg2
        names = {p['name']: p.get('role') for p in msg2['participants']}
        assert names == {'Chủ tịch tỉnh': 'chair'}, msg2
        ws3, msg3 = await try_join(server, 'hoi-dong',
                                   token=token(room='*', name='Quan sát', role='observer'))
        assert msg3['type'] == 'joined' and msg3['role'] == 'observer', msg3
        for w in (ws, ws2, ws3):
            await w.close()

    asyncio.run(body())
    rows = wait_rows(server, lambda r: sum(1 for x in r if x[1] == 'join') == 3)
    refusals = [r[3] for r in rows if r[1] == 'join-refused']
    for code in ('auth-required', 'token-expired', 'wrong-room', 'bad-token'):
        assert any('code=%s' % code in d for d in refusals), (code, refusals)
    joins = [r for r in rows if r[1] == 'join']
    assert joins[0][0] == 'Chủ tịch tỉnh' and 'role=chair' in joins[0][3], joins
    assert SECRET not in server.log()
    assert all(SECRET not in str(r) for r in rows)


def test_open_room_role_never_from_the_client(start_server):
    server = start_server(MANY)

    async def body():
        # a client cannot ask for a role: unknown fields are ignored, the room is open (with
        # [auth] tokens declare the chairs: the first to come is not made one)
        ws, msg = await try_join(server, 'mo', role='chair')
        assert msg['type'] == 'joined' and msg['role'] == 'member', msg
        await ws.close()
        # a token still gives the chair in an open room
        ws, msg = await try_join(server, 'mo', token=token(room='mo'))
        assert msg['type'] == 'joined' and msg['role'] == 'chair', msg
        await ws.close()

    asyncio.run(body())


def test_default_server_stays_open(server):
    async def body():
        ws, msg = await try_join(server, 'bat-ky')
        assert msg['type'] == 'joined' and msg['role'] == 'chair', msg  # the first chairs it
        ws2, msg2 = await try_join(server, 'bat-ky', pin='1234')
        assert msg2['type'] == 'joined', msg2
        await ws.close()
        await ws2.close()
        # no secret configured: a token is refused, not silently trusted
        await refused(server, 'bat-ky', 'bad-token', token=token(room='bat-ky'))

    asyncio.run(body())


def test_pin(start_server):
    server = start_server(MANY)

    async def body():
        await refused(server, 'giao-ban', 'auth-required')
        await refused(server, 'giao-ban', 'bad-pin', pin='000000')
        # a token does not open a PIN-only room
        await refused(server, 'giao-ban', 'auth-required', token=token(room='giao-ban'))
        ws, msg = await try_join(server, 'giao-ban', pin=PIN)
        assert msg['type'] == 'joined' and msg['role'] == 'member', msg
        await ws.close()

    asyncio.run(body())
    rows = wait_rows(server, lambda r: any(x[1] == 'join' for x in r))
    assert any(r[1] == 'join' and 'how=pin' in r[3] for r in rows), rows
    assert PIN not in server.log(), 'the PIN is in the server log'
    assert all(PIN not in str(r) and '000000' not in str(r) for r in rows)


def test_lockout_and_expiry(start_server):
    server = start_server(CONFIG)

    async def body():
        for i in range(5):
            await refused(server, 'giao-ban', 'bad-pin', pin='11111%d' % i)
        # the sixth attempt within a minute is refused even with the right PIN
        msg = await refused(server, 'giao-ban', 'locked', pin=PIN)
        assert 'wait' in msg['message'], msg
        # tokens from a locked address are refused too
        await refused(server, 'hoi-dong', 'locked', token=token())
        hz = healthz(server)
        assert hz['rooms'] == 0 and hz['participants'] == 0, hz
        await asyncio.sleep(3.5)  # lockout_seconds = 3
        ws, msg = await try_join(server, 'giao-ban', pin=PIN)
        assert msg['type'] == 'joined', msg
        await ws.close()

    asyncio.run(body())
    rows = wait_rows(server, lambda r: any(x[1] == 'address-locked' for x in r) and
                     any(x[1] == 'join' for x in r))
    assert any('code=locked' in r[3] for r in rows if r[1] == 'join-refused'), rows
    assert 'locked for 3 s' in server.log()
    assert PIN not in server.log()
    # 5 wrong PINs, the locked PIN and the locked token
    assert metric(server, 'hoinghi_joins_refused_total') == 7
    assert metric(server, 'hoinghi_joins_total') == 1
    assert metric(server, 'hoinghi_audit_rows_total') >= len(rows)


def handshake_status(server, origin):
    """The HTTP status line of a WebSocket handshake sent with this Origin."""
    import socket
    req = ('GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
           'Sec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n' % (server.port, origin))
    with socket.create_connection(('127.0.0.1', server.port), timeout=5) as s:
        s.sendall(req.encode())
        return s.recv(4096).decode(errors='replace').split('\r\n')[0]


REFUSED = (websockets.InvalidStatusCode, websockets.InvalidMessage)


def test_origin(start_server):
    server = start_server()

    async def body():
        with pytest.raises(REFUSED):
            await ws_connect(server, origin='http://evil.example')
        assert ' 403' in handshake_status(server, 'http://evil.example')
        assert ' 101' in handshake_status(server, 'http://127.0.0.1:%d' % server.port)
        ws = await ws_connect(server, origin='http://127.0.0.1:%d' % server.port)
        await ws.close()
        ws = await ws_connect(server)  # no Origin: room systems, test peers
        await ws.close()

    asyncio.run(body())
    assert metric(server, 'hoinghi_ws_refused_origin_total') == 2
    other = start_server('[server]\nallowed_origins = https://meet.example.gov.vn\n')

    async def body2():
        ws = await ws_connect(other, origin='https://meet.example.gov.vn')
        await ws.close()
        with pytest.raises(REFUSED):
            await ws_connect(other, origin='http://127.0.0.1:%d' % other.port)

    asyncio.run(body2())
