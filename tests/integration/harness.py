"""Helpers for the integration tests: run the real hoinghi binary and real GStreamer participants.

Server: started on a free 127.0.0.1 port with a temporary data dir, waited for until GET /healthz
answers 200, stopped by PID with SIGTERM. A server that died on its own, exited on a signal
other than our SIGTERM, or printed a sanitizer report is a test failure.
"""
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import websockets

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
HOINGHI_BIN = os.environ.get('HOINGHI_BIN', os.path.join(REPO, 'build', 'server', 'hoinghi'))
GST_CLIENT = os.path.join(REPO, 'tests', 'interop', 'gst_client.py')
GST_PYTHON = os.environ.get('GST_PYTHON', '/usr/bin/python3')

SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                     'ERROR: ThreadSanitizer', 'WARNING: ThreadSanitizer')


def free_port(kind=socket.SOCK_STREAM):
    """A port that was free on 127.0.0.1 a moment ago, taken below the kernel's ephemeral range
    (32768-60999): a port the kernel handed to this bind(0) could be handed to the next bind(0) of
    any process (the server's legs, webrtcbin, Chromium) before the test binds it again, which made
    a GStreamer sender fail with "Address already in use"."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free port in 20000-31999')


def tail(path, n=60):
    try:
        with open(path, 'r', encoding='utf-8', errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return ''


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1')
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')
    supp = os.path.join(os.path.dirname(__file__), 'lsan.supp')
    if os.path.exists(supp):
        env.setdefault('LSAN_OPTIONS', 'suppressions=%s:print_suppressions=0' % supp)
    return env


def run_cli(args, timeout=15, cwd=None):
    """Runs the binary to completion; returns CompletedProcess (text)."""
    return subprocess.run([HOINGHI_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=sanitizer_env(), stdin=subprocess.DEVNULL)


def sanitizer_report(text):
    for marker in SANITIZER_MARKERS:
        if marker in text:
            return marker
    return None


class Server:
    """One running hoinghi process."""

    def __init__(self, workdir, config_text=None, extra_args=(), tls_ctx=None):
        self.workdir = workdir
        self.tls_ctx = tls_ctx  # an ssl.SSLContext: the server serves https/wss
        self.port = free_port()
        self.host = '127.0.0.1'
        self.data_dir = os.path.join(workdir, 'data')
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(workdir, 'server.log')
        self.args = [HOINGHI_BIN, '--listen', '%s:%d' % (self.host, self.port),
                     '--data-dir', self.data_dir]
        if config_text is not None:
            self.config_path = os.path.join(workdir, 'hoinghi.conf')
            with open(self.config_path, 'w', encoding='utf-8') as f:
                f.write(config_text)
            self.args[1:1] = ['--config', self.config_path]
        self.args += list(extra_args)
        self.proc = None
        self.stopped_rc = None

    @property
    def ws_url(self):
        return '%s://%s:%d/ws' % ('wss' if self.tls_ctx else 'ws', self.host, self.port)

    @property
    def http_url(self):
        return '%s://%s:%d' % ('https' if self.tls_ctx else 'http', self.host, self.port)

    def start(self, timeout=15):
        if not os.access(HOINGHI_BIN, os.X_OK):
            raise AssertionError('server binary %s is missing: build it first (meson/ninja) or '
                                 'set HOINGHI_BIN' % HOINGHI_BIN)
        self._log = open(self.log_path, 'w', encoding='utf-8')
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=sanitizer_env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('server exited with %s during start-up:\n%s'
                                     % (self.proc.returncode, tail(self.log_path)))
            if self.healthz(timeout=0.5) == 200:
                return self
            time.sleep(0.1)
        raise AssertionError('server did not answer /healthz within %ss:\n%s'
                             % (timeout, tail(self.log_path)))

    def healthz(self, timeout=3):
        """HTTP status of GET /healthz, or None when unreachable."""
        try:
            with urllib.request.urlopen(self.http_url + '/healthz', timeout=timeout,
                                        context=self.tls_ctx) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except (OSError, ValueError):
            return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        self._log.flush()
        return tail(self.log_path, 100000)

    def assert_healthy(self):
        """The process still runs, answers /healthz 200 and printed no sanitizer report."""
        assert self.alive(), 'server died (exit %s):\n%s' % (self.proc.returncode,
                                                             tail(self.log_path))
        status = self.healthz()
        assert status == 200, '/healthz answered %s:\n%s' % (status, tail(self.log_path))
        marker = sanitizer_report(self.log())
        assert marker is None, 'sanitizer report (%s) in server log:\n%s' % (
            marker, tail(self.log_path, 120))

    def stop(self, timeout=15):
        """SIGTERM by PID; returns a list of problems (empty when the server behaved)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append('server had already exited with %s before the test stopped it'
                            % self.proc.returncode)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append('server ignored SIGTERM for %ss; killed' % timeout)
        rc = self.proc.returncode
        self.stopped_rc = rc
        if rc not in (0, -signal.SIGTERM) and not problems:
            problems.append('server exited with %s after SIGTERM' % rc)
        self._log.close()
        marker = sanitizer_report(tail(self.log_path, 100000))
        if marker:
            problems.append('sanitizer report in server log: %s' % marker)
        return problems


