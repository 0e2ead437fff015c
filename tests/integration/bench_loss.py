"""Benchmark, not a test (never collected: the name does not start with test_): what a viewer
decodes from a webrtcbin publisher whose uplink loses a seeded share of its RTP (the lossy relay
of tests/interop/gst_client.py --uplink-loss), NACK/RTX on, a key frame every 300 frames (10 s) so
that only repair or a PLI ends a freeze. One line per run; docs/benchmarks.md has figures.

  HOINGHI_BIN=build/server/hoinghi /usr/bin/python3 -m pytest tests/integration/bench_loss.py -s
"""
import pytest

from harness import counts_from, valid_room


@pytest.mark.parametrize('loss', ['0', '5'])
@pytest.mark.parametrize('seed', ['7', '8'])
def test_bench_uplink_loss(server, clients, loss, seed):
    room = valid_room('bench')
    extra = ['--nack', '--keyframe-interval', '300']
    a = clients(server, 'An', room, 26, *(extra + ['--uplink-loss', loss, '--loss-seed', seed]))
    a.wait_joined()
    b = clients(server, 'Binh', room, 20, *(extra + ['--no-publish']))
    rb = b.wait()
    ra = a.wait()
    frames, _ = counts_from(rb, ra['id'])
    hist = rb['received'].get(ra['id'], {}).get('history') or [[0, 0, 0]]
    frozen = sum(b[0] - a[0] for a, b in zip(hist, hist[1:]) if b[1] == a[1])
    print('\nuplink loss %s %% (seed %s, %d RTP datagrams dropped): viewer decoded %d frames in '
          '%.1f s, frozen %.1f s (half-second samples without a new frame)' % (
              loss, seed, ra['relay']['dropped'], frames, hist[-1][0] - hist[0][0], frozen))
