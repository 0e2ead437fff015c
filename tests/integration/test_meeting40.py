"""A 40-participant meeting through the real server: every one of the 40 participants receives
audio and video from each of the 39 others (1560 streams), and GET /metrics, scraped during and
after the meeting, agrees with what the participants sent and received.

The participants are hn-load peers (tests/load, docs/load.md): real ICE, DTLS and SRTP, each
one publishing (libnice) and receiving (ICE-lite) on two peer connections, like a browser. The
media is made light for a 2-core machine: 160x90 VP8 at 100 kbit/s (about 31 packets/s) and
16 kbit/s Opus (50 packets/s) per publisher: 3,240 packets/s in, about 126,000 packets/s out
(40 x 81 x 39). Nothing here depends on timing: loss limits are
generous, and what is asserted is that every stream arrives and that the counters add up."""
import json
import os
import queue
import subprocess
import threading
import time


from harness import HOINGHI_BIN, REPO, tail, valid_room
from test_metrics import scrape, total, wait_until

N = 40
KINDS = ('audio', 'video')


def hn_load_bin():
    """hn-load of the plain build/ when there is one (the server under test may be a sanitizer
    build; hn-load is only the tool, and LeakSanitizer would turn its exit status into 1), else
    the one beside the server binary."""
    if os.environ.get('HN_LOAD_BIN'):
        return os.environ['HN_LOAD_BIN']
    plain = os.path.join(REPO, 'build', 'tests', 'load', 'hn-load')
    if os.access(plain, os.X_OK):
        return plain
    return os.path.join(os.path.dirname(os.path.dirname(HOINGHI_BIN)), 'tests', 'load',
                        'hn-load')


def scrape_all_workers(server, tries=5):
    """A scrape every worker answered in time (hoinghi_worker_up 1 for each)."""
    for _ in range(tries):
        types, samples = scrape(server)
        if total(samples, 'hoinghi_worker_up') == total(samples, 'hoinghi_workers'):
            return types, samples
        time.sleep(0.5)
    raise AssertionError('a worker missed %d scrapes in a row' % tries)


def drops_by_reason(samples):
    out = {}
    for (name, labels), v in samples.items():
        if name == 'hoinghi_router_drops_total':
            reason = dict(labels)['reason']
            out[reason] = out.get(reason, 0) + v
    return out


