"""Overload without harm (issue 14): a server whose workers stall (SIGSTOP of the whole process,
as an overloaded machine would) drops the media that waited too long instead of forwarding it
late, keeps everyone who is in the meeting, and refuses newcomers with `server-busy` and a retry
hint while it is behind."""
import asyncio
import json
import os
import signal
import subprocess
import time

from harness import (counts_from, events_of, expect_error, free_port, recv_json, run_cli,
                     valid_room, ws_connect)
from test_media import finish
from test_metrics import scrape, total
from test_whip import SECRET, canned_offer, post_offer, token


def stall(server, seconds):
    """Stops every thread of the server for `seconds`: packets pile up in its sockets."""
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)


def wait_decoding(client, pid, frames, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v, a = counts_from(client.report(), pid)
        if v >= frames and a >= frames:
            return v, a
        time.sleep(0.2)
    raise AssertionError('%s never decoded %d frames from %s:\n%s'
                         % (client.name, frames, pid, client.describe()))


def two_in_a_room(start_server, clients, conf, prefix):
    room = valid_room(prefix)
    server = start_server('[server]\nworkers = 1\n' + conf.replace('{room}', room))
    a = clients(server, 'A', room, 16)
    pa = a.wait_joined()['id']
    b = clients(server, 'B', room, 14)
    pb = b.wait_joined()['id']
    wait_decoding(b, pa, 20)
    wait_decoding(a, pb, 20)
    return server, room, a, b, pa, pb


def assert_kept(ra, rb, pa, pb, before):
    """Nobody was dropped (B leaving at its end is the only departure), and both kept decoding
    each other after the stall."""
    for rep in (ra, rb):
        gone = [e for e in events_of(rep, 'participant-left') if e.get('reason') != 'left']
        assert gone == [], gone
    for rep, other, (v0, a0) in ((rb, pa, before[0]), (ra, pb, before[1])):
        v, a = counts_from(rep, other)
        assert v > v0 + 30 and a > a0 + 50, (
            'decoded %d video / %d audio from %s after the stall began at %d / %d'
            % (v, a, other, v0, a0))


def test_stalled_worker_drops_late_media_and_keeps_everyone(start_server, clients):
    server, _, a, b, pa, pb = two_in_a_room(start_server, clients, '', 'late')
    _, s0 = scrape(server)
    late0 = total(s0, 'hoinghi_udp_rx_late_total')
    before = (counts_from(b.report(), pa), counts_from(a.report(), pb))
    stall(server, 1.5)
    ra, rb = finish(a, b)
    _, s1 = scrape(server)
    # 1.5 s of two participants' audio alone is 150 packets: all of it was older than 100 ms
    assert total(s1, 'hoinghi_udp_rx_late_total') - late0 >= 50, s1
    # what was read after the stall had waited about its length in the socket
    assert total(s1, 'hoinghi_udp_rx_queue_delay_max_seconds') >= 1.0, s1
    assert total(s1, 'hoinghi_udp_rx_queue_delay_seconds_bucket', le='+Inf') > 0, s1
    assert_kept(ra, rb, pa, pb, before)
    server.assert_healthy()


async def refused_join(server, room, tok=None):
    ws = await ws_connect(server)
    try:
        join = {'type': 'join', 'room': room, 'name': 'Late', 'id': 'j1'}
        if tok:
            join['token'] = tok
        await ws.send(json.dumps(join))
        msg = await expect_error(ws, 'server-busy', ref='join', timeout=10)
    finally:
        await ws.close()
    assert msg.get('id') == 'j1', msg
    assert isinstance(msg.get('retry_after'), int) and 1 <= msg['retry_after'] <= 60, msg
    return msg


def test_busy_server_refuses_newcomers_and_keeps_the_meeting(start_server, clients):
    # busy_hold 60: the server stays busy a minute after the stall, whatever this machine's speed
    conf = ('[auth]\njwt_secret = %s\n[media]\nbusy_hold = 60\n[room:{room}]\naccess = open\n'
            % SECRET)
    server, room, a, b, pa, pb = two_in_a_room(start_server, clients, conf, 'busy')
    before = (counts_from(b.report(), pa), counts_from(a.report(), pb))
    stall(server, 1.5)

    async def body():
        await refused_join(server, room)          # the meeting's worker is behind
        other = valid_room('x')  # and no room may open on it either
        await refused_join(server, other, token(other, role='participant'))
    asyncio.run(body())
    # a WHIP encoder (with a valid token) hears 503 with Retry-After
    st, hdrs, text = post_offer(server, 'hall', canned_offer(), token('hall'))
    assert st == 503 and 'overloaded' in text, (st, text)
    assert 1 <= int(hdrs.get('retry-after', '0')) <= 60, hdrs
    _, s = scrape(server)
    assert total(s, 'hoinghi_joins_busy_total') == 3, s
    assert total(s, 'hoinghi_worker_busy') == 1, s
    ra, rb = finish(a, b)
    assert_kept(ra, rb, pa, pb, before)
    server.assert_healthy()


def test_stall_longer_than_consent_timeout_drops_nobody(start_server, clients):
    """Liveness is judged on what the peers sent: a 4 s stall with consent_timeout = 3 (and no
    ICE restart grace) leaves both participants in, though all that media is dropped as late."""
    server, _, a, b, pa, pb = two_in_a_room(
        start_server, clients, '[media]\nconsent_timeout = 3\nice_restart_grace = 0\n', 'consent')
    before = (counts_from(b.report(), pa), counts_from(a.report(), pb))
    stall(server, 4)
    ra, rb = finish(a, b)
    _, s = scrape(server)
    assert total(s, 'hoinghi_udp_rx_late_total') >= 100, s
    assert_kept(ra, rb, pa, pb, before)
    server.assert_healthy()


PSI = 'some avg10=%.2f avg60=1.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'


async def joined_or_busy(server, room):
    """'joined' or 'server-busy' for a newcomer's join (the socket then closes)."""
    ws = await ws_connect(server)
    try:
        await ws.send(json.dumps({'type': 'join', 'room': room, 'name': 'New', 'id': 'j1'}))
        while True:
            msg = await recv_json(ws, timeout=10)
            if msg.get('type') == 'joined':
                return 'joined'
            if msg.get('type') == 'error':
                assert msg.get('code') == 'server-busy', msg
                return 'server-busy'
    finally:
        await ws.close()


def test_machine_cpu_pressure_refuses_newcomers(start_server, tmp_path):
    """[media] busy_cpu_pressure judges the machine, not a worker: with the pressure file (here a
    file written by the test in /proc/pressure/cpu's format, as a cgroup's cpu.pressure is) at
    95 %, a newcomer hears server-busy with a retry hint and /metrics shows the pressure; once it
    is back at 10 %, newcomers get in. A pressure file that cannot be read stops the start."""
    psi = tmp_path / 'cpu.pressure'
    psi.write_text(PSI % 95.0)
    conf = ('[media]\nbusy_cpu_pressure = 80\nbusy_hold = 1\ncpu_pressure_file = %s\n' % psi)
    server = start_server(conf)
    room = valid_room('psi')
    assert asyncio.run(joined_or_busy(server, room)) == 'server-busy'
    _, s = scrape(server)
    assert total(s, 'hoinghi_machine_cpu_pressure') == 0.95, s
    assert total(s, 'hoinghi_machine_busy') == 1, s
    assert total(s, 'hoinghi_joins_busy_total') == 1, s
    psi.write_text(PSI % 10.0)
    deadline = time.monotonic() + 15
    verdict = None
    while time.monotonic() < deadline and verdict != 'joined':
        verdict = asyncio.run(joined_or_busy(server, room))
        time.sleep(0.5)
    assert verdict == 'joined'
    _, s = scrape(server)
    assert total(s, 'hoinghi_machine_busy') == 0, s
    server.assert_healthy()
    bad = tmp_path / 'not-psi'
    bad.write_text('nothing here\n')
    for path in (bad, tmp_path / 'missing'):
        conf_path = tmp_path / 'bad.conf'
        conf_path.write_text('[media]\nbusy_cpu_pressure = 80\ncpu_pressure_file = %s\n' % path)
        proc = run_cli(['--config', str(conf_path), '--listen', '127.0.0.1:%d' % free_port(),
                        '--data-dir', str(tmp_path)])
        assert proc.returncode > 0 and 'cpu_pressure_file' in proc.stderr, proc.stderr


def test_handshake_budget_defers_a_join_storm_and_everyone_connects(start_server, tmp_path):
    """[media] handshake_budget_pct: new DTLS handshakes get a share of the worker's time, so a
    join storm cannot hold the meeting's media. With the share at 2 % (20 ms of handshakes per
    second, a 2 ms bucket) 24 subscribers joining at once do not all get in at once: their first
    flights are held and counted, let in one after another as the budget refills (without
    waiting for the peers' retransmission timers), and every one of them connects and receives
    the publisher's audio and video."""
    from test_meeting40 import hn_load_bin
    server = start_server('[server]\nworkers = 1\n[media]\nbusy_lag_ms = 0\n'
                          'handshake_budget_pct = 2\n')
    room = valid_room('hsbudget')
    out = str(tmp_path / 'hn-load.json')
    n = 24
    args = [hn_load_bin(), '--url', server.ws_url, '--room', room, '--publishers', '1',
            '--subscribers', str(n), '--spawn-rate', '200', '--video-size', '160x90',
            '--video-kbps', '100', '--audio-kbps', '16', '--duration', '3', '--threads', '2',
            '--local-ip', '127.0.0.1', '--setup-timeout', '90', '--max-loss', '50',
            '--wait-streams', '--server-pid', str(server.proc.pid), '--json', out]
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0')  # the tool's leaks are not ours
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180, env=env)
    with open(out, encoding='utf-8') as f:
        res = json.loads(f.readline())
    assert res['client_failures'] == 0, (res['problems'], proc.stderr[-3000:])
    assert res['subscribers_connected'] == n, res['problems']
    assert res['subscribers_silent'] == 0, res['problems']
    assert res['streams_receiving'] == res['streams_expected'] == 2 * n, res['problems']
    _, s = scrape(server)
    deferred = total(s, 'hoinghi_dtls_handshakes_deferred_total')
    admitted = total(s, 'hoinghi_dtls_handshakes_admitted_total')
    assert deferred > 0, s
    assert admitted >= n + 1, (admitted, deferred)  # the subscribers and the publisher
    spent = total(s, 'hoinghi_dtls_handshake_seconds_total')
    assert spent > 0
    print('handshakes: %d admitted, %d deferred, %.1f ms each, join p50 %s ms p95 %s ms' % (
        admitted, deferred, spent * 1000 / admitted, res['join_ms']['p50'], res['join_ms']['p95']))
    assert total(s, 'hoinghi_dtls_failures_total') == 0
    server.assert_healthy()
