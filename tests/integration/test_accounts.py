"""Accounts, API keys and the store, through the real binary: the `hoinghi user` and `hoinghi
apikey` subcommands (password on stdin, key printed once, only hashes stored, an audit row per
change), a store that keeps every committed row across kill -9, and a database written by a
newer release refused with a clear error."""
import asyncio
import json
import sqlite3
import subprocess
import time

from harness import (HOINGHI_BIN, Server, db_query, free_port, recv_json, run_cli,
                     sanitizer_env, ws_connect)


def cli(data_dir, *args, stdin=None):
    return subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=30, env=sanitizer_env())


query = db_query


def test_user_round_trip(tmp_path):
    d = str(tmp_path / 'data')
    p = cli(d, 'user', 'add', 'chu-tri', '--role', 'chair', '--display-name', 'Nguyễn Văn An',
            stdin='mat-khau-dai-1\n')
    assert p.returncode == 0, p.stderr
    p = cli(d, 'user', 'add', 'admin', '--role', 'admin', stdin='mat-khau-dai-2\n')
    assert p.returncode == 0, p.stderr
    listed = cli(d, 'user', 'list')
    assert listed.returncode == 0, listed.stderr
    lines = [l.split('\t') for l in listed.stdout.splitlines()]
    assert [(l[0], l[1], l[2]) for l in lines] == [('admin', 'admin', 'admin'),
                                                    ('chu-tri', 'chair', 'Nguyễn Văn An')]
    # refused: taken name, bad role, short password, bad name; nothing changes
    assert cli(d, 'user', 'add', 'admin', '--role', 'admin', stdin='mat-khau-dai-3\n').returncode == 1
    assert cli(d, 'user', 'add', 'x', '--role', 'king', stdin='mat-khau-dai-3\n').returncode == 2
    assert cli(d, 'user', 'add', 'y', '--role', 'member', stdin='short\n').returncode == 1
    assert cli(d, 'user', 'add', 'Bad Name', '--role', 'member', stdin='mat-khau-dai\n').returncode == 2
    assert cli(d, 'user', 'passwd', 'chu-tri', stdin='mat-khau-moi-9\n').returncode == 0
    assert cli(d, 'user', 'passwd', 'nobody', stdin='mat-khau-moi-9\n').returncode == 1
    assert cli(d, 'user', 'del', 'admin').returncode == 0
    assert cli(d, 'user', 'del', 'admin').returncode == 1
    assert [r[0] for r in query(d, 'SELECT name FROM users')] == ['chu-tri']
    hashes = query(d, 'SELECT hash FROM users')
    assert hashes[0][0].startswith('$argon2id$'), hashes
    assert 'mat-khau' not in str(hashes)
    actions = [r[0] for r in query(d, 'SELECT action FROM audit ORDER BY id')]
    assert actions == ['user-add', 'user-add', 'user-passwd', 'user-del'], actions
    assert 'mat-khau' not in str(query(d, 'SELECT * FROM audit'))
    assert cli(d, 'user').returncode == 2  # usage


def test_apikey_round_trip(tmp_path):
    d = str(tmp_path / 'data')
    p = cli(d, 'apikey', 'add', 'cong-thong-tin')
    assert p.returncode == 0, p.stderr
    key = p.stdout.strip()
    assert key.startswith('hnk_') and len(key) > 40, p.stdout
    assert 'only this once' in p.stderr
    listed = cli(d, 'apikey', 'list')
    assert listed.stdout.startswith('cong-thong-tin\t'), listed.stdout
    assert key not in listed.stdout
    rows = query(d, 'SELECT key_sha256 FROM api_keys')
    import hashlib
    assert rows == [(hashlib.sha256(key.encode()).hexdigest(),)]
    assert cli(d, 'apikey', 'add', 'cong-thong-tin').returncode == 1
    assert cli(d, 'apikey', 'del', 'cong-thong-tin').returncode == 0
    assert query(d, 'SELECT count(*) FROM api_keys') == [(0,)]
    actions = [r[0] for r in query(d, 'SELECT action FROM audit ORDER BY id')]
    assert actions == ['apikey-add', 'apikey-del'], actions
    assert key not in str(query(d, 'SELECT * FROM audit'))