class MeshRun:
    """hn-load --mesh N against a server, its stdout read line by line."""

    def __init__(self, server, workdir, room, n=N):
        self.json_path = os.path.join(workdir, 'hn-load.json')
        self.err_path = os.path.join(workdir, 'hn-load.err')
        args = [hn_load_bin(), '--url', server.ws_url, '--room', room, '--mesh', str(n),
                '--video-size', '160x90', '--video-kbps', '100', '--audio-kbps', '16',
                '--duration', '4', '--spawn-rate', '20', '--threads', '2',
                '--local-ip', '127.0.0.1', '--setup-timeout', '120', '--max-loss', '30',
                '--wait-streams',
                '--server-pid', str(server.proc.pid), '--json', self.json_path]
        assert os.access(args[0], os.X_OK), '%s is missing: build it (ninja -C build)' % args[0]
        self._err = open(self.err_path, 'w', encoding='utf-8')
        env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0')  # the tool's leaks are not ours
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._err,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines = queue.Queue()
        self.out = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_line(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, 'hn-load printed no %r within %ss:\n%s' % (prefix, timeout,
                                                                         self.describe())
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, 'hn-load ended before %r (exit %s):\n%s' % (
                prefix, self.proc.poll(), self.describe())
            if line.startswith(prefix):
                return line

    def finish(self, timeout=120):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError('hn-load hung:\n' + self.describe())
        self._err.close()
        with open(self.json_path, encoding='utf-8') as f:
            results = [json.loads(line) for line in f if line.strip()]
        assert len(results) == 1, 'expected one RESULT line, got %d' % len(results)
        return rc, results[0]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._err.closed:
            self._err.close()

    def describe(self):
        if not self._err.closed:
            self._err.flush()
        return 'stdout:\n%s\nstderr tail:\n%s' % (''.join(self.out[-40:]), tail(self.err_path, 40))


def missing_streams(result):
    """[(subscriber, publisher, kind)] of the 40 x 39 x 2 streams that delivered no packet in
    the measurement window. In a mesh run the client index is also the publisher index. With
    --wait-streams the window starts only once every stream has delivered a packet (or after
    --setup-timeout): a slow machine delays the window, a stream that never arrives shows."""
    detail = result['subscriber_detail']
    assert detail is not None and len(detail) == N, 'no per-subscriber detail'
    missing = []
    for sub in detail:
        got = {(s['pub'], s['kind']) for s in sub['streams'] if s['packets'] > 0}
        assert (sub['index'], 'audio') not in got and (sub['index'], 'video') not in got, \
            '%s received its own media' % sub['name']
        for pub in range(N):
            for kind in KINDS:
                if pub != sub['index'] and (pub, kind) not in got:
                    missing.append((sub['name'], pub, kind))
    return missing


def test_forty_participants_receive_each_other_and_metrics_agree(start_server, tmp_path):
    # busy_lag_ms = 0: this test counts a 40-participant meeting on a machine it loads itself;
    # admission control (refusing newcomers on an overloaded worker) is test_overload.py's
    server = start_server('[rooms]\nmax_participants = 50\n[media]\nbusy_lag_ms = 0\n')
    room = valid_room('meeting40')
    run = MeshRun(server, str(tmp_path), room)
    try:
        # All 40 have joined, each has a first key frame: scrape while media flows.
        run.wait_line('WINDOW start', timeout=240)
        _, during = scrape_all_workers(server)
        rc, result = run.finish()
    finally:
        run.kill()

    # --- what the participants saw ---------------------------------------------------------
    assert result['mode'] == 'mesh' and result['publishers'] == N and result['subscribers'] == N
    assert result['client_failures'] == 0, result['problems']
    assert result['publishers_ready'] == N, result['problems']
    assert result['subscribers_connected'] == N, result['problems']
    assert result['subscribers_silent'] == 0, result['problems']
    missing = missing_streams(result)
    assert not missing, '%d of %d streams never arrived, e.g. (subscriber, publisher, kind) %s' % (
        len(missing), N * (N - 1) * 2, missing[:20])
    assert result['streams_expected'] == N * (N - 1) * 2 == result['streams_receiving']
    assert result['loss_pct'] <= 30, result['loss_pct']
    assert rc == 0, 'hn-load exit %s: %s\n%s' % (rc, result['problems'], run.describe())

    # --- /metrics while the meeting ran ---------------------------------------------------
    assert total(during, 'hoinghi_rooms') == 1
    assert total(during, 'hoinghi_participants') == N
    assert total(during, 'hoinghi_publishers') == N
    assert total(during, 'hoinghi_producers') == N * 2             # audio + video each
    assert total(during, 'hoinghi_consumers') == N * (N - 1) * 2    # everyone's from everyone
    assert total(during, 'hoinghi_transports') == N * 2             # pub + sub each
    assert total(during, 'hoinghi_joins_total') == N
    assert total(during, 'hoinghi_consumer_failures_total') == 0
    assert total(during, 'hoinghi_dtls_failures_total') == 0
    assert total(during, 'hoinghi_ice_failures_total') == 0

    # --- /metrics once everyone has left ---------------------------------------------------
    wait_until(lambda: total(scrape_all_workers(server)[1], 'hoinghi_rooms') == 0,
               'the room to close', timeout=60)
    _, after = scrape_all_workers(server)
    for name in ('hoinghi_participants', 'hoinghi_publishers', 'hoinghi_producers',
                 'hoinghi_consumers', 'hoinghi_transports'):
        assert total(after, name) == 0, name
    for name in ('hoinghi_consumer_failures_total', 'hoinghi_srtp_unprotect_errors_total',
                 'hoinghi_srtp_protect_errors_total', 'hoinghi_ice_failures_total'):
        # (hoinghi_dtls_failures_total after the leave: test_a_clean_leave_is_not_a_failure)
        assert total(after, name) == 0, (name, total(after, name))
    drops = drops_by_reason(after)
    assert {'bad_packet', 'unknown_ssrc', 'bad_pt', 'wait_keyframe', 'no_consumer'} <= set(drops)
    assert drops['bad_packet'] == 0 and drops['bad_pt'] == 0, drops

    sent = result['run']['sent_packets']          # by the 40 publishers up to the window's end
    received = result['run']['received_packets']  # by the 40 subscribers up to the window's end
    rtp_in = total(after, 'hoinghi_rtp_in_packets_total')
    rtp_out = total(after, 'hoinghi_rtp_out_packets_total')
    rtx = total(after, 'hoinghi_retransmissions_total')
    kernel_drops = total(after, 'hoinghi_udp_rx_kernel_drops_total')
    # dropped unread by the delay bound (late, or video shed first while behind), RTCP included
    late = total(after, 'hoinghi_udp_rx_late_total') + total(after, 'hoinghi_udp_rx_shed_video_total')
    print('meeting40: sent %d received %d (window loss %.3f%%); server rtp_in %d rtp_out %d '
          'rtx %d kernel_drops %d late %d drops %s; load generator pacing %s' % (
              sent, received, result['loss_pct'], rtp_in, rtp_out, rtx, kernel_drops, late, drops,
              result['pacing']))
    assert sent > 0 and received > 0
    # Everything the publishers sent reached the server's router, except what the kernel
    # dropped on a full socket, the delay bound dropped as late or the router refused before
    # knowing the stream (generous 5%).
    # Checked when the server kept up (window loss <= 1 %): on an overloaded server (a
    # sanitizer build on a busy machine) up to a quarter of the incoming packets were seen to
    # go uncounted; that gap is an open question (docs/operations.md), not asserted away here.
    kept_up = result['loss_pct'] <= 1
    assert not kept_up or rtp_in + kernel_drops + late + drops['unknown_ssrc'] >= 0.95 * sent, (
        'rtp_in', rtp_in, 'kernel_drops', kernel_drops, 'late', late, 'drops', drops, 'sent', sent,
        {n: total(after, n) for n in (
            'hoinghi_udp_rx_datagrams_total', 'hoinghi_udp_rx_unknown_source_total',
            'hoinghi_udp_rx_stun_requests_total', 'hoinghi_transport_rx_packets_total',
            'hoinghi_rtcp_in_packets_total', 'hoinghi_send_errors_total',
            'hoinghi_transport_rx_not_ready_total', 'hoinghi_transport_rx_unknown_total')},
        'rtp_in during', total(during, 'hoinghi_rtp_in_packets_total'), result['problems'],
        result['pacing'], result['loss_pct'])
    # Every packet a subscriber received, the server sent; and it sent each incoming packet
    # to at most the 39 others (plus resends).
    assert rtp_out >= received, (rtp_out, received)
    assert rtp_out <= rtp_in * (N - 1) + rtx, (rtp_out, rtp_in, rtx)
    assert total(after, 'hoinghi_udp_tx_datagrams_total') >= rtp_out
    assert total(after, 'hoinghi_udp_rx_datagrams_total') >= rtp_in


def test_a_clean_leave_is_not_a_failure(start_server, tmp_path):
    """Participants that leave cleanly (DTLS close_notify, as a browser's pc.close() sends) are
    not counted as failed peer connections."""
    server = start_server()
    run = MeshRun(server, str(tmp_path), valid_room('leave'), n=2)
    try:
        rc, result = run.finish()
    finally:
        run.kill()
    assert rc == 0 and result['streams_receiving'] == 4, result['problems']
    wait_until(lambda: total(scrape_all_workers(server)[1], 'hoinghi_rooms') == 0,
               'the room to close', timeout=60)
    _, after = scrape_all_workers(server)
    assert total(after, 'hoinghi_dtls_failures_total') == 0
    assert total(after, 'hoinghi_ice_failures_total') == 0
