"""Secure by default (issue 9), through the real binary: tls = self-signed makes a certificate on
first start and keeps it (same fingerprint after a restart, printed at start-up), a wss join
verified against it; plain HTTP refused on a non-loopback address before anything is bound; the
/login page and the admin-only /admin/audit with its JSON and CSV export."""
import asyncio
import csv
import hashlib
import io
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request

from harness import HOINGHI_BIN, Server, free_port, recv_json, run_cli, sanitizer_env, ws_connect

FP_RE = re.compile(r'SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})')


def cli(data_dir, *args, stdin=None):
    return subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=30, env=sanitizer_env())


def no_verify():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def http(server, path, method='GET', body=None, cookie=None):
    """(status, headers, body bytes); redirects are not followed."""
    req = urllib.request.Request(server.http_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        req.add_header('Content-Type', 'application/json')
    if cookie:
        req.add_header('Cookie', cookie)
    handlers = [NoRedirect()]
    if server.tls_ctx:
        handlers.append(urllib.request.HTTPSHandler(context=server.tls_ctx))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def login(server, name, password):
    st, headers, body = http(server, '/api/login', 'POST', {'name': name, 'password': password})
    return st, headers.get('Set-Cookie'), body


def test_self_signed_made_kept_and_verified(tmp_path):
    data = tmp_path / 'data'
    conf = '[server]\ntls = self-signed\n'
    assert cli(str(data), 'user', 'add', 'thu-ky', '--role', 'secretary',
               stdin='mat-khau-thu-ky\n').returncode == 0
    first = Server(str(tmp_path / 'a'), conf, ('--data-dir', str(data)), tls_ctx=no_verify())
    second = None
    try:
        first.start()
        log = first.log()
        assert 'https://127.0.0.1:%d/' % first.port in log, log
        assert '(self-signed, made now)' in log, log
        fp = FP_RE.search(log).group(1)
        cert = data / 'tls' / 'cert.pem'
        key = data / 'tls' / 'key.pem'
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(data / 'tls').st_mode) == 0o700
        text = subprocess.run(['openssl', 'x509', '-in', str(cert), '-noout', '-text'],
                              capture_output=True, text=True, check=True).stdout
        assert 'prime256v1' in text or 'P-256' in text, text
        assert 'IP Address:127.0.0.1' in text and socket.gethostname() in text, text
        # a client that trusts this certificate (the fingerprint people compare) verifies it
        ctx = ssl.create_default_context(cafile=str(cert))
        first.tls_ctx = ctx
        assert first.healthz() == 200
        with socket.create_connection(('127.0.0.1', first.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as s:
                seen = hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest().upper()
        assert ':'.join(seen[i:i + 2] for i in range(0, 64, 2)) == fp

        async def join():
            ws = await ws_connect(first)
            await ws.send(json.dumps({'type': 'join', 'room': 'tls', 'name': 'Đại biểu'}))
            msg = await recv_json(ws)
            await ws.close()
            return msg

        msg = asyncio.run(join())
        assert msg['type'] == 'joined' and msg['room'] == 'tls', msg
        st, cookie, _ = login(first, 'thu-ky', 'mat-khau-thu-ky')
        assert st == 200 and '; Secure' in cookie and 'HttpOnly' in cookie, cookie
        problems = first.stop()
        assert not problems, problems

        second = Server(str(tmp_path / 'b'), conf, ('--data-dir', str(data)), tls_ctx=ctx)
        second.start()
        log = second.log()
        assert '(self-signed, kept)' in log and FP_RE.search(log).group(1) == fp, log
        second.assert_healthy()
    finally:
        for s in (first, second):
            if s and s.alive():
                s.stop()


def test_plain_http_refused_off_loopback(tmp_path):
    """0.0.0.0 without TLS: a clear refusal naming the setting, before the port is bound (the
    test holds the port itself: a bind attempt would say "in use") or the data dir is made."""
    port = free_port()
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(('127.0.0.1', port))
        held.listen()
        data = tmp_path / 'data'
        p = run_cli(['--listen', '0.0.0.0:%d' % port, '--data-dir', str(data)])
        assert p.returncode == 2, p
        assert 'not a loopback address' in p.stderr and 'insecure_http = true' in p.stderr, p.stderr
        assert 'tls = self-signed' in p.stderr and 'in use' not in p.stderr, p.stderr
        assert not data.exists()
        p = run_cli(['--listen', '[::]:%d' % port, '--data-dir', str(data)])
        assert p.returncode == 2 and 'insecure_http' in p.stderr, p.stderr
    conf = tmp_path / 'bad.conf'
    conf.write_text('[server]\ntls = maybe\n')
    p = run_cli(['--config', str(conf), '--data-dir', str(data)])
    assert p.returncode == 2 and '[server] tls' in p.stderr and 'self-signed' in p.stderr


def audit_rows(server, query, cookie):
    st, _, body = http(server, '/admin/audit.json' + query, cookie=cookie)
    assert st == 200, body
    return json.loads(body)


def test_login_page_and_audit(tmp_path):
    data = tmp_path / 'data'
    assert cli(str(data), 'user', 'add', 'quan-tri', '--role', 'admin', '--display-name',
               'Quản trị', stdin='mat-khau-quan-tri\n').returncode == 0
    assert cli(str(data), 'user', 'add', 'chu-tri', '--role', 'chair',
               stdin='mat-khau-chu-tri\n').returncode == 0
    srv = Server(str(tmp_path / 'srv'), None, ('--data-dir', str(data)))
    try:
        srv.start()
        st, headers, body = http(srv, '/login')
        assert st == 200 and b'/js/login.js' in body and b'type="password"' in body
        assert "frame-ancestors 'none'" in headers['Content-Security-Policy']
        # no session: the page sends to /login, the data is 401
        st, headers, _ = http(srv, '/admin/audit')
        assert st == 303 and headers['Location'] == '/login?next=/admin/audit'
        assert http(srv, '/admin/audit.json')[0] == 401
        assert http(srv, '/admin/audit.csv')[0] == 401
        assert http(srv, '/admin/audit.json', cookie='hn_session=forged.token.here')[0] == 401
        # a chair's session: 403
        st, cookie, _ = login(srv, 'chu-tri', 'mat-khau-chu-tri')
        chair = cookie.split(';')[0]
        assert http(srv, '/admin/audit', cookie=chair)[0] == 403
        assert http(srv, '/admin/audit.json', cookie=chair)[0] == 403
        # the admin: the page, then joins with a formula and Vietnamese in the names
        assert login(srv, 'quan-tri', 'sai-mat-khau')[0] == 401
        st, cookie, body = login(srv, 'quan-tri', 'mat-khau-quan-tri')
        assert st == 200 and json.loads(body)['role'] == 'admin'
        assert 'HttpOnly' in cookie and 'SameSite=Strict' in cookie and 'Secure' not in cookie
        admin = cookie.split(';')[0]
        st, _, body = http(srv, '/admin/audit', cookie=admin)
        assert st == 200 and b'/js/audit.js' in body

        async def joins():
            for room, name in (('phong-a', '=HYPERLINK("http://x","bấm")'),
                               ('phong-b', 'Nguyễn Thị Hoa, "Sở Y tế"'), ('phong-a', '@lệnh')):
                ws = await ws_connect(srv)
                await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
                assert (await recv_json(ws))['type'] == 'joined'
                await ws.close()

        asyncio.run(joins())
        deadline = time.monotonic() + 10
        while len(audit_rows(srv, '?action=join', admin)['rows']) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        # filters
        rows = audit_rows(srv, '?room=phong-a&action=join', admin)['rows']
        assert [r['actor'] for r in rows] == ['@lệnh', '=HYPERLINK("http://x","bấm")']
        assert [r['actor'] for r in audit_rows(srv, '?actor=chu-tri', admin)['rows']] == \
            ['chu-tri']
        assert audit_rows(srv, '?actor=' + urllib.parse.quote('Nguyễn Thị Hoa, "Sở Y tế"'),
                          admin)['rows'][0]['room'] == 'phong-b'
        now = int(time.time())
        assert audit_rows(srv, '?to=%d' % (now - 3600), admin)['rows'] == []
        everything = audit_rows(srv, '?from=%d&to=%d' % (now - 3600, now + 3600), admin)['rows']
        assert len(everything) >= 8  # 2 user-add, 3 logins, 1 failed, 3 joins
        assert http(srv, '/admin/audit.json?from=yesterday', cookie=admin)[0] == 400
        assert http(srv, '/admin/audit.json?limit=0', cookie=admin)[0] == 400
        # paging: two rows at a time, newest first, no row twice, none lost
        seen, before = [], ''
        while True:
            page = audit_rows(srv, '?limit=2' + before, admin)
            seen += [r['id'] for r in page['rows']]
            if page['next_before'] is None:
                break
            before = '&before=%d' % page['next_before']
        assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
        assert len(seen) >= len(everything)
        # CSV: BOM, RFC 4180, formula cells neutralised, same filters
        st, headers, body = http(srv, '/admin/audit.csv?action=join', cookie=admin)
        assert st == 200 and headers['Content-Type'].startswith('text/csv')
        assert 'attachment' in headers['Content-Disposition']
        assert body.startswith(b'\xef\xbb\xbf') and b'\r\n' in body
        table = list(csv.reader(io.StringIO(body.decode('utf-8-sig'), newline='')))
        assert table[0] == ['id', 'time', 'actor', 'action', 'room', 'detail']
        actors = [r[2] for r in table[1:]]
        assert actors == ["'@lệnh", 'Nguyễn Thị Hoa, "Sở Y tế"', '\'=HYPERLINK("http://x","bấm")']
        assert all(r[3] == 'join' for r in table[1:]) and len(table[1][1]) == 25
        # logout clears the cookie and sends to /login
        st, headers, _ = http(srv, '/logout', cookie=admin)
        assert st == 303 and headers['Location'] == '/login'
        assert 'Max-Age=0' in headers['Set-Cookie']
        actions = [r['action'] for r in audit_rows(srv, '?actor=quan-tri', admin)['rows']]
        assert 'logout' in actions and 'audit-export' in actions and 'login' in actions
        srv.assert_healthy()
    finally:
        problems = srv.stop()
        assert not problems, problems


def test_secrets_never_logged(tmp_path):
    """A session with every kind of secret (a join token, a PIN and a wrong one, a password and a
    wrong one, an API key and a wrong one, a session cookie), the server at log level debug:
    neither its whole output nor the audit table holds any of them."""
    import jwt
    data = tmp_path / 'data'
    secret = 'jwt-secret-5f1c0e9a7b3d'
    pin, wrong_pin = '58273916', '91827364'
    password, wrong_password = 'mat-khau-bi-mat-7q', 'mat-khau-sai-3z'
    assert cli(str(data), 'user', 'add', 'quan-tri', '--role', 'admin',
               stdin=password + '\n').returncode == 0
    key = cli(str(data), 'apikey', 'add', 'cong').stdout.strip()
    wrong_key = 'hnk_' + 'x' * 43
    conf = ('[server]\nlog_level = debug\n[auth]\njwt_secret = %s\nlockout_failures = 50\n'
            '[room:kin]\naccess = token\n[room:pin]\npin = %s\naccess = pin\n' % (secret, pin))
    srv = Server(str(tmp_path / 'srv'), conf, ('--data-dir', str(data)))
    secrets = {'jwt secret': secret, 'pin': pin, 'wrong pin': wrong_pin, 'password': password,
               'wrong password': wrong_password, 'api key': key, 'wrong api key': wrong_key}
    try:
        srv.start()
        assert login(srv, 'quan-tri', wrong_password)[0] == 401
        st, cookie, _ = login(srv, 'quan-tri', password)
        assert st == 200
        session = cookie.split(';')[0]
        secrets['session cookie'] = session.split('=', 1)[1]
        for auth in ('Bearer ' + wrong_key, 'Bearer ' + key):
            req = urllib.request.Request(srv.http_url + '/api/rooms/kin/tokens', method='POST',
                                         data=json.dumps({'name': 'Khách', 'role': 'participant'}).encode())
            req.add_header('Content-Type', 'application/json')
            req.add_header('Authorization', auth)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    secrets['minted token'] = json.loads(r.read())['token']
            except urllib.error.HTTPError as e:
                assert e.code == 401
        own = jwt.encode({'room': 'kin', 'name': 'Chủ trì', 'role': 'chair',
                          'exp': int(time.time()) + 600}, secret, algorithm='HS256')
        secrets['join token'] = own

        async def joins():
            for msg, headers, want in (
                    ({'room': 'kin', 'token': own}, {}, 'joined'),
                    ({'room': 'kin', 'token': secrets['minted token']}, {}, 'joined'),
                    ({'room': 'kin', 'token': own[:-4] + 'AAAA'}, {}, 'error'),
                    ({'room': 'pin', 'pin': wrong_pin}, {}, 'error'),
                    ({'room': 'pin', 'pin': pin}, {}, 'joined'),
                    ({'room': 'kin'}, {'Cookie': session}, 'joined')):
                ws = await ws_connect(srv, extra_headers=headers)
                await ws.send(json.dumps(dict({'type': 'join', 'name': 'Đại biểu'}, **msg)))
                reply = await recv_json(ws)
                assert reply['type'] == want, (msg, reply)
                await ws.close()

        asyncio.run(joins())
        assert http(srv, '/admin/audit.csv', cookie=session)[0] == 200
        assert http(srv, '/admin/audit.json?actor=' + pin, cookie=session)[0] == 200
        deadline = time.monotonic() + 10
        while 'audit-export' not in json.dumps(audit_rows(srv, '', session)):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        srv.assert_healthy()
    finally:
        problems = srv.stop()
        assert not problems, problems
    log = open(srv.log_path, encoding='utf-8', errors='replace').read()
    import sqlite3
    db = sqlite3.connect(str(data / 'hoinghi.db'))
    audit = json.dumps(db.execute('SELECT * FROM audit').fetchall(), ensure_ascii=False)
    db.close()
    assert 'join' in audit and 'login-failed' in audit and 'bad-pin' in audit
    for what, value in secrets.items():
        parts = [value] + ([value.split('.')[2]] if value.count('.') == 2 else [])
        for part in parts:
            assert part not in log, '%s in the server log' % what
            assert part not in audit, '%s in the audit table' % what
