"""GET /metrics: the Prometheus text parses line by line, and its counters agree with what real
WebRTC participants (GStreamer webrtcbin) sent and received."""
import math
import re
import time
import urllib.request

from harness import counts_from, valid_room

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE_RE = re.compile(r'^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$' % (NAME, LABEL, LABEL))
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value}; asserts every line is valid exposition format
    0.0.4, every sample belongs to a declared family, and no value is negative or NaN."""
    types, samples = {}, {}
    assert text.endswith('\n'), 'no final newline'
    for n, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('# HELP '):
            assert re.match(r'^# HELP %s \S' % NAME, line), 'line %d: %r' % (n, line)
            continue
        if line.startswith('# TYPE '):
            m = re.match(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME, line)
            assert m, 'line %d: %r' % (n, line)
            assert m.group(1) not in types, 'line %d: family %s declared twice' % (n, m.group(1))
            types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE_RE.match(line)
        assert m, 'line %d does not parse: %r' % (n, line)
        name, labels, value = m.group(1), m.group(2) or '', float(m.group(3))
        family = name
        if family not in types:
            family = re.sub(r'_(bucket|sum|count)$', '', name)
            assert types.get(family) == 'histogram', 'line %d: %s has no # TYPE' % (n, name)
        if types[family] == 'counter':
            assert name.endswith('_total'), 'counter %s does not end in _total' % name
        assert not math.isnan(value) and value >= 0, 'line %d: value %r' % (n, value)
        key = (name, frozenset(LABEL_RE.findall(labels)))
        assert key not in samples, 'line %d: duplicate sample %r' % (n, line)
        samples[key] = value
    return types, samples


def scrape(server):
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=10) as r:
        assert r.status == 200
        ctype = r.headers['Content-Type']
        assert ctype.startswith('text/plain') and 'version=0.0.4' in ctype, ctype
        return parse_metrics(r.read().decode('utf-8'))


def total(samples, name, **want):
    """Sum of name's samples over the workers (and any label not fixed by want)."""
    found = [v for (n, labels), v in samples.items()
             if n == name and all((k, str(v2)) in labels for k, v2 in want.items())]
    assert found, 'no sample of %s %s' % (name, want)
    return sum(found)


def test_metrics_format_without_any_room(server):
    types, samples = scrape(server)
    workers = int(total(samples, 'hoinghi_workers'))
    assert workers >= 1
    assert total(samples, 'hoinghi_worker_up') == workers
    assert total(samples, 'hoinghi_rooms') == 0 and total(samples, 'hoinghi_participants') == 0
    assert total(samples, 'hoinghi_build_info') == 1
    assert total(samples, 'hoinghi_process_start_time_seconds') > 1.6e9
    assert types['hoinghi_worker_loop_lag_seconds'] == 'histogram'
    reasons = {dict(labels)['reason'] for (n, labels) in samples
               if n == 'hoinghi_router_drops_total'}
    assert {'bad_packet', 'unknown_ssrc', 'bad_pt', 'wait_keyframe'} <= reasons, reasons
    for w in range(workers):
        assert ('hoinghi_udp_rx_kernel_drops_total', frozenset({('worker', str(w))})) in samples
        assert samples[('hoinghi_worker_loop_lag_seconds_bucket',
                        frozenset({('worker', str(w)), ('le', '+Inf')}))] == samples[
            ('hoinghi_worker_loop_lag_seconds_count', frozenset({('worker', str(w))}))]
    # HEAD answers the headers only
    req = urllib.request.Request(server.http_url + '/metrics', method='HEAD')
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200 and r.read() == b''


def wait_until(pred, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError('timed out waiting for ' + what)


def test_metrics_agree_with_a_two_person_meeting(server, clients):
    room = valid_room('metrics')
    a = clients(server, 'An', room, 14)
    ra = a.wait_joined()
    b = clients(server, 'Binh', room, 12)
    rb = b.wait_joined()

    def both_see_each_other():
        pa, pb = a.report(), b.report()
        return (counts_from(pa, rb['id'])[0] > 10 and counts_from(pb, ra['id'])[0] > 10)
    wait_until(both_see_each_other, 'both participants to decode video from the other')

    def received_by_peers(reports):
        return sum(e.get('rtp_packets', 0) for rep in reports
                   for e in (rep or {}).get('received', {}).values())
    seen_before = received_by_peers((a.report(), b.report()))
    _, during = scrape(server)
    assert total(during, 'hoinghi_rooms') == 1
    assert total(during, 'hoinghi_participants') == 2
    assert total(during, 'hoinghi_publishers') == 2
    assert total(during, 'hoinghi_producers') == 4      # audio + video each
    assert total(during, 'hoinghi_consumers') == 4      # each receives the other's two
    assert total(during, 'hoinghi_transports') == 4     # pub + sub each
    assert total(during, 'hoinghi_joins_total') == 2
    rtp_in = total(during, 'hoinghi_rtp_in_packets_total')
    rtp_out = total(during, 'hoinghi_rtp_out_packets_total')
    assert rtp_out >= seen_before > 0, (rtp_out, seen_before)
    assert rtp_in >= rtp_out - total(during, 'hoinghi_retransmissions_total'), (rtp_in, rtp_out)
    assert total(during, 'hoinghi_rtp_in_bytes_total') > rtp_in * 10
    assert total(during, 'hoinghi_keyframe_requests_sent_total') >= 1  # each new subscriber
    assert total(during, 'hoinghi_transport_rx_packets_total') >= rtp_in
    assert total(during, 'hoinghi_udp_rx_datagrams_total') >= rtp_in
    assert total(during, 'hoinghi_srtp_unprotect_errors_total') == 0
    assert total(during, 'hoinghi_router_drops_total', reason='bad_pt') == 0
    assert total(during, 'hoinghi_router_drops_total', reason='unknown_ssrc') == 0

    ra, rb = a.wait(), b.wait()
    assert ra['rc'] == 0 and rb['rc'] == 0, (ra.get('errors'), rb.get('errors'))
    wait_until(lambda: total(scrape(server)[1], 'hoinghi_rooms') == 0, 'the room to close')
    _, after = scrape(server)
    # counters never go down: the closed room's counts stay in its worker's totals (the
    # hoinghi_transport_* ones too once the room keeps its closed transports' counts)
    for name in ('hoinghi_rtp_in_packets_total', 'hoinghi_rtp_out_packets_total',
                 'hoinghi_keyframe_requests_sent_total', 'hoinghi_udp_tx_datagrams_total'):
        assert total(after, name) >= total(during, name), name
    received = received_by_peers((ra, rb))
    rtp_in, rtp_out = (total(after, 'hoinghi_rtp_in_packets_total'),
                       total(after, 'hoinghi_rtp_out_packets_total'))
    rtx = total(after, 'hoinghi_retransmissions_total')
    # every RTP packet a participant received was forwarded by the server, and (one subscriber
    # per publisher) forwarded from a packet it received or resent from its cache
    assert received > 0
    assert rtp_out >= received, (rtp_out, received)
    assert rtp_in + rtx >= received, (rtp_in, rtx, received)
    assert total(after, 'hoinghi_participants') == 0
    assert total(after, 'hoinghi_transports') == 0