async def join(server, room, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    return ws


def test_store_survives_kill_9(tmp_path):
    """kill -9 while joins, refused joins and logins write audit rows continuously: the database
    passes PRAGMA integrity_check, the server starts on it again, and every row a reader saw
    committed before the kill is still there, unchanged."""
    import threading
    import urllib.error
    import urllib.request
    data = tmp_path / 'data'
    assert cli(str(data), 'user', 'add', 'thu-ky', '--role', 'secretary',
               stdin='mat-khau-thu-ky\n').returncode == 0
    conf = ('[auth]\nlockout_failures = 1000\nattempts_per_minute = 100000\n'
            '[room:kin]\npin = 246810\naccess = pin\n')
    first = Server(str(tmp_path / 'a'), conf, ('--data-dir', str(data)))
    second = None
    stop = threading.Event()

    def logins():
        body = json.dumps({'name': 'thu-ky', 'password': 'mat-khau-thu-ky'}).encode()
        while not stop.is_set():
            req = urllib.request.Request(first.http_url + '/api/login', data=body, method='POST')
            req.add_header('Content-Type', 'application/json')
            try:
                urllib.request.urlopen(req, timeout=5).read()
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.05)

    def joins():
        async def loop():
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    ws = await ws_connect(first)
                    msg = {'type': 'join', 'room': 'phong-hop', 'name': 'Đại biểu %d' % i}
                    if i % 2:
                        msg.update(room='kin', pin='000000')  # refused: bad-pin
                    await ws.send(json.dumps(msg))
                    await recv_json(ws)
                    await ws.close()
                except Exception:  # the server is gone: keep trying until told to stop
                    await asyncio.sleep(0.05)
        asyncio.run(loop())

    seen = {}
    try:
        first.start()
        workers = [threading.Thread(target=logins), threading.Thread(target=joins)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # a reader next to the writer, through the WAL
            for row in query(str(data), 'SELECT id, time, actor, action, room, detail FROM audit'):
                seen[row[0]] = row
            time.sleep(0.05)
        first.proc.kill()  # SIGKILL while writing: no shutdown, no checkpoint
        first.proc.wait()
        first._log.close()
        stop.set()
        for w in workers:
            w.join(10)
        actions = {r[3] for r in seen.values()}
        assert {'join', 'join-refused', 'login'} <= actions, actions
        assert len(seen) > 10, len(seen)
        assert query(str(data), 'PRAGMA integrity_check') == [('ok',)]
        second = Server(str(tmp_path / 'b'), conf, ('--data-dir', str(data)))
        second.start()
        after = {r[0]: r for r in query(str(data), 'SELECT id, time, actor, action, room, detail'
                                                   ' FROM audit')}
        lost = [r for i, r in seen.items() if after.get(i) != r]
        assert not lost, lost[:5]

        async def one_more():
            ws = await join(second, 'phong-hop', 'Sau khi khởi động lại')
            await ws.close()

        asyncio.run(one_more())
        second.assert_healthy()
    finally:
        stop.set()
        if first.proc and first.proc.poll() is None:
            first.proc.kill()
        if second:
            problems = second.stop()
            assert not problems, problems


def test_newer_or_corrupt_database_refused(tmp_path):
    d = tmp_path / 'data'
    d.mkdir()
    db = sqlite3.connect(str(d / 'hoinghi.db'))
    db.execute('PRAGMA user_version = 99')
    db.close()
    args = ['--listen', '127.0.0.1:%d' % free_port(), '--data-dir', str(d)]
    p = run_cli(args)
    assert p.returncode == 1, p
    assert 'newer than this hoinghi knows' in p.stderr, p.stderr
    (d / 'hoinghi.db').write_bytes(b'not a database at all, only text' * 100)
    p = run_cli(args)
    assert p.returncode == 1, p
    assert 'hoinghi.db' in p.stderr and 'database' in p.stderr, p.stderr
    # a real database whose pages were damaged (a disk error): refused at open, not row by row
    (d / 'hoinghi.db').unlink()
    for i in range(8):
        assert cli(str(d), 'user', 'add', 'u%d' % i, '--role', 'member',
                   stdin='mat-khau-dai-%d\n' % i).returncode == 0
    db = sqlite3.connect(str(d / 'hoinghi.db'))
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    page = db.execute('PRAGMA page_size').fetchone()[0]
    db.close()
    raw = bytearray((d / 'hoinghi.db').read_bytes())
    for off in range(page + 100, len(raw), 7):  # every page but the header's
        raw[off] = 0xA5
    (d / 'hoinghi.db').write_bytes(bytes(raw))
    p = run_cli(args)
    assert p.returncode == 1, p
    assert 'the database is damaged' in p.stderr and 'backup' in p.stderr, p.stderr
    assert cli(str(d), 'user', 'list').returncode != 0


def test_api_mints_join_tokens(tmp_path):
    """POST /api/rooms/NAME/tokens with an API key mints a token that joins with its role."""
    import urllib.error
    import urllib.request
    first = tmp_path / 'srv'
    first.mkdir()
    data = first / 'data'
    key = cli(str(data), 'apikey', 'add', 'cong-thong-tin').stdout.strip()
    secret = 'api-test-secret-0123456789'
    srv = Server(str(first), '[auth]\njwt_secret = %s\n[room:giao-ban]\n' % secret)
    try:
        srv.start()

        def post(path, body=None, auth=None):
            req = urllib.request.Request(srv.http_url + path, method='POST',
                                         data=json.dumps(body or {}).encode())
            req.add_header('Content-Type', 'application/json')
            if auth:
                req.add_header('Authorization', auth)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        assert post('/api/rooms/giao-ban/tokens')[0] == 401
        assert post('/api/rooms/giao-ban/tokens', auth='Bearer hnk_wrong')[0] == 401
        assert post('/api/rooms/giao-ban/tokens', {'role': 'king'}, 'Bearer ' + key)[0] == 400
        assert post('/api/rooms/giao-ban/nothing', {}, 'Bearer ' + key)[0] == 404
        st, body = post('/api/rooms/giao-ban/tokens',
                        {'name': 'Thư ký Lan', 'role': 'secretary', 'ttl': 600}, 'Bearer ' + key)
        assert st == 201, body
        assert body['path'] == '/?room=giao-ban&token=' + body['token']
        assert body['expires'] - time.time() > 500

        async def use():
            ws = await ws_connect(srv)
            await ws.send(json.dumps({'type': 'join', 'room': 'giao-ban', 'name': 'x',
                                      'token': body['token']}))
            msg = await recv_json(ws)
            assert msg['type'] == 'joined' and msg['role'] == 'secretary', msg
            await ws.close()

        asyncio.run(use())
        deadline = time.monotonic() + 5
        rows = []
        while time.monotonic() < deadline:
            rows = query(str(data), 'SELECT actor, action, room, detail FROM audit ORDER BY id')
            if any(r[1] == 'join' for r in rows):
                break
            time.sleep(0.1)
        actions = [(r[0], r[1]) for r in rows]
        assert ('apikey:cong-thong-tin', 'token-minted') in actions, rows
        assert ('127.0.0.1', 'api-auth-failed') in actions, rows
        assert ('Thư ký Lan', 'join') in actions, rows
        log = srv.log()
        assert key not in log and body['token'] not in log and secret not in log
        assert key not in str(rows) and body['token'] not in str(rows)
    finally:
        problems = srv.stop()
        assert not problems, problems


def test_login_session_gives_the_account_role(tmp_path):
    """POST /api/login sets an HttpOnly session cookie; a WebSocket join with it gets the
    account's role even in a token-only room; wrong passwords are refused, audited, locked."""
    import urllib.error
    import urllib.request
    root = tmp_path / 'srv'
    root.mkdir()
    data = root / 'data'
    assert cli(str(data), 'user', 'add', 'chu-tri', '--role', 'chair', '--display-name',
               'Chủ trì Hà', stdin='mat-khau-chu-tri\n').returncode == 0
    secret = 'login-test-secret-0123456789'
    srv = Server(str(root), '[auth]\njwt_secret = %s\nlockout_failures = 3\n'
                 'lockout_seconds = 60\n[room:kin]\naccess = token\n' % secret)
    try:
        srv.start()

        def login(name, password):
            req = urllib.request.Request(srv.http_url + '/api/login', method='POST',
                                         data=json.dumps({'name': name,
                                                          'password': password}).encode())
            req.add_header('Content-Type', 'application/json')
            try:
                with urllib.request.urlopen(req, timeout=20) as r:
                    return r.status, r.headers.get('Set-Cookie'), json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, e.headers.get('Set-Cookie'), json.loads(e.read())

        st, cookie, body = login('chu-tri', 'mat-khau-chu-tri')
        assert st == 200 and body['role'] == 'chair', body
        assert cookie.startswith('hn_session=') and 'HttpOnly' in cookie, cookie
        assert 'SameSite=Strict' in cookie and 'Secure' not in cookie, cookie
        session = cookie.split(';')[0]

        async def joins():
            ws = await ws_connect(srv, extra_headers={'Cookie': 'x=1; ' + session})
            await ws.send(json.dumps({'type': 'join', 'room': 'kin', 'name': 'ai đó'}))
            msg = await recv_json(ws)
            assert msg['type'] == 'joined' and msg['role'] == 'chair', msg
            await ws.close()
            ws = await ws_connect(srv)  # no cookie: a token-only room refuses
            await ws.send(json.dumps({'type': 'join', 'room': 'kin', 'name': 'ai đó'}))
            msg = await recv_json(ws)
            assert msg['type'] == 'error' and msg['code'] == 'auth-required', msg
            await ws.close()

        asyncio.run(joins())
        assert login('chu-tri', 'sai-mat-khau-1')[0] == 401
        assert login('khong-co', 'sai-mat-khau-2')[0] == 401
        assert login('chu-tri', 'sai-mat-khau-3')[0] == 401
        assert login('chu-tri', 'mat-khau-chu-tri')[0] == 429  # locked, even when right
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the store thread writes them a moment later
            rows = query(str(data), 'SELECT actor, action, detail FROM audit ORDER BY id')
            actions = [r[1] for r in rows]
            if actions.count('login-failed') == 3 and 'address-locked' in actions:
                break
            time.sleep(0.1)
        assert actions.count('login') == 1 and actions.count('login-failed') == 3, rows
        assert 'address-locked' in actions and 'join' in actions, rows
        log = srv.log()
        for secret_text in ('mat-khau', session.split('=', 1)[1], secret):
            assert secret_text not in log and secret_text not in str(rows)
    finally:
        problems = srv.stop()
        assert not problems, problems
