"""The lobby ([room:NAME] lobby = true) against the real server over raw WebSockets: a newcomer
waits with nothing but `lobby` messages (no joined, no offer, no participant list, no transport)
until a chair admits it; chairs see the line; forged admits are refused; deny closes; chairs and
lobby_bypass tokens skip the line, and so does the rejoin of one admitted before; every knock, admission and denial is audited."""
import asyncio
import json
import time
import urllib.request

import jwt
from harness import expect_closed, expect_error, recv_json, recv_type, ws_connect
from test_access import healthz, metric, wait_rows

SECRET = 'lobby-integration-secret-7a6b5c4d'
CONFIG = """
[auth]
jwt_secret = %s

[rooms]
lobby_timeout = LOBBY_TIMEOUT

[room:sanh]
lobby = true
max_participants = 10
""" % SECRET


def total(server, name):
    """A per-room gauge summed over the open rooms (0 when none is open)."""
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=10) as r:
        return sum(float(line.split()[-1]) for line in r.read().decode().splitlines()
                   if line.startswith(name + '{') or line.startswith(name + ' '))


def token(name, role='participant', **extra):
    claims = dict({'room': 'sanh', 'name': name, 'role': role,
                   'exp': int(time.time()) + 3600}, **extra)
    return jwt.encode(claims, SECRET, algorithm='HS256')


async def join(server, name, role='participant', id_=None, **extra):
    ws = await ws_connect(server)
    msg = {'type': 'join', 'room': 'sanh', 'name': 'x', 'token': token(name, role, **extra)}
    if id_ is not None:
        msg['id'] = id_
    await ws.send(json.dumps(msg))
    return ws, await recv_json(ws)


async def quiet(ws, seconds):
    """Every message ws gets within seconds."""
    got = []
    try:
        while True:
            got.append(await recv_json(ws, seconds))
    except (AssertionError, asyncio.TimeoutError):
        return got


