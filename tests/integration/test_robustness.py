"""Hostile input while a two-participant meeting runs: the meeting must not notice.

Covers: malformed JSON, unknown types, oversized and binary messages, messages before join, bad
fields, a socket that keeps erring (closed with 1008), a participant that vanishes, random UDP
datagrams (RTP/RTCP/DTLS/STUN-looking and noise) to every port the server advertised, and broken
HTTP / WebSocket byte streams to the TCP port. The error replies must carry the documented codes.
"""
import asyncio
import json
import random
import time

import websockets

import garbage
from harness import (counts_from, events_of, expect_closed, expect_error, log_note,
                     loopback_candidate_addrs, recv_json, valid_room, ws_connect)


def meeting_counts(a, b):
    """((A's frames, audio) from B, (B's frames, audio) from A) right now."""
    ra, rb = a.report(), b.report()
    return counts_from(ra, rb['id']), counts_from(rb, ra['id'])


def wait_media(a, b, frames, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (va, _), (vb, _) = meeting_counts(a, b)
        if va > frames and vb > frames:
            return
        time.sleep(0.25)
    raise AssertionError('media did not start: %s\n%s\n%s' % (
        meeting_counts(a, b), a.describe(), b.describe()))


def assert_growing(a, b, since, what, frames=15, audio=25):
    """Both directions decoded more than `frames` frames / `audio` buffers since `since`."""
    now = meeting_counts(a, b)
    for (v0, a0), (v1, a1), who in zip(since, now, ('A<-B', 'B<-A')):
        assert v1 - v0 > frames and a1 - a0 > audio, (
            'meeting stalled during %s: %s decoded %d frames, %d audio buffers' % (
                what, who, v1 - v0, a1 - a0))
    return now


async def errors_before_join(server):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'ping'}))
    assert (await recv_json(ws, skip=()))['type'] == 'pong'
    await ws.send(json.dumps({'type': 'publish', 'sdp': 'v=0\r\n'}))
    await expect_error(ws, 'not-joined', ref='publish')
    await ws.send('this is { not json')
    await expect_error(ws, 'bad-json')
    await ws.send('[1, 2, 3]')
    await expect_error(ws, 'bad-json')
    await ws.send(json.dumps({'no': 'type'}))
    await expect_error(ws, 'bad-type')
    await ws.send(json.dumps({'type': 'frobnicate'}))
    await expect_error(ws, 'bad-type')
    await ws.close()


async def big_and_binary(server):
    ws = await ws_connect(server)
    # 300 KB (a large subscriber answer) arrives whole: libwebsockets hands it over in pieces of
    # its 64 KiB receive buffer, which the server joins. One frame, then 5 fragments.
    await ws.send(json.dumps({'type': 'ping', 'pad': 'x' * (300 * 1000)}))
    assert (await recv_json(ws, skip=()))['type'] == 'pong'
    big = json.dumps({'type': 'ping', 'pad': 'z' * (300 * 1000)})
    await ws.send(big[i:i + 60000] for i in range(0, len(big), 60000))
    assert (await recv_json(ws, skip=()))['type'] == 'pong'
    await ws.send(json.dumps({'type': 'ping', 'pad': 'x' * (3 * 1024 * 1024)}))
    await expect_error(ws, 'too-big')
    await ws.send(json.dumps({'type': 'ping'}))   # the session goes on
    assert (await recv_json(ws, skip=()))['type'] == 'pong'
    await ws.send(json.dumps({'type': 'join', 'room': 'bad room!', 'name': 'x'}))
    await expect_error(ws, 'bad-field', ref='join')
    await ws.send(json.dumps({'type': 'join', 'room': 'r' * 65, 'name': 'x'}))
    await expect_error(ws, 'bad-field', ref='join')
    await ws.send(json.dumps({'type': 'join', 'room': 'ok', 'name': ''}))
    await expect_error(ws, 'bad-field', ref='join')
    await ws.close()
    ws = await ws_connect(server)
    await ws.send(b'\x00\x01binary\xff')
    try:
        msg = await recv_json(ws, skip=())
        assert msg['type'] == 'error' and msg['code'] in ('bad-json', 'bad-type'), msg
        await ws.send(json.dumps({'type': 'ping'}))
        assert (await recv_json(ws, skip=()))['type'] == 'pong'
    except websockets.ConnectionClosed:
        assert ws.close_code in (1003, 1007, 1008), 'binary frame: closed with %s' % ws.close_code
    await ws.close()
    ws = await ws_connect(server)   # 8 MiB: refused one way or another, server stays up
    try:
        await ws.send(json.dumps({'type': 'ping', 'pad': 'y' * (8 << 20)}))
        await expect_error(ws, 'too-big')
    except websockets.ConnectionClosed:
        pass
    await ws.close()


