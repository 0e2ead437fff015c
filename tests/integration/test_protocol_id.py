"""Request ids: whatever `id` a client puts in a message comes back, with the same JSON type, in
the reply or error the signalling front makes for it."""
import asyncio
import json

from harness import expect_error, recv_json, ws_connect


def test_ping_and_parse_errors_echo_the_request_id(server):
    async def body():
        ws = await ws_connect(server)
        await ws.send(json.dumps({'type': 'ping', 'id': 'p-1'}))
        assert await recv_json(ws, skip=()) == {'type': 'pong', 'id': 'p-1'}
        await ws.send(json.dumps({'type': 'ping', 'id': 7}))
        assert await recv_json(ws, skip=()) == {'type': 'pong', 'id': 7}
        await ws.send(json.dumps({'type': 'ping'}))
        assert await recv_json(ws, skip=()) == {'type': 'pong'}
        # refusals by the parser echo a valid id
        await ws.send(json.dumps({'type': 'join', 'id': 'j', 'room': 'a b', 'name': 'x'}))
        err = await expect_error(ws, 'bad-field', 'join')
        assert err['id'] == 'j', err
        await ws.send(json.dumps({'type': 'no-such-type', 'id': 99}))
        err = await expect_error(ws, 'bad-type')
        assert err['id'] == 99 and isinstance(err['id'], int), err
        # an invalid id is itself the bad field, and is not echoed
        await ws.send(json.dumps({'type': 'ping', 'id': 'x' * 65}))
        err = await expect_error(ws, 'bad-field', 'ping')
        assert 'id' not in err and "'id'" in err['message'], err
        await ws.send(json.dumps({'type': 'ping', 'id': 1.5}))
        err = await expect_error(ws, 'bad-field', 'ping')
        assert 'id' not in err, err
        await ws.close()
    asyncio.run(body())
