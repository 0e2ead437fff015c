"""Roles enforced by the server over raw WebSockets: a forged `moderate` from a participant is
refused and changes nothing, a chair's mute locks the owner's microphone until allowed, raised
hands are queued in order, an observer's hand-crafted send offer is refused, a locked meeting
refuses new joins (not a chair's), `end` disconnects everyone with close code 4002, and the audit
log holds the actions and their refusals."""
import asyncio
import json
import os
import sqlite3
import time

import jwt

from harness import recv_json, ws_connect

SECRET = 'moderation-secret-5a4b3c2d1e0f9'
CONFIG = """
[auth]
jwt_secret = %s

[room:mo]
access = open

[room:hop]
access = token
""" % SECRET
FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'unit', 'sdp', 'fixtures')


def token(room, name, role):
    claims = {'room': room, 'name': name, 'role': role, 'exp': int(time.time()) + 3600}
    return jwt.encode(claims, SECRET, algorithm='HS256')


async def join(server, room, name, **extra):
    ws = await ws_connect(server)
    await ws.send(json.dumps(dict({'type': 'join', 'room': room, 'name': name}, **extra)))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    return ws, msg


async def until(ws, pred, what, timeout=5):
    """The first message for which pred is true (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, 'no %s within %ss' % (what, timeout)
        msg = await recv_json(ws, timeout=left)
        if pred(msg):
            return msg


def updated(pid, **fields):
    def pred(m):
        p = m.get('participant') or {}
        return (m['type'] == 'participant-updated' and p.get('id') == pid and
                all(p.get(k) == v for k, v in fields.items()))
    return pred


async def expect_error(ws, code, ref):
    """The next error or ack (presence and media messages skipped) is error `code`."""
    msg = await until(ws, lambda m: m['type'] in ('ack', 'error'), 'error ' + code)
    assert msg['type'] == 'error' and msg['code'] == code and msg['ref'] == ref, msg
    return msg


async def ack(ws, ref):
    msg = await until(ws, lambda m: m['type'] in ('ack', 'error'), 'ack')
    assert msg['type'] == 'ack' and msg['ref'] == ref, msg
    return msg


def audit(server):
    db = sqlite3.connect(os.path.join(server.data_dir, 'hoinghi.db'))
    try:
        return db.execute('SELECT actor, action, room, detail FROM audit ORDER BY id').fetchall()
    finally:
        db.close()


def wait_audit(server, pred, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = audit(server)
        if any(pred(r) for r in rows):
            return rows
        time.sleep(0.1)
    raise AssertionError('no such audit row in %r' % (audit(server),))


def test_forged_moderation_mute_and_hands(start_server):
    server = start_server()   # no [auth]: the first to join an open room chairs it

    async def body():
        chair, j = await join(server, 'mo', 'Chủ trì')
        assert j['role'] == 'chair' and j['participant']['chair'] is True   # first in an open room
        ana, ja = await join(server, 'mo', 'Ana')
        assert ja['role'] == 'member'
        assert ja['participants'][0]['chair'] is True and ja['participants'][0]['audio'] is True
        bao, jb = await join(server, 'mo', 'Bảo')
        a_id, b_id, c_id = ja['self'], jb['self'], j['self']

        # a forged request from a participant: forbidden, nothing changes
        for action in ('mute', 'remove', 'lock', 'end', 'grant-chair', 'mute-all'):
            await ana.send(json.dumps({'type': 'moderate', 'action': action,
                                       'participant': b_id, 'id': action}))
            err = await expect_error(ana, 'forbidden', 'moderate')
            assert err['id'] == action
        late, jl = await join(server, 'mo', 'Late')   # not locked
        assert all(p['audio_locked'] is False for p in jl['participants'])
        await late.close()

        # the chair mutes Ana: everyone sees it, Ana cannot unmute until allowed
        await chair.send(json.dumps({'type': 'moderate', 'action': 'mute', 'participant': a_id,
                                     'id': 1}))
        assert (await ack(chair, 'moderate'))['id'] == 1
        await until(bao, updated(a_id, audio_locked=True, audio=False), 'Ana muted at Bảo')
        await until(ana, updated(a_id, audio_locked=True), 'Ana muted at Ana')
        await ana.send(json.dumps({'type': 'state', 'audio': True}))
        await expect_error(ana, 'forbidden', 'state')
        await chair.send(json.dumps({'type': 'moderate', 'action': 'ask-unmute',
                                     'participant': a_id}))
        req = await until(ana, lambda m: m['type'] == 'unmute-request', 'unmute-request')
        assert req['kind'] == 'audio' and req['by'] == c_id
        await ana.send(json.dumps({'type': 'state', 'audio': True}))
        await ack(ana, 'state')
        await until(bao, updated(a_id, audio_locked=False, audio=True), 'Ana unmuted at Bảo')

        # hands, in the order raised
        await bao.send(json.dumps({'type': 'hand', 'raised': True}))
        await until(chair, updated(b_id, hand=1), 'Bảo first')
        await ana.send(json.dumps({'type': 'hand', 'raised': True}))
        await until(chair, updated(a_id, hand=2), 'Ana second')
        await chair.send(json.dumps({'type': 'moderate', 'action': 'give-floor',
                                     'participant': b_id}))
        await until(chair, updated(a_id, hand=1), 'Ana moves up')
        await until(bao, lambda m: m['type'] == 'unmute-request', 'the floor for Bảo')
        # bad requests: named codes
        await chair.send(json.dumps({'type': 'moderate', 'action': 'mute', 'participant': 'p999'}))
        await expect_error(chair, 'no-such-participant', 'moderate')
        await chair.send(json.dumps({'type': 'moderate', 'action': 'explode'}))
        await expect_error(chair, 'bad-field', 'moderate')
        for ws in (chair, ana, bao):
            await ws.close()

    asyncio.run(body())
    rows = wait_audit(server, lambda r: r[1] == 'moderate' and 'action=give-floor' in r[3])
    assert any(r[0] == 'Ana' and r[1] == 'moderate-refused' and 'action=mute' in r[3] for r in rows)
    assert any(r[0] == 'Chủ trì' and r[1] == 'moderate' and 'action=mute' in r[3] and
               'kind=audio' in r[3] for r in rows)
    assert any(r[0] == 'Ana' and r[1] == 'unmute-refused' for r in rows)


def test_observer_offer_lock_and_end(start_server):
    server = start_server(CONFIG)

    async def body():
        chair, j = await join(server, 'hop', 'Chủ trì', token=token('hop', 'Chủ trì', 'chair'))
        obs, jo = await join(server, 'hop', 'Quan sát', token=token('hop', 'Quan sát', 'observer'))
        assert jo['role'] == 'observer'
        site, js = await join(server, 'hop', 'UBND xã', token=token('hop', 'UBND xã', 'site'))
        assert js['role'] == 'site'
        # an observer's hand-crafted send offer is refused by the server
        with open(os.path.join(FIXTURES, 'chromium-sendonly.sdp'), encoding='utf-8') as f:
            sdp = f.read().replace('\r\n', '\n').replace('\n', '\r\n')
        await obs.send(json.dumps({'type': 'publish', 'sdp': sdp}))
        await expect_error(obs, 'forbidden', 'publish')

        # locked: new joins refused before any media, a chair's token still gets in
        await chair.send(json.dumps({'type': 'moderate', 'action': 'lock'}))
        await until(site, lambda m: m['type'] == 'room-state' and m['locked'] is True, 'locked')
        ws = await ws_connect(server)
        await ws.send(json.dumps({'type': 'join', 'room': 'hop', 'name': 'Muộn',
                                  'token': token('hop', 'Muộn', 'participant')}))
        await expect_error(ws, 'meeting-locked', 'join')
        await ws.close()
        chair2, _ = await join(server, 'hop', 'Phó chủ trì',
                               token=token('hop', 'Phó chủ trì', 'chair'))

        # end: everyone gets meeting-ended and close code 4002
        await chair.send(json.dumps({'type': 'moderate', 'action': 'end'}))
        for ws in (chair, obs, site, chair2):
            await until(ws, lambda m: m['type'] == 'meeting-ended', 'meeting-ended')
            try:
                await asyncio.wait_for(ws.recv(), 5)
                raise AssertionError('still open')
            except Exception as e:  # noqa: BLE001
                assert getattr(e, 'code', None) == 4002 or ws.close_code == 4002, e

    asyncio.run(body())
    rows = wait_audit(server, lambda r: r[1] == 'moderate' and 'action=end' in r[3])
    assert any(r[1] == 'join-refused' and 'code=meeting-locked' in r[3] for r in rows)