def test_lobby(start_server):
    server = start_server(CONFIG.replace('LOBBY_TIMEOUT', '1800'))

    async def body():
        a, msg = await join(server, 'Xã A', id_='j1', sub='xa-a')
        assert msg == {'type': 'lobby', 'room': 'sanh', 'position': 1,
                       'chair_present': False}, msg
        assert metric(server, 'hoinghi_lobby_waiting') == 1
        assert total(server, 'hoinghi_transports') == 0
        assert total(server, 'hoinghi_participants') == 0
        assert healthz(server)['participants'] == 0

        chair, msg = await join(server, 'Chủ tịch', role='chair')
        assert msg['type'] == 'joined' and msg['role'] == 'chair', msg
        assert msg['participants'] == [], msg           # the waiting one is not a member
        lst = await recv_type(chair, 'lobby-list')
        assert len(lst['waiting']) == 1, lst
        a_id = lst['waiting'][0]['id']
        assert lst['waiting'][0] == {'id': a_id, 'name': 'Xã A', 'role': 'member'}, lst
        msg = await recv_json(a)
        assert msg['type'] == 'lobby' and msg['chair_present'] is True, msg

        # a lobby_bypass token skips the line; its forged admit is refused
        b, msg = await join(server, 'Sở B', lobby_bypass=True)
        assert msg['type'] == 'joined' and msg['role'] == 'member', msg
        await b.send(json.dumps({'type': 'admit', 'participant': a_id, 'id': 5}))
        err = await expect_error(b, 'forbidden', 'admit')
        assert err['id'] == 5, err
        await b.send(json.dumps({'type': 'admit', 'all': True}))
        await expect_error(b, 'forbidden', 'admit')

        transports = total(server, 'hoinghi_transports')
        d, msg = await join(server, 'Xã D')
        assert msg['type'] == 'lobby' and msg['position'] == 2 and msg['chair_present'], msg
        lst = await recv_type(chair, 'lobby-list')
        assert [w['name'] for w in lst['waiting']] == ['Xã A', 'Xã D'], lst
        d_id = lst['waiting'][1]['id']

        # the newcomer got only lobby messages: no joined, offer or participant list
        assert all(m['type'] == 'lobby' for m in await quiet(a, 0.5))
        assert metric(server, 'hoinghi_lobby_waiting') == 2
        assert total(server, 'hoinghi_transports') == transports  # none for D
        assert total(server, 'hoinghi_participants') == 2   # the chair and B

        await chair.send(json.dumps({'type': 'admit', 'participant': 'p99999', 'id': 'x'}))
        err = await expect_error(chair, 'bad-field', 'admit')
        assert err['id'] == 'x', err

        await chair.send(json.dumps({'type': 'admit', 'participant': a_id, 'id': 'a1'}))
        ack = await recv_type(chair, 'ack')
        assert ack == {'type': 'ack', 'ref': 'admit', 'id': 'a1'}, ack
        msg = await recv_json(a)
        assert msg['type'] == 'joined' and msg['id'] == 'j1' and msg['self'] == a_id, msg
        assert sorted(p['name'] for p in msg['participants']) == ['Chủ tịch', 'Sở B'], msg
        msg = await recv_type(d, 'lobby')
        assert msg['position'] == 1, msg
        lst = await recv_type(chair, 'lobby-list')
        assert [w['name'] for w in lst['waiting']] == ['Xã D'], lst
        joined = await recv_type(chair, 'participant-joined')
        assert joined['participant']['name'] == 'Xã A', joined
        assert total(server, 'hoinghi_participants') == 3

        await chair.send(json.dumps({'type': 'deny', 'participant': d_id}))
        await expect_error(d, 'denied', 'join')
        await expect_closed(d)
        assert (await recv_type(chair, 'ack'))['ref'] == 'deny'
        assert (await recv_type(chair, 'lobby-list'))['waiting'] == []

        # one who gives up just leaves the line
        e, msg = await join(server, 'Xã E')
        assert msg['type'] == 'lobby', msg
        lst = await recv_type(chair, 'lobby-list')
        assert [w['name'] for w in lst['waiting']] == ['Xã E'], lst
        await e.send(json.dumps({'type': 'publish', 'sdp': 'v=0'}))
        await expect_error(e, 'not-joined', 'publish')
        await e.close()
        lst = await recv_type(chair, 'lobby-list')
        assert lst['waiting'] == [], lst

        # a chair who joins later sees the line at once, after its joined
        f, _ = await join(server, 'Xã F')
        chair2, msg = await join(server, 'Phó chủ tịch', role='chair')
        assert msg['type'] == 'joined', msg
        lst = await recv_type(chair2, 'lobby-list')
        assert [w['name'] for w in lst['waiting']] == ['Xã F'], lst
        await chair2.send(json.dumps({'type': 'admit', 'all': True, 'id': 9}))
        assert (await recv_type(chair2, 'ack'))['id'] == 9
        assert (await recv_type(f, 'joined'))['room'] == 'sanh'

        # admitted once (the token's sub): a rejoin after a lost connection does not wait again
        await a.close()
        a, msg = await join(server, 'Xã A', sub='xa-a')
        assert msg['type'] == 'joined', msg

        assert metric(server, 'hoinghi_lobby_knocks_total') == 4
        assert metric(server, 'hoinghi_lobby_admitted_total') == 2
        assert metric(server, 'hoinghi_lobby_denied_total') == 1
        assert metric(server, 'hoinghi_lobby_waiting') == 0
        for w in (a, b, chair, chair2, f):
            await w.close()

    asyncio.run(body())
    rows = wait_rows(server, lambda r: any(x[1] == 'lobby-deny' for x in r)
                     and any(x[1] == 'lobby-rejoin' for x in r)
                     and sum(1 for x in r if x[1] == 'lobby-admit') == 2)
    actions = [r[1] for r in rows]
    assert actions.count('lobby-knock') == 4, actions
    assert actions.count('lobby-leave') == 1, actions
    admit = [r for r in rows if r[1] == 'lobby-admit'][0]
    assert admit[0] == 'Chủ tịch' and 'name=Xã A' in admit[3], admit
    deny = [r for r in rows if r[1] == 'lobby-deny'][0]
    assert deny[0] == 'Chủ tịch' and 'name=Xã D' in deny[3], deny
    assert any(r[1] == 'forbidden' and r[0] == 'Sở B' for r in rows), rows
    assert any(r[1] == 'lobby-rejoin' and r[0] == 'Xã A' for r in rows), rows


def test_lobby_timeout(start_server):
    server = start_server(CONFIG.replace('LOBBY_TIMEOUT', '2'))

    async def body():
        a, msg = await join(server, 'Xã A', id_=3)
        assert msg['type'] == 'lobby', msg
        err = await expect_error(a, 'lobby-timeout', 'join', timeout=8)
        assert err['id'] == 3, err
        await expect_closed(a)
        assert metric(server, 'hoinghi_lobby_timeouts_total') == 1

    asyncio.run(body())
    wait_rows(server, lambda r: any(x[1] == 'lobby-timeout' for x in r))
