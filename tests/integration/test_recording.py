"""Recording (docs/recording.md) through the real server with real WebRTC publishers (GStreamer
webrtcbin): a chair starts it (a member may not), everyone sees the indicator, each published
track becomes a file that decodes with >= 90 % of the frames its publisher sent, and the manifest
lists the files with their SHA-256; after kill -9 mid-recording the next start finishes the files
and marks the manifest interrupted; a full disk stops the recording with an event while the
media goes on. The composed meeting.webm: made live during the 3-publisher recording, rebuilt
from the tracks after kill -9, none with compose = off."""
import asyncio
import glob
import hashlib
import json
import os
import subprocess
import time

import gi
import pytest

gi.require_version('Gst', '1.0')
from gi.repository import Gst  # noqa: E402

import av_sync  # noqa: E402
import harness  # noqa: E402
from harness import counts_at, recv_json, valid_room, ws_connect  # noqa: E402

Gst.init(None)


@pytest.fixture(autouse=True)
def gst_leak_suppression(monkeypatch):
    """Under ASan: GLib's quark block that GStreamer outgrows is left allocated on purpose
    (lsan_gst.supp); the full unwinder lets the suppression see that it was made at load time."""
    here = os.path.dirname(__file__)
    monkeypatch.setenv('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1:'
                       'fast_unwind_on_malloc=0')
    monkeypatch.setenv('LSAN_OPTIONS', 'suppressions=%s:print_suppressions=0'
                       % os.path.join(here, 'lsan_gst.supp'))


def manifests(data_dir):
    return glob.glob(os.path.join(data_dir, 'archive', '*', '*', '*', '*', 'manifest.json'))


def wait_manifest(data_dir, state, timeout=40):
    """The (path, manifest) of the first manifest in `state`."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        for path in manifests(data_dir):
            try:
                with open(path, encoding='utf-8') as f:
                    m = json.load(f)
            except (OSError, ValueError):
                continue
            seen = m.get('state')
            if seen == state:
                return path, m
        time.sleep(0.2)
    raise AssertionError('no manifest in state %s within %ss (last: %s) under %s'
                         % (state, timeout, seen, data_dir))


def decode(path):
    """(decoded video frames or audio buffers, last timestamp in s) of a playable track file."""
    kind = 'vp8dec' if '-video' in path else 'opusdec'
    demux = 'matroskademux'
    pipe = Gst.parse_launch('filesrc location="%s" ! %s ! %s ! fakesink name=s sync=false'
                            % (path, demux, kind))
    n = [0, 0]

    def probe(_pad, info):
        n[0] += 1
        pts = info.get_buffer().pts
        if pts != Gst.CLOCK_TIME_NONE:
            n[1] = max(n[1], pts)
        return Gst.PadProbeReturn.OK
    pipe.get_by_name('s').get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, probe)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                           Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    assert msg is not None and msg.type == Gst.MessageType.EOS, (
        '%s does not decode: %s' % (path, msg.parse_error() if msg else 'timeout'))
    return n[0], n[1] / 1e9


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 16), b''):
            h.update(chunk)
    return h.hexdigest()


def assert_composed(folder, m, length_s, tolerance_s):
    """The manifest's composed file: listed in `files` with its SHA-256, decodes with a picture
    and a sound, and lasts length_s (within tolerance_s)."""
    c = m.get('composed')
    assert c and c['file'] == 'meeting.webm' and c['layout'] == 'speaker', m.get('composed')
    listed = {f['name']: f for f in m['files']}
    full = os.path.join(folder, c['file'])
    assert c['file'] in listed and sha256(full) == listed[c['file']]['sha256'], c
    got = av_sync.measure(full)
    assert got['has_video'] and got['has_audio'], got
    assert abs(got['duration'] - length_s) <= tolerance_s, (got['duration'], length_s)
    assert abs(c['duration_ms'] / 1000 - got['duration']) <= 1, (c, got['duration'])


def sent_between(rep, t0, t1):
    """Video frames the client's encoder produced between wall clock t0 and t1."""
    hist = [(0.0, 0)] + [tuple(x) for x in rep['sent']['history']]

    def at(t):
        best = 0
        for when, n in hist:
            if when <= t:
                best = n
        return best
    return at(t1) - at(t0)


