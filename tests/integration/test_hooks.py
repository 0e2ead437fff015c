"""Hooks: a real receiver process on 127.0.0.1 verifies every signature; it answers 500 to the
first attempts and slowly to the next, is stopped for a while, and hoinghi is killed (-9) while
deliveries are going on: every event of the scripted meeting still arrives, each webhook-id at
least once, the set complete, in order per meeting. Bad endpoints (connection refused, TLS to a
plain port, 410) are logged and shown by the API without holding up the good one. The e-office
receiver gets the signed minutes once as a multipart upload and once as an edXML package."""
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request

from harness import HOINGHI_BIN, Server, free_port, recv_json, sanitizer_env, ws_connect

SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
RECEIVER = os.path.join(os.path.dirname(__file__), 'hook_receiver.py')


def config(port, dead_port):
    return """
[rooms]
end_grace = 1

[room:kin]
confidential = true

[hooks]
retry_base_ms = 200
retry_max = 1
connect_timeout = 1
timeout = 2

[webhook:main]
url = http://127.0.0.1:%(p)d/hook
secret = %(s)s
events = meeting.*, participant.*

[webhook:gone]
url = http://127.0.0.1:%(p)d/gone
secret = %(s)s

[webhook:refused]
url = http://127.0.0.1:%(d)d/hook
secret = %(s)s

[webhook:tls]
url = https://127.0.0.1:%(p)d/hook
secret = %(s)s
""" % {'p': port, 'd': dead_port, 's': SECRET} + eoffice(port)


def eoffice(port):
    """The [eoffice] section towards hook_receiver.py on port (test_minutes_signed.py too)."""
    return """
[eoffice]
upload_url = http://127.0.0.1:%(p)d/eoffice/upload
auth = bearer
token = tok-123
document_id_path = data.document.id
edxml_url = http://127.0.0.1:%(p)d/eoffice/edxml
from_code = 000.00.00.H41
from_name = UBND tỉnh Nghệ An
to_code = 000.00.01.H41
""" % {'p': port}


def start_receiver(port, log, *args):
    p = subprocess.Popen([sys.executable, RECEIVER, str(port), SECRET, log] +
                         [str(a) for a in args])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=0.5)
        except urllib.error.HTTPError:
            return p
        except OSError:
            time.sleep(0.05)
    raise AssertionError('receiver did not start')


