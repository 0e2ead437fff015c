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
