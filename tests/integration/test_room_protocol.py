"""The room's replies on raw WebSockets (no media): request ids echoed by the room, candidates
that arrive before their description, a failed reconnect that keeps the working connection,
and a publish offer over the track limit answered with a clear error."""
import asyncio
import json
import os
import re
import urllib.request

from harness import expect_error, recv_json, valid_room, ws_connect

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'unit', 'sdp', 'fixtures')
CAND = 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0'


def offer_sdp():
    with open(os.path.join(FIXTURES, 'chromium-sendonly.sdp'), encoding='utf-8') as f:
        return f.read().replace('\r\n', '\n').replace('\n', '\r\n')


def gauge(server, name):
    """Sum over workers of a gauge in GET /metrics."""
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        m = re.match(r'^%s(\{[^}]*\})? (\S+)$' % re.escape(name), line)
        if m:
            total += float(m.group(2))
    return total


async def join(server, room, name, **extra):
    ws = await ws_connect(server)
    await ws.send(json.dumps(dict({'type': 'join', 'room': room, 'name': name}, **extra)))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    return ws, msg


async def no_error_for(ws, seconds):
    """Nothing but offers, candidates and presence arrive for `seconds`."""
    try:
        while True:
            msg = await recv_json(ws, timeout=seconds)
            assert msg['type'] != 'error', msg
    except (AssertionError, asyncio.TimeoutError) as e:
        if isinstance(e, AssertionError) and 'no message within' not in str(e):
            raise


def test_room_replies_echo_the_request_id(server):
    async def body():
        room = valid_room('ids')
        ws, j = await join(server, room, 'Chủ tọa', id='join-1')
        assert j['id'] == 'join-1' and j['self'].startswith('p'), j
        await ws.send(json.dumps({'type': 'publish', 'sdp': offer_sdp(), 'id': 5}))
        ans = await recv_json(ws)
        assert ans['type'] == 'answer' and ans['id'] == 5, ans
        assert 'a=rtcp-rsize' in ans['sdp'], 'the answer says reduced-size RTCP'
        await ws.send(json.dumps({'type': 'publish', 'sdp': 'v=0\r\nnot sdp', 'id': 'bad'}))
        err = await expect_error(ws, 'bad-sdp', 'publish')
        assert err['id'] == 'bad', err
        await ws.send(json.dumps({'type': 'answer', 'sdp': offer_sdp(), 'id': 1}))
        err = await expect_error(ws, 'bad-state', 'answer')
        assert err['id'] == 1, err
        # the hub's own refusals echo it too
        ws2 = await ws_connect(server)
        await ws2.send(json.dumps({'type': 'publish', 'sdp': 'x', 'id': 'early'}))
        err = await expect_error(ws2, 'not-joined')
        assert err['id'] == 'early', err
        await ws2.close()
        await ws.close()
    asyncio.run(body())


def test_candidates_before_their_description_are_queued(server):
    async def body():
        ws, _ = await join(server, valid_room('early'), 'Thư ký')
        # a standard stack trickles as soon as it gathers, before the offer is even sent
        for i in range(5):
            await ws.send(json.dumps({'type': 'candidate', 'pc': 'pub',
                                      'candidate': CAND.replace('50000', str(50000 + i)),
                                      'sdpMid': '0'}))
        await ws.send(json.dumps({'type': 'candidate', 'pc': 'sub', 'candidate': CAND,
                                  'sdpMid': '0'}))
        await no_error_for(ws, 1.0)
        await ws.send(json.dumps({'type': 'publish', 'sdp': offer_sdp()}))
        ans = await recv_json(ws)
        assert ans['type'] == 'answer', ans
        # the socket was not charged with errors: it still works
        await ws.send(json.dumps({'type': 'ping', 'id': 'alive'}))
        assert (await recv_json(ws, skip=('candidate',)))['id'] == 'alive'
        # a flood before the description is bounded: refused with 'limit', not kept
        ws2, _ = await join(server, valid_room('flood'), 'Khách')
        for i in range(64):
            await ws2.send(json.dumps({'type': 'candidate', 'pc': 'pub', 'candidate': CAND,
                                       'sdpMid': '0'}))
        await no_error_for(ws2, 0.5)
        await ws2.send(json.dumps({'type': 'candidate', 'pc': 'pub', 'candidate': CAND,
                                   'sdpMid': '0', 'id': 65}))
        err = await expect_error(ws2, 'limit', 'candidate')
        assert err['id'] == 65, err
        await ws2.close()
        await ws.close()
    asyncio.run(body())


def test_failed_reconnect_keeps_the_working_connection(server):
    async def body():
        ws, _ = await join(server, valid_room('reconnect'), 'Xã A')
        await ws.send(json.dumps({'type': 'publish', 'sdp': offer_sdp()}))
        assert (await recv_json(ws))['type'] == 'answer'
        assert gauge(server, 'hoinghi_transports') == 2   # sub (from the join) and pub
        producers = gauge(server, 'hoinghi_producers')
        assert producers == 2, producers                   # audio and video, SSRCs signalled
        # a new connection (new ufrag) whose DTLS parameters cannot be used
        bad = offer_sdp().replace('a=ice-ufrag:Kq3Z', 'a=ice-ufrag:Zz9Y')
        bad = re.sub(r'a=fingerprint:sha-256 [0-9A-F:]+', 'a=fingerprint:md5 00', bad)
        await ws.send(json.dumps({'type': 'publish', 'sdp': bad}))
        await expect_error(ws, 'bad-sdp', 'publish')
        # the old connection is still there (the old room closed it and lost the producers)
        assert gauge(server, 'hoinghi_transports') == 2
        assert gauge(server, 'hoinghi_producers') == producers
        await ws.close()
    asyncio.run(body())


def test_track_limit_is_a_clear_error(server):
    async def body():
        ws, _ = await join(server, valid_room('tracks'), 'Nhiều camera')
        sdp = offer_sdp()
        head, first, rest = sdp.partition('m=audio')
        audio = first + rest.split('m=video')[0]
        video = 'm=video' + rest.split('m=video', 1)[1]
        sections = []
        for i in range(9):   # nine sending sections: over the limit of 8
            sec = (audio if i % 2 == 0 else video)
            sec = re.sub(r'a=mid:\S+', 'a=mid:%d' % i, sec)
            sections.append(sec)
        bundle = 'a=group:BUNDLE ' + ' '.join(str(i) for i in range(9))
        head = re.sub(r'a=group:BUNDLE[^\r\n]*', bundle, head)
        await ws.send(json.dumps({'type': 'publish', 'sdp': head + ''.join(sections), 'id': 9}))
        err = await expect_error(ws, 'limit', 'publish')
        assert 'at most 8' in err['message'] and err['id'] == 9, err
        await ws.close()
    asyncio.run(body())
