"""H.264 -> VP8 for browsers without H.264 (issue 13, docs/room-systems.md "VP8 for browsers
without H.264"): a WHIP encoder (whip_client.py, a room system's stand-in) publishes H.264; a
webrtcbin participant that takes H.264 receives it forwarded as is, one that rejects H.264 (as
Firefox with H.264 disabled) receives the same camera transcoded to VP8 and decodes it; the
transcode stops when that participant leaves."""
import time
import urllib.request

from harness import counts_from, events_of
from test_whip import WhipEncoder

CONFIG = """
[media]
busy_lag_ms = 0

[rooms]
auto_create = false

[room:hall]
access = open
"""


def metric(server, name):
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
    return None


def wait_metric(server, name, pred, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = metric(server, name)
        if v is not None and pred(v):
            return v
        time.sleep(0.2)
    raise AssertionError('%s stayed at %s' % (name, metric(server, name)))


def test_h264_forwarded_or_transcoded_to_vp8(start_server, clients, tmp_path):
    server = start_server(CONFIG)
    h264 = clients(server, 'Chrome', 'hall', 9, '--no-publish')
    vp8 = clients(server, 'Firefox', 'hall', 9, '--no-publish', '--no-h264')
    h264.wait_joined()
    vp8.wait_joined()
    enc = WhipEncoder(server, tmp_path, 'hall', None, 14, '--video-codec', 'h264')
    try:
        assert wait_metric(server, 'hoinghi_vp8tx_running', lambda v: v == 1) == 1
        wait_metric(server, 'hoinghi_vp8tx_frames_out_total', lambda v: v > 30)
        hr, vr = h264.wait(), vp8.wait()
        # the VP8 viewer left: its transcode stops (the H.264 one needs none)
        assert wait_metric(server, 'hoinghi_vp8tx_running', lambda v: v == 0) == 0
        assert metric(server, 'hoinghi_vp8tx_started_total') == 1
        enc.wait()
    finally:
        enc.kill()
    for rep in (hr, vr):
        assert rep['rc'] == 0, rep.get('errors')
    sites = [e['participant'] for e in events_of(vr, 'participant-joined')
             if e['participant'].get('role') == 'site']
    assert len(sites) == 1, sites
    pid = sites[0]['id']
    assert set(hr['received'][pid]['encodings']) == {'H264', 'OPUS'}, hr['received'][pid]
    assert set(vr['received'][pid]['encodings']) == {'VP8', 'OPUS'}, vr['received'][pid]
    hv, ha = counts_from(hr, pid)
    vv, va = counts_from(vr, pid)
    assert hv > 60 and ha > 100, (hv, ha)
    assert vv > 60 and va > 100, (vv, va)
    assert metric(server, 'hoinghi_vp8tx_frames_in_total') > 60
    server.assert_healthy()
