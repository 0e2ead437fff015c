"""CPU of the composed picture (docs/room-systems.md): the server's CPU over 10 s with two
webrtcbin publishers, then with outputs attached through the debug path (HOINGHI_DEBUG_PICTURE).
Run: HOINGHI_BIN=build/server/hoinghi /usr/bin/python3 tests/perf/picture_cpu.py"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'integration'))
os.environ['HOINGHI_DEBUG_PICTURE'] = '1'
import harness  # noqa: E402
import test_picture as tp  # noqa: E402


def cpu(pid):
    with open('/proc/%d/stat' % pid) as f:
        v = f.read().rsplit(')', 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf('SC_CLK_TCK')


def measure(srv, label, seconds=10):
    time.sleep(3)  # settle
    c0, t0 = cpu(srv.proc.pid), time.monotonic()
    time.sleep(seconds)
    pct = 100 * (cpu(srv.proc.pid) - c0) / (time.monotonic() - t0)
    print('%-58s %6.1f %% of one core' % (label, pct), flush=True)
    return pct


def main():
    work = tempfile.mkdtemp(prefix='piccpu')
    import subprocess
    srv = harness.Server(work, tp.CONFIG)
    srv.key = subprocess.run([harness.HOINGHI_BIN, '--data-dir', srv.data_dir, 'apikey', 'add',
                              'b'], capture_output=True, text=True).stdout.strip()
    srv.start()
    room = 'phong-hop'
    cl = [harness.GstClient(srv, work, n, room, 300, ('--pattern', p, '--tone', t))
          for n, p, t in (('A', 'red', '440'), ('B', 'blue', '1000'))]
    reps = [c.wait_joined() for c in cl]
    try:
        measure(srv, 'two publishers, no picture')
        v720 = {'codec': 'h264', 'pt': 96, 'width': 1280, 'height': 720, 'bitrate_kbps': 1500,
                'fps': 25, 'profile_level_id': '42e01f', 'packetization_mode': 1}
        outs = []
        st, b = tp.rest(srv, 'POST', '/rooms/%s/picture' % room,
                        {'port': tp.udp_ports(), 'exclude': reps[0]['id'], 'video': v720,
                         'audio': {'codec': 'pcmu', 'pt': 0}})
        assert st == 201
        outs.append(b['id'])
        measure(srv, '1 output: composition 720p25 + H.264 720p + PCMU mix-minus')
        for i in range(9):
            st, b = tp.rest(srv, 'POST', '/rooms/%s/picture' % room,
                            {'port': tp.udp_ports(), 'exclude': reps[i % 2]['id'],
                             'video': dict(v720, pt=96 + i), 'audio': {'codec': 'g722', 'pt': 9}})
            assert st == 201
            outs.append(b['id'])
        measure(srv, '10 outputs, one H.264 720p class, 10 mix-minus (G.722/PCMU)')
        st, b = tp.rest(srv, 'POST', '/rooms/%s/picture' % room,
                        {'port': tp.udp_ports(), 'video': dict(v720, codec='vp8')})
        measure(srv, '+ a second class (VP8 720p, as a WHEP viewer gets)')
    finally:
        for c in cl:
            c.kill()
        print(srv.stop())


if __name__ == '__main__':
    main()
