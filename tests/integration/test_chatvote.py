"""Chat and votes over the raw WebSocket against the real server: forged vote-open and
vote-close from a participant are refused, a second ballot is refused, an observer cannot vote,
a newcomer gets the chat history it may read, and a busy meeting killed with SIGKILL keeps every
acked chat line and ballot (the tally equals the ballots, the database is intact, the server
starts on it again)."""
import asyncio
import json
import time
import urllib.request

import jwt

from harness import Server, db_query, log_note, recv_json, ws_connect

SECRET = 'chatvote-secret-0123456789abcdef'
CONFIG = """
[auth]
jwt_secret = %s

[room:hop]
access = open
""" % SECRET
ROOM = 'hop'
SOCKETS, LINES = 10, 18  # under the chat flood limit (HN_CHAT_BURST)
KILL_AT = 30  # acked lines


def token(name, role, sub=None):
    claims = {'room': ROOM, 'name': name, 'role': role, 'exp': int(time.time()) + 3600}
    if sub:
        claims['sub'] = sub
    return jwt.encode(claims, SECRET, algorithm='HS256')


async def join(server, name, role=None, sub=None):
    """A joined socket; role None: no token (a participant)."""
    ws = await ws_connect(server)
    msg = {'type': 'join', 'room': ROOM, 'name': name}
    if role:
        msg['token'] = token(name, role, sub)
    await ws.send(json.dumps(msg))
    joined = await recv_json(ws)
    assert joined['type'] == 'joined', joined
    return ws


async def expect(ws, mtype, timeout=5, **fields):
    """The next message of type mtype whose fields match (other types are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv_json(ws, max(0.1, deadline - time.monotonic()))
        if msg['type'] == mtype and all(msg.get(k) == v for k, v in fields.items()):
            return msg
        assert msg['type'] != 'error', msg


async def refused(ws, code, ref, timeout=5):
    """The next error (other messages skipped): its code and ref."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv_json(ws, max(0.1, deadline - time.monotonic()))
        if msg['type'] == 'error':
            assert msg['code'] == code and msg.get('ref') == ref, msg
            return msg
        assert msg['type'] != 'ack', msg


async def request(ws, msg, rid):
    await ws.send(json.dumps(dict(msg, id=rid)))


