"""Presence: a participant whose machine stops answering (network lost, process frozen) without
closing anything is removed for everyone else within 10 s; one that crashes is removed at once."""
import os
import signal
import time

from harness import events_of, valid_room


def left_event(rep, pid):
    ev = [e for e in events_of(rep, 'participant-left') if e['id'] == pid]
    return ev[0] if ev else None


def test_frozen_participant_removed_within_10s(server, clients):
    room = valid_room('frozen')
    a = clients(server, 'An', room, 30)
    a.wait_joined()
    b = clients(server, 'Bảo', room, 30)
    rb = b.wait_joined()
    time.sleep(4)  # media flows both ways
    os.kill(b.proc.pid, signal.SIGSTOP)  # like a lost network: no FIN, no more packets at all
    frozen_at = time.monotonic()
    try:
        gone = None
        while time.monotonic() - frozen_at < 14:
            gone = left_event(a.report(), rb['id'])
            if gone:
                break
            time.sleep(0.2)
        waited = time.monotonic() - frozen_at
        assert gone, 'An never saw Bảo leave (%.1f s after the freeze)' % waited
        assert gone['reason'] in ('timeout', 'disconnected'), gone
        # The report is written every 0.5 s, so `waited` overestimates by up to that much.
        assert waited <= 10.5, 'Bảo was removed only %.1f s after the freeze' % waited
    finally:
        os.kill(b.proc.pid, signal.SIGCONT)
        b.kill()
    a.stop()
    server.assert_healthy()


def test_killed_participant_removed_at_once(server, clients):
    room = valid_room('killed')
    a = clients(server, 'An', room, 30)
    a.wait_joined()
    b = clients(server, 'Bảo', room, 30)
    rb = b.wait_joined()
    time.sleep(3)
    b.kill()  # SIGKILL: the kernel closes its socket, no `leave` is sent
    t0 = time.monotonic()
    gone = None
    while time.monotonic() - t0 < 10 and not gone:
        gone = left_event(a.report(), rb['id'])
        time.sleep(0.2)
    assert gone, 'An never saw Bảo leave after SIGKILL'
    assert gone['reason'] == 'disconnected', gone
    assert time.monotonic() - t0 < 3, 'removal took %.1f s' % (time.monotonic() - t0)
    a.stop()
    server.assert_healthy()