class GstClient:
    """A gst_client.py participant running as a subprocess."""

    def __init__(self, server, workdir, name, room, duration, extra=()):
        self.name = name
        self.report_path = os.path.join(workdir, 'client-%s.json' % name)
        self.log_path = os.path.join(workdir, 'client-%s.log' % name)
        self.duration = duration
        args = [GST_PYTHON, GST_CLIENT, '--url', server.ws_url, '--room', room, '--name', name,
                '--duration', str(duration), '--report', self.report_path] + list(extra)
        self._log = open(self.log_path, 'w', encoding='utf-8')
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        self.started = time.monotonic()

    def report(self):
        """The latest report written by the client, or None before its first one."""
        try:
            with open(self.report_path, 'r', encoding='utf-8') as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_joined(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rep = self.report()
            if rep and rep.get('joined'):
                return rep
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError('client %s did not join:\n%s' % (self.name, tail(self.log_path)))

    def wait(self, extra=25):
        """Waits for the client to finish; returns its final report."""
        try:
            self.proc.wait(max(1, self.duration + extra - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('client %s hung:\n%s' % (self.name, tail(self.log_path)))
        self._log.close()
        rep = self.report()
        assert rep is not None, 'client %s wrote no report:\n%s' % (self.name, tail(self.log_path))
        rep['rc'] = self.proc.returncode
        return rep

    def stop(self, timeout=15):
        """Asks the client to leave now (SIGTERM: it sends `leave`); returns its final report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.duration = 0
        self.started = time.monotonic()
        return self.wait(extra=timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._log.closed:
            self._log.close()

    def describe(self):
        return 'client %s log:\n%s\nreport errors: %s' % (
            self.name, tail(self.log_path, 30), (self.report() or {}).get('errors'))


def counts_from(rep, pid):
    """(video_frames, audio_buffers) that report `rep` decoded from participant `pid`."""
    entry = (rep or {}).get('received', {}).get(pid) or {}
    return entry.get('video_frames', 0), entry.get('audio_buffers', 0)


def counts_at(rep, pid, t):
    """(video_frames, audio_buffers) decoded from `pid` at report time `t` (from the history)."""
    best = (0, 0)
    for when, video, audio in ((rep or {}).get('received', {}).get(pid) or {}).get('history', []):
        if when <= t:
            best = (video, audio)
    return best


def events_of(rep, kind):
    return [e for e in (rep or {}).get('events', []) if e.get('type') == kind]


def loopback_candidate_addrs(reports):
    """{(ip, port)} from the server candidates the clients received, loopback addresses only."""
    addrs = set()
    for rep in reports:
        for c in (rep or {}).get('remote_candidates', []):
            fields = c['candidate'].split()
            if len(fields) >= 8 and fields[2].lower() == 'udp':
                ip, port = fields[4], int(fields[5])
                if ip.startswith('127.') or ip == '::1':
                    addrs.add((ip, port))
    return addrs


# ---- raw WebSocket helpers (for protocol tests) ----

async def ws_connect(server, **kw):
    kw.setdefault('max_size', 2 ** 22)
    kw.setdefault('open_timeout', 5)
    kw.setdefault('ping_interval', None)   # no WebSocket-level pings: idle tests rely on it
    if server.tls_ctx:
        kw.setdefault('ssl', server.tls_ctx)
    return await websockets.connect(server.ws_url, **kw)


async def recv_json(ws, timeout=5, skip=('pong', 'candidate')):
    """The next JSON message whose type is not in `skip`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError('no message within %ss' % timeout)
        raw = await asyncio.wait_for(ws.recv(), left)
        assert isinstance(raw, str), 'server sent a binary frame'
        msg = json.loads(raw)
        assert isinstance(msg, dict) and isinstance(msg.get('type'), str), raw
        if msg['type'] not in skip:
            return msg


async def recv_type(ws, kind, timeout=5, skip_only=None):
    """The next message of type `kind`, skipping others on the way (only types in `skip_only`,
    when given: another one fails)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv_json(ws, max(0.1, deadline - time.monotonic()))
        if msg['type'] == kind:
            return msg
        assert skip_only is None or msg['type'] in skip_only, msg


async def expect_error(ws, code, ref=None, timeout=5):
    msg = await recv_json(ws, timeout)
    assert msg['type'] == 'error', 'expected error %s, got %r' % (code, msg)
    assert msg.get('code') == code, 'expected error code %s, got %r' % (code, msg)
    assert isinstance(msg.get('message'), str), msg
    if ref is not None:
        assert msg.get('ref') == ref, 'expected ref %s in %r' % (ref, msg)
    return msg


async def expect_closed(ws, timeout=5):
    """Waits until the server closes `ws`; returns the close code."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
    except websockets.ConnectionClosed:
        return ws.close_code
    except asyncio.TimeoutError:
        pass
    raise AssertionError('server did not close the socket within %ss' % timeout)


def db_query(data_dir, sql):
    """Rows of sql on <data_dir>/hoinghi.db, read by sqlite3 next to the server (WAL)."""
    import sqlite3
    db = sqlite3.connect(os.path.join(data_dir, 'hoinghi.db'))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def log_note(text):
    print(text, file=sys.stderr, flush=True)


def valid_room(prefix):
    return re.sub(r'[^A-Za-z0-9_.-]', '-', '%s-%d-%d' % (prefix, os.getpid(), time.monotonic_ns()))
