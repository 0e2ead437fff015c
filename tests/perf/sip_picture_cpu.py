"""CPU of one SIP room system receiving the room's 720p picture (docs/room-systems.md): the
server's CPU over 10 s with two webrtcbin publishers, then with a room system dialled in (its own
H.264 320x240 and a PCMU tone in, the composed H.264 720p and its PCMU mix-minus out), then after
its hang-up. Run: HOINGHI_BIN=build/server/hoinghi /usr/bin/python3 tests/perf/sip_picture_cpu.py"""
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'integration'))
import harness  # noqa: E402
import test_sip_picture as tsp  # noqa: E402
from picture_cpu import measure  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix='sipcpu')
    port = harness.free_port(socket.SOCK_DGRAM)
    srv = harness.Server(work, tsp.sip_config(port))
    srv.sip_port = port
    srv.start()
    room = 'hall'
    cl = [harness.GstClient(srv, work, n, room, 300, ('--pattern', p, '--tone', t))
          for n, p, t in (('A', 'red', '440'), ('B', 'blue', '880'))]
    for c in cl:
        c.wait_joined()
    rs = uac = None
    try:
        measure(srv, 'two publishers, no picture')
        a_port, v_port = tsp.free_pair(), tsp.free_pair()
        rs = tsp.RoomSystem(a_port, v_port)
        uac = tsp.Uac(srv, room)
        status, body = uac.invite(tsp.offer(a_port, v_port))
        assert status == 200, status
        ports = tsp.answer_ports(body)
        rs.start(ports[0][1], ports[1][1])
        measure(srv, '+ 1 SIP leg: receives H.264 720p + PCMU mix-minus')
        print('  (room system decoded %d frames, colours %s)' % (rs.frames, rs.colours()))
        uac.drain()
        assert uac.bye() == 200
        measure(srv, 'after its hang-up (composition stopped)')
    finally:
        if rs:
            rs.stop()
        if uac:
            uac.close()
        for c in cl:
            c.kill()
        print(srv.stop())


if __name__ == '__main__':
    main()
