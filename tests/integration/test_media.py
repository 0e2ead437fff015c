"""Media through the real server between real WebRTC participants (GStreamer webrtcbin)."""
import time

from harness import counts_at, counts_from, events_of, valid_room


def finish(*clients):
    """Waits for every client; asserts each exited 0; returns their reports in order."""
    reports = [c.wait() for c in clients]
    for c, rep in zip(clients, reports):
        assert rep['rc'] == 0, 'client %s failed (rc %s): %s\n%s' % (
            c.name, rep['rc'], rep.get('errors'), c.describe())
    return reports


def assert_decoded(rep, pid, video, audio, who):
    v, a = counts_from(rep, pid)
    assert v > video and a > audio, (
        '%s decoded %d video frames and %d audio buffers from %s (want > %d and > %d); '
        'received=%s unmapped=%s tracks=%s states=%s' % (
            who, v, a, pid, video, audio,
            {k: {kk: vv for kk, vv in e.items() if kk != 'history'}
             for k, e in rep.get('received', {}).items()},
            rep.get('unmapped'), rep.get('tracks'), rep.get('states')))


def test_two_participants_exchange_vp8_and_opus(server, clients):
    room = valid_room('two')
    a = clients(server, 'Alice', room, 12)
    a.wait_joined()
    b = clients(server, 'Bình', room, 10)
    ra, rb = finish(a, b)
    assert ra['id'] != rb['id']
    assert rb['participants'].get(ra['id']) == 'Alice', rb['participants']
    joined = events_of(ra, 'participant-joined')
    assert [e['participant']['id'] for e in joined] == [rb['id']], joined
    assert joined[0]['participant']['name'] == 'Bình'
    assert_decoded(ra, rb['id'], 60, 100, 'Alice')
    assert_decoded(rb, ra['id'], 60, 100, 'Bình')
    for rep, other in ((ra, rb['id']), (rb, ra['id'])):
        assert set(rep['received'][other]['encodings']) == {'VP8', 'OPUS'}, rep['received']
        assert rep['unmapped']['video_frames'] == 0, rep['unmapped']


def test_full_ice_libnice_path_still_works(start_server, clients):
    """[media] ice_lite = false: a libnice agent per transport (the server sends checks too)."""
    server = start_server('[media]\nice_lite = false\n')
    room = valid_room('fullice')
    a = clients(server, 'A', room, 10)
    a.wait_joined()
    b = clients(server, 'B', room, 8)
    ra, rb = finish(a, b)
    assert_decoded(ra, rb['id'], 40, 70, 'A')
    assert_decoded(rb, ra['id'], 40, 70, 'B')
    with open(server.log_path, encoding='utf-8', errors='replace') as f:
        assert 'ICE full' in f.read()


def test_three_participants_one_leaves(server, clients):
    room = valid_room('three')
    a = clients(server, 'A', room, 18)
    a.wait_joined()
    b = clients(server, 'B', room, 17)
    b.wait_joined()
    c = clients(server, 'C', room, 7)
    rc = finish(c)[0]
    ra, rb = finish(a, b)
    # while C was there, everybody saw everybody
    assert_decoded(ra, rc['id'], 30, 50, 'A')
    assert_decoded(rb, rc['id'], 30, 50, 'B')
    assert_decoded(rc, ra['id'], 30, 50, 'C')
    assert_decoded(rc, rb['id'], 30, 50, 'C')
    for rep, other, who in ((ra, rb['id'], 'A'), (rb, ra['id'], 'B')):
        left = [e for e in events_of(rep, 'participant-left') if e['id'] == rc['id']]
        assert len(left) == 1, '%s: participant-left events %s' % (who, events_of(
            rep, 'participant-left'))
        assert left[0]['reason'] == 'left', left[0]
        t_left = left[0]['t']
        v0, a0 = counts_at(rep, other, t_left)
        v1, a1 = counts_from(rep, other)
        assert v1 - v0 > 60 and a1 - a0 > 100, (
            '%s kept decoding only %d frames / %d audio buffers from %s after C left' % (
                who, v1 - v0, a1 - a0, other))
        # C's media stopped after it left (no frames credited to a participant who is gone)
        cv0, _ = counts_at(rep, rc['id'], t_left + 1.0)
        cv1, _ = counts_from(rep, rc['id'])
        assert cv1 - cv0 <= 5, '%s still decoded %d frames from C after it left' % (
            who, cv1 - cv0)


def test_late_joiner_gets_picture_quickly(server, clients):
    """The publisher sends one keyframe at the start and then only on request (PLI/FIR):
    a participant joining 5 s later sees a picture only if the keyframe request works."""
    room = valid_room('late')
    a = clients(server, 'Early', room, 16, '--keyframe-interval', '100000')
    a.wait_joined()
    time.sleep(5)
    b = clients(server, 'Late', room, 8, '--no-publish', '--trace')
    rb, = finish(b)
    ra, = finish(a)
    first = rb['received'].get(ra['id'], {}).get('first_video_s')
    assert first is not None, 'late joiner never decoded a frame: received=%s states=%s ' \
        'events=%s\n%s' % (rb.get('received'), rb.get('states'), rb.get('events'), b.describe())
    assert first < 4.0, 'first frame %.2f s after joining' % first
    assert_decoded(rb, ra['id'], 60, 100, 'Late')
    assert ra['received'] == {} or all(
        e['video_frames'] == 0 for e in ra['received'].values()), ra['received']


def test_h264_publisher_reaches_subscribers(server, clients):
    room = valid_room('h264')
    a = clients(server, 'H264', room, 12, '--video-codec', 'h264')
    a.wait_joined()
    b = clients(server, 'VP8', room, 10)
    c = clients(server, 'Viewer', room, 10, '--no-publish')
    ra, rb, rcv = finish(a, b, c)
    for rep, who in ((rb, 'VP8'), (rcv, 'Viewer')):
        assert_decoded(rep, ra['id'], 60, 100, who)
        assert 'H264' in rep['received'][ra['id']]['encodings'], rep['received'][ra['id']]
    assert_decoded(ra, rb['id'], 60, 100, 'H264')
    assert 'VP8' in ra['received'][rb['id']]['encodings']
    assert rcv['id'] not in ra['received'], 'a viewer without media was credited frames'
