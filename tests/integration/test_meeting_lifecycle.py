"""A room's meeting as it happens: the first join starts it (a scheduled meeting becomes live,
else an ad hoc one is made), joins and leaves are events in order, the room empty for
`end_grace` seconds ends it (a rejoin within the grace continues it), the chair's `end` ends it
once everyone is out, and a meeting left live by a `kill -9` continues when someone rejoins after
the restart, or ends `interrupted` when nobody does. One server for most of the file."""
import asyncio
import json
import os
import signal
import sqlite3
import time

from harness import Server, recv_json, ws_connect

CONFIG = """
[rooms]
end_grace = 2

[room:giao-ban]
title = Giao ban sáng thứ Hai
"""


def rows(server, sql, *args):
    db = sqlite3.connect(os.path.join(server.data_dir, 'hoinghi.db'))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def wait_rows(server, sql, pred, timeout=8, *args):
    deadline = time.monotonic() + timeout
    while True:
        got = rows(server, sql, *args)
        if pred(got):
            return got
        assert time.monotonic() < deadline, 'not within %ss: %r' % (timeout, got)
        time.sleep(0.1)


def meetings(server, room):
    return rows(server, 'SELECT id, title, state, end_reason, started, ended FROM meetings'
                ' WHERE room = ? ORDER BY id', room)


def events(server, meeting):
    return [(t, p, json.loads(d)) for t, p, d in rows(
        server, 'SELECT type, participant, data FROM events WHERE meeting = ? ORDER BY id',
        meeting)]


async def join(server, room, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    return ws, msg['id']


def test_meeting_starts_continues_and_ends(start_server):
    server = start_server(CONFIG)

    async def run():
        # two join, one leaves and comes back: one meeting, titled after the room's config
        a, pa = await join(server, 'giao-ban', 'Chủ tọa An')
        b, pb = await join(server, 'giao-ban', 'Bình')
        await b.close()
        b, pb2 = await join(server, 'giao-ban', 'Bình')
        wait_rows(server, "SELECT count(*) FROM events WHERE type = 'participant.joined'",
                        lambda r: r[0][0] == 3)
        [(mid, title, state, _, started, ended)] = meetings(server, 'giao-ban')
        assert (title, state, ended) == ('Giao ban sáng thứ Hai', 'live', None)
        assert abs(started - time.time()) < 30
        # everyone out, back within the grace: still the same meeting
        await a.close()
        await b.close()
        await asyncio.sleep(0.8)
        a, pa2 = await join(server, 'giao-ban', 'Chủ tọa An')
        await asyncio.sleep(2.5)
        assert [m[2] for m in meetings(server, 'giao-ban')] == ['live']
        await a.close()
        # now the room stays empty longer than end_grace: the meeting ends "empty"
        wait_rows(server, "SELECT state, end_reason FROM meetings WHERE id = ?",
                  lambda r: r == [('ended', 'empty')], 8, mid)
        ev = events(server, mid)
        types = [t for t, _, _ in ev]
        assert types[0] == 'meeting.started' and types[-1] == 'meeting.ended', types
        assert ev[0][2]['title'] == 'Giao ban sáng thứ Hai' and ev[0][2]['scheduled'] is False
        assert ev[-1][2]['reason'] == 'empty'
        joined = [(p, d['name'], d['client']) for t, p, d in ev if t == 'participant.joined']
        assert joined == [(pa, 'Chủ tọa An', 'browser'), (pb, 'Bình', 'browser'),
                          (pb2, 'Bình', 'browser'), (pa2, 'Chủ tọa An', 'browser')]
        left = [p for t, p, _ in ev if t == 'participant.left']
        assert left == [pb, pa, pb2, pa2], left
        # the next join makes a new meeting
        c, _ = await join(server, 'giao-ban', 'Cường')
        wait_rows(server, "SELECT count(*) FROM meetings WHERE room = 'giao-ban'",
                  lambda r: r[0][0] == 2)
        await c.close()

    asyncio.run(run())
    server.assert_healthy()


def test_chair_end_and_restart(tmp_path):
    server = Server(str(tmp_path), CONFIG).start()
    again = None

    async def run():
        nonlocal again
        # an open room's first joiner chairs it (no [auth]); its `end` closes everyone with
        # 4002, and the meeting ends "chair" right after the last socket is gone
        a, _ = await join(server, 'hop-nhanh', 'An')
        b, _ = await join(server, 'hop-nhanh', 'Bình')
        await a.send(json.dumps({'type': 'moderate', 'action': 'end', 'id': 1}))
        for ws in (a, b):
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            except Exception:
                pass
        [(mid, *_)] = wait_rows(server, "SELECT id, state, end_reason FROM meetings"
                                " WHERE room = 'hop-nhanh'",
                                lambda r: len(r) == 1 and r[0][1:] == ('ended', 'chair'))
        types = [t for t, _, _ in events(server, mid)]
        assert types[-1] == 'meeting.ended' and 'meeting.ending' in types, types
        assert types.count('participant.left') == 2

        # kill -9 during two live meetings: after the restart, one is rejoined and continues,
        # the other nobody rejoins: it ends "interrupted" after end_grace
        x, _ = await join(server, 'phong-x', 'Xuân')
        y, _ = await join(server, 'phong-y', 'Yến')
        wait_rows(server, "SELECT count(*) FROM meetings WHERE state = 'live'",
                  lambda r: r[0][0] == 2)
        server.proc.send_signal(signal.SIGKILL)  # no shutdown: both stay live in the store
        server.proc.wait()
        again = Server(str(tmp_path), CONFIG).start()  # the same data directory
        x, _ = await join(again, 'phong-x', 'Xuân')
        [(xid, *_)] = meetings(again, 'phong-x')
        wait_rows(again, "SELECT state, end_reason FROM meetings WHERE room = 'phong-y'",
                  lambda r: r == [('ended', 'interrupted')], 8)
        assert meetings(again, 'phong-x')[0][2] == 'live'
        wait_rows(again, "SELECT count(*) FROM events WHERE meeting = ? AND"
                  " type = 'meeting.resumed'", lambda r: r[0][0] == 1, 5, xid)
        await x.close()
        wait_rows(again, "SELECT state FROM meetings WHERE room = 'phong-x'",
                  lambda r: r == [('ended',)], 8)
        again.assert_healthy()

    try:
        asyncio.run(run())
    finally:
        server.stop()
        if again:
            assert again.stop() == []
