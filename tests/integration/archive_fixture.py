"""Archive folders for the portal's tests (test_archive.py, e2e/archive.test.js): real WebM files
made by GStreamer, and a manifest.json as the recorder writes it (docs/recording.md).

    python3 archive_fixture.py DATA_DIR      # makes meeting 12 and prints its JSON summary
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 16), b''):
            h.update(block)
    return h.hexdigest()


def make_webm(path, seconds=4, audio=True):
    """A VP8 (+ Vorbis) WebM of `seconds` at 10 fps, 320x240 (quick; the e2e's meeting.webm is
    made by the real composer instead: make_composed)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    frames = seconds * 10
    cmd = ['gst-launch-1.0', '-q', '-e',
           'videotestsrc', 'num-buffers=%d' % frames, 'pattern=ball', '!',
           'video/x-raw,width=320,height=240,framerate=10/1', '!',
           'vp8enc', 'deadline=1', 'keyframe-max-dist=10', '!', 'mux.']
    if audio:
        cmd += ['audiotestsrc', 'num-buffers=%d' % (seconds * 50), 'samplesperbuffer=960', '!',
                'audio/x-raw,rate=48000', '!', 'audioconvert', '!', 'vorbisenc', '!', 'mux.']
    cmd += ['webmmux', 'name=mux', '!', 'filesink', 'location=' + path]
    subprocess.run(cmd, check=True, timeout=60, capture_output=True)


def make_composed(path, seconds):
    """meeting.webm (VP8 + Opus) made by the real pipeline: one publisher's track files (as the
    recorder writes them: tests/integration/av_sync.py) composed by `hoinghi compose`. False
    when HOINGHI_BIN is not set."""
    hoinghi = os.environ.get('HOINGHI_BIN')
    if not hoinghi:
        return False
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import av_sync
    with tempfile.TemporaryDirectory() as tracks:
        av_sync.make_meeting(tracks, [{'pid': 'p1', 'name': 'Nguyễn Văn Ánh', 'start': 0,
                                       'seconds': seconds, 'flashes': [1.0, 4.0],
                                       'ntp_off': 0}], time.time() - 60)
        env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0')
        subprocess.run([hoinghi, 'compose', tracks, '--size', '320x180', '-o', path],
                       check=True, timeout=60, capture_output=True, env=env,
                       stdin=subprocess.DEVNULL)
    return True


def meeting_dir(data_dir, meeting_id, started_ms):
    t = time.localtime(started_ms / 1000)
    return os.path.join(data_dir, 'archive', '%04d' % t.tm_year, '%02d' % t.tm_mon,
                        '%02d' % t.tm_mday, str(meeting_id))


def write_manifest(folder, manifest):
    tmp = os.path.join(folder, 'manifest.json.tmp')
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False)
    os.rename(tmp, os.path.join(folder, 'manifest.json'))


def make_meeting(data_dir, meeting_id, room, title, started_ms, people, files=None,
                 seconds=4, extra_files=(), composed=False):
    """A complete meeting folder: meeting.webm (composed: by the real composer when it can),
    one track per person, the manifest. files: {name: path already in the folder} to list as
    well. Returns (folder, manifest)."""
    folder = meeting_dir(data_dir, meeting_id, started_ms)
    os.makedirs(os.path.join(folder, 'tracks'), exist_ok=True)
    if not (composed and make_composed(os.path.join(folder, 'meeting.webm'), seconds)):
        make_webm(os.path.join(folder, 'meeting.webm'), seconds)
    tracks, participants = [], []
    for i, (name, role) in enumerate(people):
        pid = 'p%d' % (i + 1)
        rel = 'tracks/%s-camera-video.webm' % pid
        make_webm(os.path.join(folder, rel), 2, audio=False)
        with open(os.path.join(folder, 'tracks/%s-camera-video.hnr' % pid), 'wb') as f:
            f.write(os.urandom(512))  # stands for the capture (server/record/hnr.h)
        participants.append({'id': pid, 'name': name, 'role': role, 'sub': None, 'site': None,
                             'joined_ms': started_ms + 1000 * i,
                             'left_ms': started_ms + seconds * 1000})
        tracks.append({'file': 'tracks/%s-camera-video.hnr' % pid, 'playable': rel,
                       'participant': pid, 'name': name, 'kind': 'video', 'source': 'camera',
                       'codec': 'VP8', 'clock_rate': 90000, 'start_ms': 1000 * i,
                       'end_ms': seconds * 1000, 'packets': 100, 'dropped': 0})
    names = (['meeting.webm'] + [t['playable'] for t in tracks] + [t['file'] for t in tracks]
             + list(extra_files))
    listed = []
    for n in names:
        p = os.path.join(folder, n)
        listed.append({'name': n, 'bytes': os.path.getsize(p) if os.path.exists(p) else 0,
                       'sha256': sha256(p) if os.path.isfile(p) else None})
    manifest = {
        'version': 1, 'meeting': meeting_id, 'room': room, 'title': title,
        'state': 'complete', 'started_ms': started_ms,
        'ended_ms': started_ms + seconds * 1000,
        'recording': [{'started_ms': started_ms, 'stopped_ms': started_ms + seconds * 1000,
                       'by': people[0][0], 'reason': 'meeting-ended'}],
        'participants': participants, 'tracks': tracks,
        'composed': {'file': 'meeting.webm', 'duration_ms': seconds * 1000, 'layout': 'speaker'},
        'drops': {'queue': 0, 'write': 0}, 'files': listed, 'interrupted': False,
    }
    write_manifest(folder, manifest)
    return folder, manifest


if __name__ == '__main__':
    now = int(time.time() * 1000)
    folder, manifest = make_meeting(
        sys.argv[1], 12, 'so-noi-vu', 'Giao ban tháng 12', now - 3600 * 1000,
        [('Nguyễn Văn Ánh', 'chair'), ('Trần Thị Bình', 'participant')], seconds=8,
        composed=True)
    print(json.dumps({'folder': folder, 'composed': os.path.join(folder, 'meeting.webm'),
                      'manifest': manifest}, ensure_ascii=False))
