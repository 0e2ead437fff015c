"""ICE restart in place: a publisher that restarts ICE from a new local port (a network change)
stays in the room and its viewers keep decoding its video, with no rejoin and no new DTLS
handshake. The publisher is webrtcbin behind a UDP relay (tests/interop/gst_client.py
--ice-restart-at): it offers `pub` again with new ICE credentials and the same DTLS fingerprint,
and the relay then checks the server's new credentials from a new socket and carries the
publisher's datagrams from there, its old socket closed.

And the grace: a participant whose media stops (consent) while its WebSocket stays up is kept for
[media] ice_restart_grace with its tracks and viewers, and its video comes back; without the
grace it leaves with `disconnected` as before."""
import os
import signal
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


def grace_run(start_server, clients, grace):
    """A publisher whose media stops for 4 s (its process stopped: no packet on any connection,
    while its WebSocket, pinged every 2 s, stays within the 7 s keep-alive) with consent_timeout
    3 s and ice_restart_grace `grace`: (publisher, viewer, server, the viewer's decoded frames
    at the stop)."""
    server = start_server('[media]\nconsent_timeout = 3\nice_restart_grace = %d\n' % grace)
    room = valid_room('grace')
    a = clients(server, 'An', room, 30)
    ra = a.wait_joined()
    # The viewer publishes too: a receive-only gst client sends only RTCP, up to 7.5 s apart,
    # which a 3 s consent_timeout would take for silence.
    b = clients(server, 'Binh', room, 30)
    b.wait_joined()
    wait_report(b, lambda r: counts_from(r, ra['id'])[0] > 20, 30, 'the viewer decodes video')
    at_stop = counts_from(b.report(), ra['id'])[0]
    os.kill(a.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(4)
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    return a, b, server, at_stop


def test_silent_participant_is_kept_for_the_grace_and_comes_back(start_server, clients):
    a, b, server, at_blackout = grace_run(start_server, clients, 30)
    pid = a.report()['id']
    # Back: the viewer decodes again, the participant never left.
    rb = wait_report(b, lambda r: counts_from(r, pid)[0] > at_blackout + 45, 20,
                     'the viewer decodes video again after the stop')
    assert not [e for e in events_of(rb, 'participant-left') if e['id'] == pid]
    assert metric_total(server, 'hoinghi_ice_grace_started_total') >= 1
    # The room looks at its legs once a second: the counter may trail the first frames.
    deadline = time.monotonic() + 10
    while metric_total(server, 'hoinghi_ice_grace_recovered_total') < 1:
        assert time.monotonic() < deadline, 'hoinghi_ice_grace_recovered_total stays 0'
        time.sleep(0.2)
    assert 'kept 30 s more' in server.log()
    a.stop()
    b.stop()


def test_without_grace_a_silent_participant_leaves(start_server, clients):
    a, b, server, _ = grace_run(start_server, clients, 0)
    pid = a.report()['id']
    rb = wait_report(b, lambda r: [e for e in events_of(r, 'participant-left') if e['id'] == pid],
                     10, 'the silent publisher leaves')
    left = [e for e in events_of(rb, 'participant-left') if e['id'] == pid]
    assert left[0]['reason'] == 'disconnected', left
    b.stop()
