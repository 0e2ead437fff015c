"""The HTTP front: what address it binds, the route table's answers (404, 405, 400, 413)."""
import json
import os
import socket
import urllib.error
import urllib.request

import pytest

import harness

TCP_LISTEN = '0A'


def _hex_addr(text, v6):
    """'0100007F:1F90' -> ('127.0.0.1', 8080) from a /proc/net/tcp{,6} local_address field."""
    addr, port = text.split(':')
    raw = bytes.fromhex(addr)
    if v6:  # four little-endian 32-bit words
        raw = b''.join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        return socket.inet_ntop(socket.AF_INET6, raw), int(port, 16)
    return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)


def listening_sockets(pid):
    """[(ip, port)] of the TCP sockets in LISTEN state that process pid holds open."""
    inodes = set()
    fd_dir = '/proc/%d/fd' % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[8:-1])
    found = []
    for name, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
        try:
            with open(name, encoding='ascii') as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == TCP_LISTEN and fields[9] in inodes:
                found.append(_hex_addr(fields[1], v6))
    return found


def test_listen_binds_only_the_configured_ipv4_address(server):
    """--listen 127.0.0.1:PORT ("this machine only") must not listen on every address."""
    assert listening_sockets(server.proc.pid) == [('127.0.0.1', server.port)]
    log = server.log()
    assert 'HTTP/WebSocket on TCP 127.0.0.1:%d;' % server.port in log, log
    assert 'UDP 127.0.0.1:' in log.split('listening:')[1], log


def _ipv6_loopback_usable():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_usable(), reason='no IPv6 loopback on this machine')
def test_listen_binds_only_the_configured_ipv6_address(tmp_path):
    srv = harness.Server(str(tmp_path))
    srv.host = '[::1]'
    srv.args[2] = '[::1]:%d' % srv.port
    srv.start()
    try:
        assert listening_sockets(srv.proc.pid) == [('::1', srv.port)]
        assert 'HTTP/WebSocket on TCP [::1]:%d;' % srv.port in srv.log()
    finally:
        assert srv.stop() == []


# ---- the route table ----

def request(server, method, path, body=None, headers=None):
    """(status, headers dict lower-cased, body bytes) of one HTTP/1.1 request on its own socket."""
    import http.client
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def json_error(status, headers, data, want):
    assert status == want, (status, data)
    assert headers['content-type'] == 'application/json', headers
    doc = json.loads(data)
    assert set(doc) == {'error'} and isinstance(doc['error'], str) and doc['error'], doc
    return doc['error']


def test_healthz_and_static_client_unchanged(server):
    status, headers, data = request(server, 'GET', '/healthz')
    assert status == 200 and headers['content-type'] == 'application/json'
    assert headers['cache-control'] == 'no-store'
    doc = json.loads(data)
    assert doc['status'] == 'ok' and doc['rooms'] == 0, doc
    status, headers, data = request(server, 'HEAD', '/healthz')
    assert status == 200 and data == b'' and int(headers['content-length']) > 0, headers
    status, headers, data = request(server, 'GET', '/')
    assert status == 200 and headers['content-type'].startswith('text/html') and b'<html' in data
    status, headers, _ = request(server, 'GET', '/js/app.js')
    assert status == 200 and 'javascript' in headers['content-type']
    assert request(server, 'GET', '/no-such-file.txt')[0] == 404


def test_unknown_path_404_and_wrong_method_405(server):
    json_error(*request(server, 'GET', '/api/nope'), 404)
    json_error(*request(server, 'GET', '/healthz/x'), 404)
    status, headers, data = request(server, 'POST', '/healthz', body=b'{}',
                                    headers={'Content-Type': 'application/json'})
    msg = json_error(status, headers, data, 405)
    assert headers['allow'] == 'GET, HEAD', headers
    assert 'POST' in msg, msg
    status, headers, data = request(server, 'DELETE', '/metrics')
    json_error(status, headers, data, 405)
    assert headers['allow'] == 'GET, HEAD', headers
    status, headers, data = request(server, 'GET', '/api/logout')  # /api/v1 is the REST API's
    json_error(status, headers, data, 405)
    assert headers['allow'] == 'POST', headers


def test_json_body_checks(server):
    h = {'Content-Type': 'application/json'}
    status, headers, data = request(server, 'POST', '/api/v1/echo', body=b'{"a":[1,"x"]}', headers=h)
    assert status == 200 and json.loads(data) == {'a': [1, 'x']}, (status, data)
    for bad in (b'{"a":', b'[1]', b'"s"', b'{"a":1,"a":2}', b'\xff\xfe'):
        msg = json_error(*request(server, 'POST', '/api/v1/echo', body=bad, headers=h), 400)
        assert msg, bad
    # over the route's limit (4 KiB): 413, and the server goes on
    big = json.dumps({'a': 'x' * 5000}).encode()
    json_error(*request(server, 'POST', '/api/v1/echo', body=big, headers=h), 413)
    # a huge declared body is refused at once
    with socket.create_connection(('127.0.0.1', server.port), timeout=10) as s:
        s.sendall(b'POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
                  b'Content-Length: 100000000\r\n\r\n{"a":')
        reply = b''
        while b'\r\n\r\n' not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        assert reply.startswith(b'HTTP/1.1 413'), reply
    server.assert_healthy()


def test_keep_alive_serves_several_requests(server):
    import http.client
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    try:
        for path, want in (('/healthz', 200), ('/api/nope', 404), ('/healthz', 200)):
            conn.request('GET', path)
            r = conn.getresponse()
            r.read()
            assert r.status == want, (path, r.status)
    finally:
        conn.close()