async def pinger(ws):
    """Our `ping` every 2 s: the server closes a socket silent for 7 s."""
    try:
        while True:
            await asyncio.sleep(2)
            await ws.send(json.dumps({'type': 'ping'}))
    except Exception:   # closed
        return


async def join(server, room, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': room, 'name': name}))
    msg = await recv_json(ws)
    assert msg['type'] == 'joined', msg
    ws.pinger = asyncio.ensure_future(pinger(ws))
    return ws, msg


async def until(ws, pred, what, timeout=8):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, 'no %s within %ss' % (what, timeout)
        msg = await recv_json(ws, timeout=left)
        if pred(msg):
            return msg


async def gather(ws, types, what, timeout=8):
    """{type: first message} once one of each of `types` came, in any order."""
    got = {}
    while set(got) != set(types):
        m = await until(ws, lambda m: m['type'] in types and m['type'] not in got, what, timeout)
        got[m['type']] = m
    return got


def is_reply(m):
    return m['type'] in ('ack', 'error')


def test_three_publishers_recorded_by_the_chair(server, clients):
    room = valid_room('rec')

    async def scenario():
        chair, joined = await join(server, room, 'Chủ tọa')
        assert joined['role'] == 'chair' and joined['recording'] == {'on': False}, joined
        pubs = [clients(server, 'P%d' % i, room, 40) for i in range(3)]
        for p in pubs:   # (in a thread: the chair's socket must keep answering pings)
            await asyncio.to_thread(p.wait_joined)
        member, _ = await join(server, room, 'Thành viên')
        await member.send(json.dumps({'type': 'record', 'action': 'start', 'id': 1}))
        err = await until(member, is_reply, 'a reply')
        assert err['type'] == 'error' and err['code'] == 'forbidden', err
        await asyncio.sleep(2)   # every publisher's tracks are in the room
        t_start = time.time()
        await chair.send(json.dumps({'type': 'record', 'action': 'start', 'id': 2}))
        got = await gather(chair, ('ack', 'recording'), 'ack and recording')
        for on in (got['recording'],
                   await until(member, lambda m: m['type'] == 'recording', 'recording')):
            assert on['on'] is True and on['by'] == 'Chủ tọa' and on['reason'] == 'chair', on
        late, lj = await join(server, room, 'Đến muộn')
        assert lj['recording']['on'] is True, lj
        await asyncio.sleep(21)
        await chair.send(json.dumps({'type': 'record', 'action': 'stop', 'id': 3}))
        assert (await until(chair, is_reply, 'ack'))['type'] == 'ack'   # (after `recording`)
        off = await until(late, lambda m: m['type'] == 'recording', 'recording off')
        assert off['on'] is False and off['reason'] == 'chair', off
        t_stop = time.time()
        for ws in (chair, member, late):
            await ws.close()
        return t_start, t_stop, pubs

    t_start, t_stop, pubs = asyncio.run(scenario())
    path, m = wait_manifest(server.data_dir, 'complete')
    folder = os.path.dirname(path)
    reports = {r['id']: r for r in (p.stop() for p in pubs)}
    assert m['room'] == room and m['interrupted'] is False, m
    assert [r['reason'] for r in m['recording']] == ['chair'], m['recording']
    tracks = m['tracks']
    assert sorted((t['participant'], t['kind']) for t in tracks) == sorted(
        (pid, k) for pid in reports for k in ('audio', 'video')), tracks
    names = {p['id'] for p in m['participants']}
    assert set(reports) <= names, m['participants']
    for t in tracks:
        assert t['playable'] and t['packets'] > 0, t
        frames, last = decode(os.path.join(folder, t['playable']))
        if t['kind'] == 'video':
            t0 = m['started_ms'] / 1000 + t['start_ms'] / 1000
            t1 = m['started_ms'] / 1000 + t['end_ms'] / 1000
            sent = sent_between(reports[t['participant']], t0, t1)
            assert t1 - t0 >= 19, t
            assert frames >= 0.9 * sent and sent > 0, (t, frames, sent)
        else:
            assert frames >= 0.9 * 50 * 19, (t, frames)   # 20 ms Opus frames
    listed = {f['name']: f for f in m['files']}
    for t in tracks:
        assert t['file'] in listed and t['playable'] in listed, (t, sorted(listed))
    for name, f in listed.items():
        full = os.path.join(folder, name)
        assert os.path.getsize(full) == f['bytes'] and sha256(full) == f['sha256'], f
    assert t_stop - t_start >= 20
    span = m['recording'][0]
    length = (span['stopped_ms'] - span['started_ms']) / 1000
    assert_composed(folder, m, length, 0.05 * length)   # composed live during the recording
    import urllib.request
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=5) as r:
        metrics = r.read().decode()
    packets = sum(t['packets'] for t in tracks)
    line = [x for x in metrics.splitlines() if x.startswith('hoinghi_recorder_packets_total ')]
    assert line and int(line[0].split()[1]) >= packets, line
    assert 'hoinghi_recorder_drops_total{reason="queue"} 0' in metrics