def received(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def api(server, key, method, path, body=None):
    req = urllib.request.Request(server.http_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header('Authorization', 'Bearer ' + key)
    req.add_header('Content-Type', 'application/json')
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        assert time.monotonic() < deadline, 'not within %ss: %s' % (timeout, what)
        time.sleep(0.1)


async def join(server, room, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    return ws


def test_hooks_survive_failures_and_kill(tmp_path):
    port, dead_port = free_port(), free_port()
    log = str(tmp_path / 'received.jsonl')
    data = str(tmp_path / 'data')
    key = subprocess.run([HOINGHI_BIN, '--data-dir', data, 'apikey', 'add', 'hooks'],
                         capture_output=True, text=True, env=sanitizer_env(),
                         timeout=30).stdout.strip()
    # 3 answers 500, then 2 slow ones (1.2 s, under the 2 s timeout), then 2xx
    rcv = start_receiver(port, log, 3, 2, 1.2)
    server = Server(str(tmp_path), config(port, dead_port)).start()
    again = None
    try:
        async def meeting_part1():
            k = await join(server, 'kin', 'Mật')  # confidential: no hook at all
            await k.close()
            a = await join(server, 'giao-ban', 'An')
            b = await join(server, 'giao-ban', 'Bình')
            await b.close()
            return a
        a = asyncio.run(meeting_part1())
        wait(lambda: [r for r in received(log) if r['status'] == 200 and r['path'] == '/hook'],
             20, 'a first delivery')
        rcv.terminate()  # the receiver is down for a while
        rcv.wait()

        async def meeting_part2():
            c = await join(server, 'giao-ban', 'Cường')
            await c.close()
        asyncio.run(meeting_part2())
        time.sleep(1.0)
        server.proc.kill()  # kill -9 with deliveries pending
        server.proc.wait()
        rcv = start_receiver(port, log)
        again = Server(str(tmp_path), config(port, dead_port)).start()
        import sqlite3
        db = os.path.join(data, 'hoinghi.db')

        def expected():
            con = sqlite3.connect(db)
            try:
                return con.execute(
                    "SELECT o.msg_id, o.meeting, o.event FROM outbox o JOIN webhooks w"
                    " ON w.id = o.endpoint WHERE w.name = 'main' ORDER BY o.id").fetchall()
            finally:
                con.close()

        def complete():
            want = expected()
            ok = [r for r in received(log) if r['path'] == '/hook' and r['status'] == 200]
            got = {r['id'] for r in ok}
            return want and all(m in got for m, _, _ in want) and (want, ok)

        want, ok = wait(complete, 30, 'every event of the meeting at the receiver')
        con = sqlite3.connect(db)
        assert con.execute("SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event"
                           " WHERE e.room = 'kin'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM events WHERE room = 'kin'").fetchone()[0] > 0
        con.close()
        types = [json.loads(json.dumps(r['body']))['type'] for r in ok]
        assert 'meeting.started' in types and types.count('participant.joined') >= 3, types
        assert all(r['sig_ok'] for r in received(log) if r['path'] == '/hook'), 'bad signature'
        # in order per meeting: first arrivals follow the event ids
        first = {}
        for r in ok:
            first.setdefault(r['id'], r['t'])
        for meeting in {mt for _, mt, _ in want}:
            evs = {m: e for m, mt, e in want if mt == meeting}
            ids = sorted(evs, key=lambda m: first[m])
            assert [evs[m] for m in ids] == sorted(evs.values()), (meeting, ids)
        assert [r for r in received(log) if r['status'] == 500], 'the 500s happened'

        # bad endpoints: state in the API, clear lines in the log
        st, hooks = api(again, key, 'GET', '/api/v1/webhooks')
        assert st == 200 and all('secret' not in h for h in hooks)
        by = {h['name']: h for h in hooks}
        wait(lambda: not api(again, key, 'GET', '/api/v1/webhooks/%d' % by['gone']['id'])[1]
             ['enabled'], 10, 'gone disabled')
        _, gone = api(again, key, 'GET', '/api/v1/webhooks/%d' % by['gone']['id'])
        assert '410' in gone['disabled_reason']
        def failing(name, text):
            _, rows = api(again, key, 'GET', '/api/v1/webhooks/%d/deliveries' % by[name]['id'])
            hit = [d for d in rows if text in (d['last_error'] or '')]
            return hit and (rows, hit)
        refused, _ = wait(lambda: failing('refused', 'connection refused'), 10, 'refused')
        wait(lambda: failing('tls', 'TLS'), 10, 'a TLS failure')
        refused = [d for d in refused if d['state'] == 'pending']
        # "deliver again" on the refused endpoint's row: pending now; unknown ids: 404
        st, r = api(again, key, 'POST', '/api/v1/webhooks/%d/deliveries/%d/retry'
                    % (by['refused']['id'], refused[-1]['id']))
        assert (st, r['state']) == (202, 'pending'), r
        st, _ = api(again, key, 'POST', '/api/v1/webhooks/%d/deliveries/999999/retry'
                    % by['refused']['id'])
        assert st == 404
        st, _ = api(again, key, 'POST', '/api/v1/webhooks', {'name': 'x', 'url': 'ftp://h/'})
        assert st == 400
        st, made = api(again, key, 'POST', '/api/v1/webhooks',
                       {'name': 'api-one', 'url': 'http://127.0.0.1:%d/hook' % port})
        assert st == 201 and made['secret'].startswith('whsec_')
        _, one = api(again, key, 'GET', '/api/v1/webhooks/%d' % made['id'])
        assert 'secret' not in one
        assert api(again, key, 'DELETE', '/api/v1/webhooks/%d' % made['id'])[0] == 204
        assert api(again, key, 'DELETE', '/api/v1/webhooks/%d' % by['main']['id'])[0] == 409
        logtext = open(server.log_path).read() + open(again.log_path).read()
        assert 'answered 410 Gone: disabled' in logtext
        assert 'connection refused' in logtext
        assert SECRET not in logtext

        # e-office: the signed minutes go out once as an upload and once as edXML
        pdf = tmp_path / 'data' / 'archive' / 'minutes' / 'v1' / 'minutes.pdf'
        pdf.parent.mkdir(parents=True)
        pdf.write_bytes(b'%PDF-1.7\n% signed minutes\n%%EOF\n')
        sdata = {'meeting': 1, 'version': 1, 'pdf': str(pdf), 'number': '12/BB-UBND',
                 'title': 'Biên bản giao ban', 'signer': 'Nguyễn Văn An'}
        for name in ('eoffice-upload', 'eoffice-edxml'):
            st, _ = api(again, key, 'POST', '/api/v1/webhooks/%d/test' % by[name]['id'],
                        {'type': 'minutes.signed', 'data': sdata})
            assert st == 202
        up = wait(lambda: [r for r in received(log) if r['path'] == '/eoffice/upload'], 10,
                  'the upload')
        ed = wait(lambda: [r for r in received(log) if r['path'] == '/eoffice/edxml'], 10,
                  'the edXML package')
        assert len(up) == 1 and up[0]['pdf'] == '%PDF-' and up[0]['auth'] == 'Bearer tok-123'
        assert up[0]['fields'] == ['file', 'metadata', 'number', 'title']
        assert len(ed) == 1 and ed[0]['edxml_ok'], ed
        _, dl = api(again, key, 'GET', '/api/v1/webhooks/%d/deliveries' % by['eoffice-upload']['id'])
        wait(lambda: api(again, key, 'GET', '/api/v1/webhooks/%d/deliveries'
                         % by['eoffice-upload']['id'])[1][0]['document_id'], 5, 'document id')

        # /metrics
        with urllib.request.urlopen(again.http_url + '/metrics', timeout=5) as r:
            text = r.read().decode()
        delivered = [l for l in text.splitlines() if l.startswith('hoinghi_hooks_delivered_total')]
        assert delivered and int(delivered[0].split()[-1]) > 0
        assert 'hoinghi_hooks_pending' in text and 'hoinghi_hooks_dead' in text
        again.assert_healthy()
    finally:
        rcv.terminate()
        rcv.wait()
        problems = again.stop() if again else []
        assert not problems, problems
