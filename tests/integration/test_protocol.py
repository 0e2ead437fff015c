"""The signalling protocol of docs/signaling.md on raw WebSockets (no media)."""
import asyncio
import json
import time

import websockets

from harness import expect_closed, expect_error, recv_json, recv_type, valid_room, ws_connect


async def join(server, room, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    assert isinstance(msg['id'], str) and msg['id'], msg
    assert msg['room'] == room, msg
    return ws, msg


async def next_of(ws, kind, timeout=5):
    """The next message of type `kind`, skipping sub offers and candidates on the way."""
    return await recv_type(ws, kind, timeout,
                           ('offer', 'candidate', 'participant-joined', 'participant-left'))


async def keepalive(ws):
    while True:
        await asyncio.sleep(2)
        await ws.send(json.dumps({'type': 'ping'}))


def base(p):
    return {k: p[k] for k in ('id', 'name', 'role')}


def test_join_presence_and_leave(server):
    async def body():
        room = valid_room('presence')
        ws1, j1 = await join(server, room, 'Trần Thị Bình')
        assert j1['participants'] == [], j1
        ws2, j2 = await join(server, room, 'Nguyễn Văn An')
        assert j2['id'] != j1['id']
        # the first to join an open room chairs it; each entry carries the moderation state too
        assert [base(p) for p in j2['participants']] == [
            {'id': j1['id'], 'name': 'Trần Thị Bình', 'role': 'chair'}], j2
        pj = await next_of(ws1, 'participant-joined')
        assert base(pj['participant']) == {'id': j2['id'], 'name': 'Nguyễn Văn An',
                                           'role': 'member'}, pj
        await ws2.send(json.dumps({'type': 'leave'}))
        await expect_closed(ws2)
        pl = await next_of(ws1, 'participant-left')
        assert pl['id'] == j2['id'] and pl['reason'] == 'left', pl
        ws3, j3 = await join(server, room, 'Lê Văn Cường')
        assert [base(p) for p in j3['participants']] == [
            {'id': j1['id'], 'name': 'Trần Thị Bình', 'role': 'chair'}], j3
        assert j3['id'] not in (j1['id'], j2['id'])
        ws3.transport.abort()   # vanishes without leave
        pl = await next_of(ws1, 'participant-left', timeout=12)
        assert pl['id'] == j3['id'] and pl['reason'] in ('disconnected', 'left'), pl
        await ws1.close()
    asyncio.run(body())


def test_rooms_are_separate(server):
    async def body():
        ws1, _ = await join(server, valid_room('sep1'), 'A')
        ws2, j2 = await join(server, valid_room('sep2'), 'B')
        assert j2['participants'] == []
        try:
            msg = await recv_json(ws1, timeout=1)
            raise AssertionError('unexpected message in another room: %r' % msg)
        except asyncio.TimeoutError:
            pass
        await ws1.close()
        await ws2.close()
    asyncio.run(body())


def test_name_and_room_limits(server):
    async def body():
        name64 = 'Ễ' * 64   # 64 characters, 192 bytes: the limit counts characters
        ws, j = await join(server, 'r' * 64, name64)
        await ws.close()
        for fields in ({'room': 'ok', 'name': 'Ễ' * 65}, {'room': 'ok'}, {'name': 'x'},
                       {'room': 'ok', 'name': 7}, {'room': '', 'name': 'x'},
                       {'room': 'ü', 'name': 'x'}):
            ws = await ws_connect(server)
            await ws.send(json.dumps(dict(fields, type='join')))
            await expect_error(ws, 'bad-field', ref='join')
            await ws.send(json.dumps({'type': 'ping'}))   # the session goes on
            assert (await recv_json(ws, skip=()))['type'] == 'pong'
            await ws.close()
    asyncio.run(body())


def test_ping_pong_before_and_after_join(server):
    async def body():
        ws = await ws_connect(server)
        await ws.send(json.dumps({'type': 'ping'}))
        assert (await recv_json(ws, skip=()))['type'] == 'pong'
        await ws.send(json.dumps({'type': 'join', 'room': valid_room('ping'), 'name': 'P'}))
        assert (await recv_json(ws))['type'] == 'joined'
        await ws.send(json.dumps({'type': 'ping'}))
        assert (await recv_json(ws, skip=('candidate',)))['type'] == 'pong'
        await ws.close()
    asyncio.run(body())


def test_silent_socket_times_out(server):
    """A participant that sends nothing for 7 s is closed (checked every second) and leaves
    with reason `timeout`; one that pings every 2 s stays."""
    async def body():
        room = valid_room('idle')
        ws1, j1 = await join(server, room, 'Pinger')
        pinger = asyncio.create_task(keepalive(ws1))
        ws2, j2 = await join(server, room, 'Silent')
        t0 = time.monotonic()
        code = await expect_closed(ws2, timeout=16)
        waited = time.monotonic() - t0
        assert 6.5 <= waited <= 10, 'closed after %.1f s (documented: 7 s)' % waited
        pl = await next_of(ws1, 'participant-left', timeout=5)
        assert pl['id'] == j2['id'] and pl['reason'] == 'timeout', pl
        assert ws1.open, 'the pinging participant was closed too'
        pinger.cancel()
        await ws1.close()
        return code
    asyncio.run(body())


def test_unknown_ws_path_and_healthz(server):
    assert server.healthz() == 200

    async def body():
        try:
            ws = await websockets.connect('ws://127.0.0.1:%d/nope' % server.port, open_timeout=5)
        except (websockets.InvalidStatusCode, websockets.InvalidHandshake, OSError):
            return
        await ws.close()
        raise AssertionError('a WebSocket on /nope was accepted')
    asyncio.run(body())


def test_declared_rooms_only_and_room_full(start_server):
    srv = start_server('[rooms]\nauto_create = false\n\n[room:tinh-uy]\ntitle = Weekly\n'
                       'max_participants = 2\n')

    async def body():
        ws = await ws_connect(srv)
        await ws.send(json.dumps({'type': 'join', 'room': 'undeclared', 'name': 'X'}))
        await expect_error(ws, 'room-not-found', ref='join')
        ws1, _ = await join(srv, 'tinh-uy', 'One')
        ws2, _ = await join(srv, 'tinh-uy', 'Two')
        ws3 = await ws_connect(srv)
        await ws3.send(json.dumps({'type': 'join', 'room': 'tinh-uy', 'name': 'Three'}))
        await expect_error(ws3, 'room-full', ref='join')
        await ws2.send(json.dumps({'type': 'leave'}))
        await expect_closed(ws2)
        await ws3.send(json.dumps({'type': 'join', 'room': 'tinh-uy', 'name': 'Three'}))
        joined = await recv_json(ws3)
        assert joined['type'] == 'joined' and len(joined['participants']) == 1, joined
        for w in (ws, ws1, ws3):
            await w.close()
    asyncio.run(body())


def test_room_names_ignore_case(server):
    """"HOP-NHO" and "hop-nho" are one room; `joined` names it in lower case."""
    async def body():
        room = valid_room('hop-nho').upper()
        ws1 = await ws_connect(server)
        await ws1.send(json.dumps({'type': 'join', 'room': room, 'name': 'An'}))
        j1 = await recv_json(ws1)
        assert j1['type'] == 'joined' and j1['room'] == room.lower(), j1
        ws2, j2 = await join(server, room.lower(), 'Bình')
        assert [p['id'] for p in j2['participants']] == [j1['id']], j2
        await ws1.close()
        await ws2.close()
    asyncio.run(body())


def test_joined_carries_the_room_title(start_server):
    """A room's configured title reaches the client in `joined` (top bar, page title)."""
    server = start_server('[room:giao-ban]\ntitle = Giao ban tuần Sở Y tế\n')

    async def body():
        ws = await ws_connect(server)
        await ws.send(json.dumps({'type': 'join', 'room': 'GIAO-BAN', 'name': 'An'}))
        j = await recv_json(ws)
        assert j['type'] == 'joined' and j['title'] == 'Giao ban tuần Sở Y tế', j
        await ws.close()
    asyncio.run(body())