def test_recorded_twice_one_composed_file(server, clients):
    """Stopped and started again: one folder, one meeting.webm rebuilt from both spans' tracks."""
    room = valid_room('twice')

    async def scenario():
        chair, _ = await join(server, room, 'Chủ tọa')
        pub = clients(server, 'P', room, 30)
        await asyncio.to_thread(pub.wait_joined)
        await asyncio.sleep(1)
        for i in range(2):
            await chair.send(json.dumps({'type': 'record', 'action': 'start', 'id': 10 + i}))
            await gather(chair, ('ack', 'recording'), 'ack and recording')
            await asyncio.sleep(4)
            await chair.send(json.dumps({'type': 'record', 'action': 'stop', 'id': 20 + i}))
            await gather(chair, ('ack', 'recording'), 'ack and recording off')
            await asyncio.to_thread(wait_spans, server.data_dir, i + 1)
        await chair.close()
        pub.kill()

    asyncio.run(scenario())
    path, m = wait_spans(server.data_dir, 2)
    spans = m['recording']
    length = (spans[1]['stopped_ms'] - spans[0]['started_ms']) / 1000
    assert_composed(os.path.dirname(path), m, length, 0.05 * length)


def wait_spans(data_dir, n, timeout=40):
    """(path, manifest) once a manifest is complete with n recording spans."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path, m = wait_manifest(data_dir, 'complete', timeout)
        if len(m['recording']) == n and m.get('composed'):
            return path, m
        time.sleep(0.3)
    raise AssertionError('no complete manifest with %d spans' % n)


def rest(url, key, body=None):
    """(status, JSON body) of GET (body None) or POST url."""
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method='POST' if data else 'GET')
    req.add_header('Content-Type', 'application/json')
    if key:
        req.add_header('Authorization', 'Bearer ' + key)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, None


def test_kill9_mid_recording_then_restart(tmp_path, clients):
    room = valid_room('k9')
    conf = '[room:%s]\nrecord = true\n' % room
    workdir = str(tmp_path / 'k9')
    os.makedirs(workdir)
    first = harness.Server(workdir, conf).start()
    second = None
    try:
        pub = clients(first, 'P', room, 30)
        pub.wait_joined()
        time.sleep(5)
        path, m = wait_manifest(first.data_dir, 'recording', timeout=5)
        first.proc.kill()    # SIGKILL in the middle of the recording
        first.proc.wait()
        t_kill = time.time()
        pub.kill()
        key = subprocess.run([harness.HOINGHI_BIN, '--data-dir', first.data_dir, 'apikey', 'add',
                              'rec'], capture_output=True, text=True, timeout=30,
                             env=harness.sanitizer_env()).stdout.strip()
        second = harness.Server(workdir, conf)
        second.log_path = os.path.join(workdir, 'server2.log')
        second.start()
        path, m = wait_manifest(second.data_dir, 'interrupted')
        folder = os.path.dirname(path)
        assert m['interrupted'] is True, m
        rows = harness.db_query(second.data_dir, "SELECT id FROM meetings WHERE room = '%s'" % room)
        assert [r[0] for r in rows][:1] == [m['meeting']], (rows, m['meeting'])
        assert m['recording'][0]['stop_reason'] == 'interrupted', m['recording']
        kinds = sorted(t['kind'] for t in m['tracks'])
        assert kinds == ['audio', 'video'], m['tracks']
        for t in m['tracks']:
            frames, last = decode(os.path.join(folder, t['playable']))
            rec_s = t_kill - (m['started_ms'] + t['start_ms']) / 1000
            assert last >= rec_s - 3, (t, last, rec_s)   # at most the last ~2 s lost
            assert frames > 0, t
        rec_s = t_kill - m['recording'][0]['started_ms'] / 1000
        # the live composition was cut by the kill: rebuilt from the tracks (at most ~2 s lost)
        assert_composed(folder, m, rec_s - 1.5, 2)
        with open(second.log_path, encoding='utf-8') as f:
            assert 'interrupted' in f.read()
        # the REST API: nobody in the room now, so nothing to record
        url = '%s/api/v1/rooms/%s/recording' % (second.http_url, room)
        assert rest(url, key) == (200, {'on': False})
        assert rest(url, key, {'on': True})[0] == 409
        assert rest(url, key, {'on': 'yes'})[0] == 400
        assert rest(url, None)[0] == 401
        second.assert_healthy()
    finally:
        if first.alive():
            first.proc.kill()
        if second:
            problems = second.stop()
            assert not problems, problems


def test_disk_reserve_stops_recording_media_goes_on(tmp_path, clients):
    room = valid_room('disk')
    workdir = str(tmp_path / 'disk')
    data = os.path.join(workdir, 'data')
    os.makedirs(data)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', data], check=True)
    server = None
    try:
        st = os.statvfs(data)
        free = st.f_bavail * st.f_frsize
        reserve_mb = 16
        with open(os.path.join(data, 'filler'), 'wb') as f:   # leaves the reserve + ~0.1 MB
            f.truncate(0)
            f.write(b'\0' * (free - reserve_mb * 1024 * 1024 - 120 * 1024))
        conf = ('[recording]\nreserve_mb = %d\ncompose = off\n\n[room:%s]\nrecord = true\n'
                % (reserve_mb, room))
        server = harness.Server(workdir, conf).start()

        async def scenario():
            chair, joined = await join(server, room, 'Chủ tọa')
            assert joined['recording']['on'] is True, joined
            a = clients(server, 'A', room, 25)
            b = clients(server, 'B', room, 25, '--no-publish')
            await asyncio.to_thread(a.wait_joined)
            await asyncio.to_thread(b.wait_joined)
            off = await until(chair, lambda m: m['type'] == 'recording' and not m['on'],
                              'recording off', timeout=25)
            assert off['reason'] == 'disk', off
            t_off = time.time()
            await asyncio.sleep(4)
            await chair.close()
            return a, b, t_off

        a, b, t_off = asyncio.run(scenario())
        rb = b.report()
        t_rel = t_off - (time.time() - rb['elapsed_s'])
        v_then, _ = counts_at(rb, a.report()['id'], t_rel)
        v_now, a_now = counts_at(rb, a.report()['id'], rb['elapsed_s'])
        assert v_now > v_then + 30, (v_then, v_now)   # forwarding went on after the stop
        path, m = wait_manifest(server.data_dir, 'complete')
        assert m['recording'][0]['stop_reason'] == 'disk', m['recording']
        assert 'composed' not in m and not os.path.exists(   # compose = off
            os.path.join(os.path.dirname(path), 'meeting.webm')), m.get('composed')
        assert 'disk' in server.log()
        server.assert_healthy()
        a.kill()
        b.kill()
    finally:
        if server:
            problems = server.stop()
        subprocess.run(['umount', '-l', data], check=False)
        if server:
            assert not problems, problems