async def errors_after_join(server):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': valid_room('alone'), 'name': 'Alone'}))
    joined = await recv_json(ws)
    assert joined['type'] == 'joined' and joined['participants'] == [], joined
    await ws.send(json.dumps({'type': 'join', 'room': valid_room('again'), 'name': 'x'}))
    await expect_error(ws, 'already-joined', ref='join')
    await ws.send(json.dumps({'type': 'answer', 'sdp': 'v=0\r\n'}))
    await expect_error(ws, 'bad-state', ref='answer')
    await ws.send(json.dumps({'type': 'publish', 'sdp': 'v=0\r\nthis is not sdp\r\n'}))
    await expect_error(ws, 'bad-sdp', ref='publish')
    await ws.send(json.dumps({'type': 'candidate', 'pc': 'xyz', 'candidate': 'candidate:1 1 UDP 1 '
                              '127.0.0.1 9 typ host'}))
    await expect_error(ws, 'bad-field', ref='candidate')
    await ws.send(json.dumps({'type': 'publish'}))
    await expect_error(ws, 'bad-field', ref='publish')
    await ws.send(json.dumps({'type': 'leave'}))
    await expect_closed(ws)


async def error_storm(server):
    """20 bad messages in a row: the server closes the socket with 1008 after 10 errors."""
    ws = await ws_connect(server)
    for _ in range(20):
        try:
            await ws.send(json.dumps({'type': 'nope'}))
        except websockets.ConnectionClosed:
            break
    replies = 0
    try:
        while True:
            msg = await recv_json(ws, timeout=5, skip=())
            assert msg['type'] == 'error' and msg['code'] == 'bad-type', msg
            replies += 1
    except websockets.ConnectionClosed:
        pass
    assert ws.close_code == 1008, 'closed with %s after %d errors' % (ws.close_code, replies)
    assert 1 <= replies <= 11, '%d error replies before the close' % replies


async def ghost_in_meeting(server, room):
    """Joins the meeting, sends a bad offer, then drops the TCP connection without `leave`."""
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': 'Ghost'}))
    joined = await recv_json(ws)
    assert joined['type'] == 'joined' and len(joined['participants']) == 2, joined
    await ws.send(json.dumps({'type': 'publish', 'sdp': 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n'
                              's=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n'}))
    while True:   # the server may send a sub offer for the others' tracks first
        msg = await recv_json(ws)
        if msg['type'] == 'error':
            assert msg['code'] == 'bad-sdp', msg
            break
        assert msg['type'] in ('offer', 'participant-joined', 'participant-left'), msg
    ws.transport.abort()   # no close frame, no leave
    return joined['id']


async def ws_abuse(server, room):
    await errors_before_join(server)
    await big_and_binary(server)
    await errors_after_join(server)
    await error_storm(server)
    return await ghost_in_meeting(server, room)


def http_abuse(server, seed):
    for label, payload in garbage.http_payloads(seed):
        reply = garbage.http_send(server.port, payload)
        assert b'root:x:0:0' not in reply, label
        assert server.alive(), 'server died on HTTP payload %r' % label
    for path in ('/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
                 '/..%2f..%2f..%2f..%2fetc%2fpasswd', '//etc/passwd', '/client/../../../etc/passwd'):
        reply = garbage.http_send(server.port, b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n'
                                  % path.encode())
        assert b'root:x:0:0' not in reply, 'path traversal through %s' % path
    garbage.connection_churn(server.port, 200)


def test_bad_input_during_meeting(start_server, clients):
    port_min = 20000 + random.Random().randrange(400) * 100
    server = start_server('[media]\nrtp_port_min = %d\nrtp_port_max = %d\n'
                          % (port_min, port_min + 99))
    room = valid_room('robust')
    a = clients(server, 'A', room, 120)
    a.wait_joined()
    b = clients(server, 'B', room, 120)
    b.wait_joined()
    wait_media(a, b, 30)
    seed = garbage.seed_from_env()
    log_note('robustness seed: HOINGHI_FUZZ_SEED=%d' % seed)

    mark = meeting_counts(a, b)
    ghost = asyncio.run(ws_abuse(server, room))
    server.assert_healthy()
    time.sleep(1.5)
    mark = assert_growing(a, b, mark, 'WebSocket abuse')

    addrs = loopback_candidate_addrs([a.report(), b.report()])
    assert addrs, 'the server advertised no 127.0.0.1 UDP candidate: %s' % (
        a.report().get('remote_candidates'))
    for _ip, port in addrs:
        assert port_min <= port <= port_min + 99, 'candidate port %d outside %d-%d' % (
            port, port_min, port_min + 99)
    sent = garbage.udp_flood(sorted(addrs), 1500, seed)
    log_note('sent %d garbage datagrams to %s' % (sent, sorted(addrs)))
    server.assert_healthy()
    time.sleep(1.5)
    mark = assert_growing(a, b, mark, 'UDP garbage')

    http_abuse(server, seed)
    server.assert_healthy()
    time.sleep(3)
    assert_growing(a, b, mark, 'HTTP garbage', frames=45, audio=75)

    ra, rb = a.stop(), b.stop()
    for rep, c in ((ra, a), (rb, b)):
        assert rep['rc'] == 0, 'client %s: %s\n%s' % (c.name, rep.get('errors'), c.describe())
        left = [e for e in events_of(rep, 'participant-left') if e['id'] == ghost]
        assert left and left[0]['reason'] in ('disconnected', 'left', 'timeout'), (
            'the vanished participant was not announced as left: %s' % events_of(
                rep, 'participant-left'))
    server.assert_healthy()