def settle(server):
    """Waits until everyone has left and the workers had a moment to tell the others, so the
    server is stopped idle (see the report: hub.c frees the hub while a worker may still post a
    participant-left of a socket closed just before SIGTERM)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with urllib.request.urlopen(server.http_url + '/healthz', timeout=5) as r:
            if json.loads(r.read())['participants'] == 0:
                break
        time.sleep(0.05)
    time.sleep(0.3)


query = db_query


def test_vote_rights_and_tally(start_server):
    srv = start_server(CONFIG)

    async def run():
        chair = await join(srv, 'Chủ trì', 'chair', 'u-chair')
        an = await join(srv, 'An')
        obs = await join(srv, 'Quan sát', 'observer', 'u-obs')
        # forged vote-open from a participant: forbidden, nothing opens
        await request(an, {'type': 'vote-open', 'question': 'Giả?'}, 'f1')
        err = await refused(an, 'forbidden', 'vote-open')
        assert err['id'] == 'f1'
        await request(chair, {'type': 'vote-open', 'question': 'Thông qua?'}, 'o1')
        assert (await expect(chair, 'ack', ref='vote-open'))['id'] == 'o1'
        vote = (await expect(an, 'vote'))['vote']
        assert vote['state'] == 'open' and vote['options'] == ['Đồng ý', 'Không đồng ý',
                                                                'Không ý kiến']
        assert 'tally' not in vote and vote['ballots'] == 0
        vid = vote['id']
        # a second vote while one is open: bad-state
        await request(chair, {'type': 'vote-open', 'question': 'Hai?'}, 'o2')
        await refused(chair, 'bad-state', 'vote-open')
        await request(an, {'type': 'vote-cast', 'vote': vid, 'option': 0}, 'c1')
        assert (await expect(an, 'ack', ref='vote-cast'))['id'] == 'c1'
        live = (await expect(chair, 'vote'))['vote']
        assert live['ballots'] == 1 and live['tally'] == [1, 0, 0]  # the chair sees it live
        await request(an, {'type': 'vote-cast', 'vote': vid, 'option': 1}, 'c2')
        await refused(an, 'bad-state', 'vote-cast')
        await request(obs, {'type': 'vote-cast', 'vote': vid, 'option': 1}, 'c3')
        await refused(obs, 'forbidden', 'vote-cast')
        await request(an, {'type': 'vote-cast', 'vote': vid, 'option': 12}, 'c4')
        await refused(an, 'bad-field', 'vote-cast')
        await request(an, {'type': 'vote-close', 'vote': vid}, 'x1')
        await refused(an, 'forbidden', 'vote-close')
        await request(chair, {'type': 'vote-cast', 'vote': vid, 'option': 2}, 'c5')
        await expect(chair, 'ack', ref='vote-cast')
        # a newcomer gets the open vote
        late = await join(srv, 'Muộn')
        assert (await expect(late, 'vote'))['vote']['id'] == vid
        await request(chair, {'type': 'vote-close', 'vote': vid}, 'x2')
        await expect(chair, 'ack', ref='vote-close')
        for ws in (an, obs, late):
            res = (await expect(ws, 'vote', **{}))['vote']
            while res['state'] != 'closed':
                res = (await expect(ws, 'vote'))['vote']
            assert res['tally'] == [1, 0, 1] and res['ballots'] == 2
            assert sorted((v['name'], v['option']) for v in res['voters']) == [('An', 0),
                                                                               ('Chủ trì', 2)]
        await request(an, {'type': 'vote-cast', 'vote': vid, 'option': 0}, 'c6')
        await refused(an, 'bad-state', 'vote-cast')
        for ws in (chair, an, obs, late):
            await ws.close()
        return vid

    vid = asyncio.run(run())
    settle(srv)
    rows = query(srv.data_dir, 'SELECT tally, closed IS NOT NULL FROM votes WHERE id = %d' % vid)
    assert rows == [('[1,0,1]', 1)], rows
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        acts = [r[0] for r in query(srv.data_dir, "SELECT action FROM audit WHERE action LIKE"
                                    " 'vote-%' ORDER BY id")]
        if acts == ['vote-open', 'vote-cast', 'vote-cast', 'vote-close']:
            break
        time.sleep(0.1)
    assert acts == ['vote-open', 'vote-cast', 'vote-cast', 'vote-close'], acts


def test_chat_private_and_history(start_server):
    srv = start_server(CONFIG)

    async def run():
        chair = await join(srv, 'Chủ trì', 'chair', 'u-chair')
        an = await join(srv, 'An', 'participant', 'u-an')
        binh = await join(srv, 'Bình')
        await request(an, {'type': 'chat', 'text': 'Chào mọi người\nxin phép'}, 1)
        line = await expect(binh, 'chat')
        assert line['text'] == 'Chào mọi người\nxin phép' and line['to'] is None
        assert line['from']['name'] == 'An' and isinstance(line['time'], int)
        await expect(an, 'ack', ref='chat', id=1)
        await request(an, {'type': 'chat', 'text': 'Riêng chủ trì', 'to': 'chair'}, 2)
        priv = await expect(chair, 'chat', text='Riêng chủ trì')
        assert priv['to'] == 'chair' and priv['seq'] > line['seq']
        await expect(an, 'chat', text='Riêng chủ trì')  # the sender sees its own line
        await expect(an, 'ack', ref='chat', id=2)
        await request(binh, {'type': 'chat', 'text': 'Bình nói'}, 3)
        # Bình never got the private line: the next chat it sees is its own
        assert (await expect(binh, 'chat'))['text'] == 'Bình nói'
        await expect(binh, 'ack', ref='chat', id=3)
        # malformed lines are refused at the edge
        await request(binh, {'type': 'chat', 'text': ''}, 4)
        await refused(binh, 'bad-field', 'chat')
        await request(binh, {'type': 'chat', 'text': 'x' * 2001}, 5)
        await refused(binh, 'bad-field', 'chat')
        await request(binh, {'type': 'chat', 'text': 'x', 'to': 'all'}, 6)
        await refused(binh, 'bad-field', 'chat')
        # history on join: public lines for a participant, every line for a chair
        late = await join(srv, 'Muộn')
        hist = await expect(late, 'chat-history')
        assert [l['text'] for l in hist['lines']] == ['Chào mọi người\nxin phép', 'Bình nói']
        chair2 = await join(srv, 'Phó chủ trì', 'chair', 'u-chair2')
        hist = await expect(chair2, 'chat-history')
        assert [l['text'] for l in hist['lines']] == ['Chào mọi người\nxin phép',
                                                      'Riêng chủ trì', 'Bình nói']
        # An again (same sub): its own private line comes back
        an2 = await join(srv, 'An', 'participant', 'u-an')
        hist = await expect(an2, 'chat-history')
        assert 'Riêng chủ trì' in [l['text'] for l in hist['lines']]
        for ws in (chair, an, binh, late, chair2, an2):
            await ws.close()

    asyncio.run(run())
    settle(srv)
    texts = [r[0] for r in query(srv.data_dir, 'SELECT text FROM chat ORDER BY id')]
    assert texts == ['Chào mọi người\nxin phép', 'Riêng chủ trì', 'Bình nói'], texts


def test_busy_meeting_survives_kill_9(tmp_path):
    """Several sockets write chat lines and ballots (an open and a secret vote in two rooms)
    while the server is killed with SIGKILL: every acked row is in the database."""
    first = Server(str(tmp_path / 'a'), CONFIG.replace('[room:hop]', '[room:kin]\naccess = open'
                                                       '\n\n[room:hop]'))
    second = None
    acked_lines, acked_ballots = set(), []
    try:
        first.start()

        async def joined(room, i):
            ws = await ws_connect(first, close_timeout=0.2)
            await ws.send(json.dumps({'type': 'join', 'room': room, 'name': 'Đại biểu %d' % i}))
            while (await recv_json(ws))['type'] != 'joined':
                pass
            return ws

        async def voter(ws, room, i, vid, out):
            acks = 0
            try:
                await request(ws, {'type': 'vote-cast', 'vote': vid, 'option': i % 3}, 'b')
                for k in range(LINES):
                    await request(ws, {'type': 'chat', 'text': '%s-%d-%d' % (room, i, k)}, k)
                while acks < LINES + 1:
                    msg = await recv_json(ws, 10, skip=('pong', 'candidate', 'chat', 'vote',
                                                        'participant-joined', 'chat-history'))
                    if msg['type'] == 'ack' and msg['ref'] == 'chat':
                        out[0].add('%s-%d-%d' % (room, i, msg['id']))
                        if len(out[0]) == KILL_AT:
                            first.proc.kill()  # SIGKILL mid-meeting: no shutdown, no checkpoint
                    elif msg['type'] == 'ack' and msg['ref'] == 'vote-cast':
                        out[1].append((room, 'p', i % 3))
                    acks += msg['type'] == 'ack'
            except Exception:  # the server was killed
                pass

        async def chair_of(room, secret):
            ws = await ws_connect(first, close_timeout=0.2)
            await ws.send(json.dumps({'type': 'join', 'room': room, 'name': 'Chủ trì',
                                      'token': jwt.encode({'room': room, 'name': 'Chủ trì',
                                                           'role': 'chair', 'exp':
                                                           int(time.time()) + 600}, SECRET,
                                                          algorithm='HS256')}))
            await request(ws, {'type': 'vote-open', 'question': 'Q %s' % room,
                               'secret': secret}, 'o')
            return ws, (await expect(ws, 'vote'))['vote']['id']

        async def run():
            hop, vid_hop = await chair_of('hop', False)
            kin, vid_kin = await chair_of('kin', True)
            out = (acked_lines, acked_ballots)
            rooms = ['hop' if i % 2 else 'kin' for i in range(SOCKETS)]
            socks = [await joined(rooms[i], i) for i in range(SOCKETS)]
            tasks = [asyncio.ensure_future(voter(socks[i], rooms[i], i,
                                                 vid_hop if i % 2 else vid_kin, out))
                     for i in range(SOCKETS)]
            await asyncio.gather(*tasks)  # a voter kills the server while lines are written
            if first.proc.poll() is None:
                first.proc.kill()
            for ws in (hop, kin):
                try:
                    await ws.close()
                except Exception:
                    pass

        asyncio.run(run())
        first.proc.wait()
        first._log.close()
        assert len(acked_lines) >= KILL_AT, len(acked_lines)
        log_note('kill -9 after %d acked chat lines and %d acked ballots'
                 % (len(acked_lines), len(acked_ballots)))
        stored = {r[0] for r in query(first.data_dir, 'SELECT text FROM chat')}
        assert acked_lines <= stored, sorted(acked_lines - stored)
        nballots = dict(query(first.data_dir, 'SELECT vote, count(*) FROM ballots GROUP BY vote'))
        assert sum(nballots.values()) >= len(acked_ballots)
        for vid, secret, tally in query(first.data_dir, 'SELECT id, secret, tally FROM votes'):
            tally = json.loads(tally)
            assert sum(tally) == nballots.get(vid, 0), (vid, tally, nballots)
            if not secret:
                per = dict(query(first.data_dir, 'SELECT option, count(*) FROM ballots WHERE'
                                 ' vote = %d GROUP BY option' % vid))
                assert [per.get(k, 0) for k in range(len(tally))] == tally, (per, tally)
            else:
                assert query(first.data_dir, 'SELECT count(*) FROM ballots WHERE vote = %d AND'
                             ' option IS NOT NULL' % vid) == [(0,)]
        assert query(first.data_dir, 'PRAGMA integrity_check') == [('ok',)]
        second = Server(str(tmp_path / 'b'), CONFIG, ('--data-dir', first.data_dir))
        second.start()

        async def one_more():
            ws = await join(second, 'Sau khi khởi động lại')
            hist = await expect(ws, 'chat-history')
            assert len(hist['lines']) >= 1
            await ws.close()

        asyncio.run(one_more())
        # the votes the killed server left open are over once the new one runs a meeting
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and query(
                first.data_dir, 'SELECT count(*) FROM votes WHERE closed IS NULL') != [(0,)]:
            time.sleep(0.1)
        assert query(first.data_dir, 'SELECT count(*) FROM votes WHERE closed IS NULL') == [(0,)]
        settle(second)
        second.assert_healthy()
    finally:
        if first.proc and first.proc.poll() is None:
            first.proc.kill()
        if second:
            problems = second.stop()
            assert not problems, problems
