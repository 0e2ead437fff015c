"""One room across workers (issue 14): with [media] spread_subscribers set, a room's new
subscriber connections open on the worker that carries the fewest of the room's subscribers (the
room's own counted too), so they alternate between the two workers here, and the copies for the
other worker are relayed from the room's. Every subscriber still decodes the publisher, a key frame request from a spread
subscriber reaches the publisher, and subscribers and the publisher leave cleanly."""
import re
import time

from harness import counts_from, events_of, valid_room
from test_media import assert_decoded, finish
from test_metrics import scrape, total
from test_overload import stall, wait_decoding

# busy_lag_ms = 0: the clients' start-up loads this machine's cores too (test_meeting40.py)
CONF = '[server]\nworkers = 2\n[media]\nspread_subscribers = 1\nbusy_lag_ms = 0\n'


def spread_legs(server):
    """{pid: worker} of the subscriber legs the log shows opened on another worker."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r'(p\d+) sub leg on worker (\d+) \(spread\)', server.log())}


def home_worker(server, room):
    m = re.search(r'room %s opened on worker (\d+)' % re.escape(room), server.log())
    assert m, 'no "room opened" line'
    return int(m.group(1))


def test_spread_subscribers_decode_and_leave_cleanly(start_server, clients):
    room = valid_room('spread')
    server = start_server(CONF)
    # key frames only on request: a spread subscriber that joins later decodes only if its PLI
    # comes back through the relay to the room's worker and on to the publisher
    a = clients(server, 'Pub', room, 16, '--keyframe-interval', '100000')
    pa = a.wait_joined()['id']
    time.sleep(3)
    b = clients(server, 'Leaves', room, 6, '--no-publish')
    c = clients(server, 'Stays', room, 22, '--no-publish')
    d = clients(server, 'Both', room, 12)
    pb, pc, pd = (x.wait_joined()['id'] for x in (b, c, d))
    rb, = finish(b)  # a spread subscriber leaves while the others go on
    rd, = finish(d)
    ra, = finish(a)  # the publisher leaves while spread subscribers stay
    rc, = finish(c)

    home = home_worker(server, room)
    legs = spread_legs(server)
    # Pub's own subscriber leg is the first (on the room's worker); of the three that follow,
    # the first and the third go to the other worker, the second stays
    spread = [p for p in (pb, pc, pd) if legs.get(p) not in (None, home)]
    assert len(spread) == 2 and set(legs) == set(spread), (legs, home, pb, pc, pd)
    for rep, who in ((rb, 'Leaves'), (rc, 'Stays'), (rd, 'Both')):
        assert_decoded(rep, pa, 30, 50, who)
        first = rep['received'][pa].get('first_video_s')
        # key frames come only on request: without one nobody decodes at all (under 8 s: three
        # clients start together on the test machine's cores)
        assert first is not None and first < 8.0, (who, first)
    assert_decoded(ra, pd, 40, 70, 'Pub')  # Pub's own subscriber leg stayed on the room's worker
    left = [e for e in events_of(rc, 'participant-left')]
    assert {e['id'] for e in left} >= {pb, pa}, left
    assert all(e['reason'] == 'left' for e in left), left

    _, s = scrape(server)
    other = 1 - home
    assert total(s, 'hoinghi_relay_pushed_total', **{'from': home, 'to': other}) > 500, s
    assert total(s, 'hoinghi_relay_delivered_total', **{'from': home, 'to': other}) > 500
    # the subscribers' RTCP came back (webrtcbin reports every few seconds: about 10 in all
    # here; NACK and key frame requests: the next test)
    assert total(s, 'hoinghi_relay_delivered_total', **{'from': other, 'to': home}) >= 3
    assert total(s, 'hoinghi_relay_dropped_total', reason='full') == 0
    server.assert_healthy()
    assert 'relay endpoints left' not in server.log()


def test_spread_subscribers_feedback_reaches_the_publisher(start_server, clients):
    """Loss on the way to spread subscribers (the server stalled: what waited too long is
    dropped, so the forwarded streams have gaps): their depayloaders ask for a key frame (PLI)
    and NACK the gaps from the other worker; the requests reach the room's worker, the publisher
    (key frames on request only) sends one, and they decode again."""
    room = valid_room('spreadfb')
    server = start_server(CONF)
    a = clients(server, 'Pub', room, 18, '--keyframe-interval', '100000', '--nack')
    pa = a.wait_joined()['id']
    # one viewer (the room's second subscriber connection, so on the other worker); Pub's own
    # subscriber connection (on the room's worker) receives no video, so every PLI and NACK
    # counted below came from the other worker
    v = [clients(server, 'V0', room, 15, '--no-publish', '--nack')]
    pv = [c.wait_joined()['id'] for c in v]
    for c in v:
        wait_decoding(c, pa, 20)
    legs = spread_legs(server)
    home = home_worker(server, room)
    assert all(legs.get(p) not in (None, home) for p in pv), (pv, legs, home)
    _, s0 = scrape(server)
    before = [counts_from(c.report(), pa)[0] for c in v]
    stall(server, 1.0)
    reps = finish(*v)
    finish(a)
    _, s1 = scrape(server)
    fb = (total(s1, 'hoinghi_pli_in_total') - total(s0, 'hoinghi_pli_in_total') +
          total(s1, 'hoinghi_fir_in_total') - total(s0, 'hoinghi_fir_in_total') +
          total(s1, 'hoinghi_nack_in_total') - total(s0, 'hoinghi_nack_in_total'))
    assert fb > 0, 'no PLI, FIR or NACK came back from the spread subscribers'
    for rep, v0, c in zip(reps, before, v):
        assert counts_from(rep, pa)[0] > v0 + 60, (c.name, v0, counts_from(rep, pa))
    server.assert_healthy()
