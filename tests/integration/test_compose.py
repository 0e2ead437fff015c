"""The composed file of a meeting (issue 11): A/V sync from the sender reports, a late joiner,
after (from the track files) and live (the same records pushed at their own pace).

Two publishers whose video flashes white and whose audio beeps at the same instants; their
video packets arrive 110 ms after capture and their audio 25 ms (so composing by arrival would
be off by ~85 ms), each with its own NTP clock (off by +20 min and -13 min); the second joins
10 s late. In the composed file every beep must be within 80 ms of its flash, the first and the
last of each publisher included, each at its place on the meeting's timeline."""
import hashlib
import json
import os
import subprocess
import time

import pytest

from harness import HOINGHI_BIN, sanitizer_env, sanitizer_report

gi = pytest.importorskip('gi')
import av_sync  # noqa: E402

LENGTH = 14.0
A_FLASHES = [1.0, 3.5, 6.0, 8.5, 11.0, 13.1]
B_FLASHES = [10.4, 12.0, 13.7]  # the late joiner: its first flash 0.4 s after it joined


@pytest.fixture(scope='module')
def meeting(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp('meeting'))
    pubs = [{'pid': 'p1', 'name': 'Nguyễn Văn A', 'start': 0, 'seconds': LENGTH,
             'flashes': A_FLASHES, 'ntp_off': 1234.5},
            {'pid': 'p2', 'name': 'Trần Thị B', 'start': 10, 'seconds': LENGTH - 10,
             'flashes': B_FLASHES, 'ntp_off': -777.25}]
    av_sync.make_meeting(folder, pubs, time.time() - 120)
    return folder


def run_cli(args, timeout=50):
    """The binary under ASan/UBSan without the leak check: fontconfig (Pango) and GLib keep
    process-long caches that LSan reports and that cannot be freed (every other error still fails
    the run)."""
    env = sanitizer_env()
    env['ASAN_OPTIONS'] = 'detect_leaks=0:abort_on_error=0:halt_on_error=1'
    return subprocess.run([HOINGHI_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def compose(folder, *args, timeout=50):
    proc = run_cli(['compose', folder, '--layout', 'grid', '--size', '480x270', '--fps', '30']
                   + list(args), timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    assert sanitizer_report(proc.stdout + proc.stderr) is None, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_in_sync(path):
    m = av_sync.measure(path)
    assert m['has_video'] and m['has_audio'], m
    assert abs(m['duration'] - LENGTH) <= 0.05 * LENGTH, m['duration']
    expected = sorted(A_FLASHES + B_FLASHES)
    assert len(m['flashes']) == len(expected), m
    assert len(m['beeps']) == len(expected), m
    for want, flash, beep in zip(expected, m['flashes'], m['beeps']):
        assert abs(beep - flash) <= 0.080, 'at %.1f s: flash %.3f, beep %.3f' % (want, flash, beep)
        assert abs(flash - want) <= 0.150, 'flash at %.3f, captured at %.1f' % (flash, want)


def test_after_rebuilds_meeting_file_in_sync(meeting):
    stats = compose(meeting)
    assert stats['ok'] and stats['dropped'] == 0 and stats['bad'] == 0, stats
    path = os.path.join(meeting, 'meeting.webm')
    assert_in_sync(path)
    with open(os.path.join(meeting, 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['composed']['file'] == 'meeting.webm'
    assert manifest['composed']['layout'] == 'grid'
    assert abs(manifest['composed']['duration_ms'] - LENGTH * 1000) <= 0.05 * LENGTH * 1000
    entry = [f for f in manifest['files'] if f['name'] == 'meeting.webm'][0]
    with open(path, 'rb') as f:
        assert entry['sha256'] == hashlib.sha256(f.read()).hexdigest()


def test_live_push_gives_the_same_sync(meeting):
    out = os.path.join(meeting, 'live.webm')
    stats = compose(meeting, '--live', '--output', out)
    assert stats['ok'] and stats['dropped'] == 0, stats
    assert_in_sync(out)


def test_bad_folder_and_arguments(tmp_path):
    proc = run_cli(['compose', str(tmp_path)])
    assert proc.returncode == 1 and 'no track files' in proc.stderr, proc.stderr
    proc = run_cli(['compose', str(tmp_path), '--layout', 'mosaic'])
    assert proc.returncode == 2, proc.stderr
    # a file that is not a track, and one cut short by a crash, in the folder
    tracks = tmp_path / 'tracks'
    tracks.mkdir()
    (tracks / 'junk.hnr').write_bytes(b'not a track file')
    proc = run_cli(['compose', str(tmp_path)])
    assert proc.returncode == 1 and sanitizer_report(proc.stderr) is None, proc.stderr
