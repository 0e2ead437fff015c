"""ICE restart in place: a publisher that restarts ICE from a new local port (a network change)
stays in the room and its viewers keep decoding its video, with no rejoin and no new DTLS
handshake. The publisher is webrtcbin behind a UDP relay (tests/interop/gst_client.py
--ice-restart-at): it offers `pub` again with new ICE credentials and the same DTLS fingerprint,
and the relay then checks the server's new credentials from a new socket and carries the
publisher's datagrams from there, its old socket closed."""
import time

from harness import counts_from, events_of, valid_room
from test_loss import metric_total


def wait_report(client, pred, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        rep = client.report()
        if rep and pred(rep):
            return rep
        time.sleep(0.2)
    raise AssertionError('%s: not within %.0f s\n%s' % (what, timeout, client.describe()))


def test_publisher_restarts_ice_from_a_new_port_and_viewers_keep_receiving(server, clients):
    room = valid_room('icerestart')
    a = clients(server, 'An', room, 16, '--ice-restart-at', '5')
    ra = a.wait_joined()
    b = clients(server, 'Binh', room, 14, '--no-publish')
    b.wait_joined()
    wait_report(b, lambda r: counts_from(r, ra['id'])[0] > 30, 20, 'the viewer decodes video')
    # The restart: offered, answered with new credentials, checked from a new port.
    ra = wait_report(a, lambda r: r['relay']['restarted'] and all(r['relay']['restarted']), 20,
                     'the relay moved to a new port with the new credentials')
    answer = events_of(ra, 'ice-restart-answer')
    assert answer and answer[0]['ports'], ra['events']
    at_restart = counts_from(b.report(), ra['id'])[0]
    # Every datagram of the publisher comes from the new port now: the viewer keeps decoding.
    rb = wait_report(b, lambda r: counts_from(r, ra['id'])[0] > at_restart + 45, 15,
                     'the viewer keeps decoding after the restart')
    assert metric_total(server, 'hoinghi_ice_restarts_total') >= 1
    rb = b.wait()
    ra = a.wait()
    assert ra['rc'] == 0, ra.get('errors')
    assert rb['rc'] == 0, rb.get('errors')
    left = [e for e in events_of(rb, 'participant-left') if e['id'] == ra['id']]
    assert not left or left[0]['reason'] == 'left', left  # only its own leave at the end
    video, _ = counts_from(rb, ra['id'])
    print('ICE restart: relay %s, viewer decoded %d frames (%d at the restart)' % (
        ra['relay'], video, at_restart))
    server.assert_healthy()
    assert 'pub: ICE restart' in server.log()
