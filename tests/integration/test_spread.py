"""One room across workers (issue 14): with [media] spread_subscribers set, a room's new
subscriber connections open on the other worker's sockets and their copies are relayed from the
room's worker. Every subscriber still decodes the publisher, a key frame request from a spread
subscriber reaches the publisher, and subscribers and the publisher leave cleanly."""
import re
import time

from harness import counts_from, events_of, valid_room
from test_media import assert_decoded, finish
from test_metrics import scrape, total

CONF = '[server]\nworkers = 2\n[media]\nspread_subscribers = 1\n'


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
    for pid in (pb, pc, pd):
        assert legs.get(pid) not in (None, home), (pid, legs, home)
    for rep, who in ((rb, 'Leaves'), (rc, 'Stays'), (rd, 'Both')):
        assert_decoded(rep, pa, 30, 50, who)
        first = rep['received'][pa].get('first_video_s')
        assert first is not None and first < 4.0, (who, first)
    assert_decoded(ra, pd, 40, 70, 'Pub')  # Pub's own subscriber leg stayed on the room's worker
    left = [e for e in events_of(rc, 'participant-left')]
    assert {e['id'] for e in left} >= {pb, pa}, left
    assert all(e['reason'] == 'left' for e in left), left

    _, s = scrape(server)
    other = 1 - home
    assert total(s, 'hoinghi_relay_pushed_total', **{'from': home, 'to': other}) > 500, s
    assert total(s, 'hoinghi_relay_delivered_total', **{'from': home, 'to': other}) > 500
    # feedback (RTCP receiver reports, NACK/PLI) came back
    assert total(s, 'hoinghi_relay_delivered_total', **{'from': other, 'to': home}) > 10
    assert total(s, 'hoinghi_relay_dropped_total', reason='full') == 0
    server.assert_healthy()
    assert 'relay endpoints left' not in server.log()
