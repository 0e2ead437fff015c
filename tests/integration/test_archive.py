"""The archive and the clerks' portal against the real server, with real archive folders (WebM
files made by GStreamer, manifests as the recorder writes them): only clerk and admin sessions get
in (the login page or 401 without one, 403 for a member); search ignores case and Vietnamese
diacritics; files are served with HTTP Range (206 with the exact bytes, 416, Accept-Ranges,
Content-Type, Content-Disposition); no path leaves a meeting's folder (.., %2e%2e, %2f, a
symlink to /etc/passwd, absolute paths, NUL, unknown ids: 400/404); a room's retention removes an
old meeting's files at start and the API says when; a changed byte is a verify mismatch; a
corrupt or missing manifest is skipped and counted. One server for the file."""
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from archive_fixture import make_meeting, meeting_dir
from harness import HOINGHI_BIN, Server, sanitizer_env

CONFIG = """
[rooms]
retention_days = 0

[room:luu-tru-ngan]
retention_days = 30
"""

DAY_MS = 86400 * 1000
BIG = 96 * 1024 * 1024


def cli(data_dir, *args, stdin=None):
    p = subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


class Portal:
    def __init__(self, server):
        self.server = server
        self.cookies = {}

    def request(self, method, path, who=None, headers=None, body=None):
        """(status, headers (lower-case names), body bytes); path is sent exactly as given.
        (None, {}, b'') when the server closes the connection without an answer."""
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        h = dict(headers or {})
        if who:
            h['Cookie'] = self.cookies[who]
        if body is not None:
            h['Content-Type'] = 'application/json'
            body = json.dumps(body).encode()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in h.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader('Content-Length', str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None, {}, b''
        finally:
            conn.close()

    def json(self, method, path, who='clerk', body=None):
        st, _, data = self.request(method, path, who, body=body)
        return st, json.loads(data) if data else None

    def login(self, who, name, password):
        st, h, data = self.request('POST', '/api/login', body={'name': name,
                                                               'password': password})
        assert st == 200, data
        self.cookies[who] = h['set-cookie'].split(';')[0]


@pytest.fixture(scope='module')
def portal():
    work = tempfile.mkdtemp(prefix='hn-archive-')
    data = os.path.join(work, 'data')
    cli(data, 'user', 'add', 'van-thu', '--role', 'clerk', stdin='mat-khau-van-thu\n')
    cli(data, 'user', 'add', 'thanh-vien', '--role', 'member', stdin='mat-khau-thanh-vien\n')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    db = sqlite3.connect(os.path.join(data, 'hoinghi.db'))  # a room the REST API made earlier
    db.execute("INSERT INTO rooms (name, lobby, created, updated, retention_days)"
               " VALUES ('api-ngan', 0, 0, 0, 5)")
    db.commit()
    db.close()
    now = int(time.time() * 1000)
    big = os.path.join(meeting_dir(data, 12, now - 3600 * 1000), 'tracks', 'p9-screen-video.mkv')
    os.makedirs(os.path.dirname(big))
    with open(big, 'wb') as f:  # sparse: BIG bytes on disk in no time
        f.truncate(BIG)
        f.seek(BIG - 4)
        f.write(b'tail')
    folder, manifest = make_meeting(
        data, 12, 'so-noi-vu', 'Giao ban tháng 12', now - 3600 * 1000,
        [('Nguyễn Văn Ánh', 'chair'), ('Trần Thị Bình', 'participant')],
        extra_files=['tracks/p9-screen-video.mkv'])
    # listed by a manifest but a symlink out of the archive, and a file not listed at all
    os.symlink('/etc/passwd', os.path.join(folder, 'evil.webm'))
    manifest['files'].append({'name': 'evil.webm', 'bytes': 10, 'sha256': '0' * 64})
    manifest['files'].append({'name': '../../../hoinghi.db', 'bytes': 1, 'sha256': '0' * 64})
    with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False)
    shutil.copy(os.path.join(folder, 'meeting.webm'), os.path.join(folder, 'unlisted.webm'))
    make_meeting(data, 13, 'luu-tru-ngan', 'Họp cũ', now - 400 * DAY_MS, [('Lê Cũ', 'chair')],
                 seconds=1)
    make_meeting(data, 16, 'API-Ngan', 'Phòng API', now - 10 * DAY_MS, [('Phạm API', 'chair')],
                 seconds=1)
    make_meeting(data, 17, 'khong-khai-bao', 'Mặc định', now - 900 * DAY_MS, [('Võ Lâu', 'chair')],
                 seconds=1)
    bad = meeting_dir(data, 14, now - 2 * DAY_MS)
    os.makedirs(bad)
    with open(os.path.join(bad, 'manifest.json'), 'w') as f:
        f.write('{"version": 1, "meeting": 14, "room": ')  # cut short
    os.makedirs(meeting_dir(data, 15, now - 2 * DAY_MS))  # no manifest at all
    srv = Server(work, CONFIG)
    try:
        srv.start()
        p = Portal(srv)
        p.folder = folder
        p.key = key
        p.old_folder = meeting_dir(data, 13, now - 400 * DAY_MS)
        p.login('clerk', 'van-thu', 'mat-khau-van-thu')
        p.login('member', 'thanh-vien', 'mat-khau-thanh-vien')
        deadline = time.monotonic() + 20
        while True:  # the scan and the sweep run in the background at start
            st, body = p.json('GET', '/api/archive/meetings')
            assert st == 200, body
            by_id = {m['id']: m for m in body['meetings']}
            if set(by_id) == {12, 13, 16, 17} and by_id[13]['removed'] and by_id[16]['removed']:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        yield p
    finally:
        problems = srv.stop()
        shutil.rmtree(work, ignore_errors=True)
        assert not problems, problems


def test_only_clerks_and_admins(portal):
    st, h, _ = portal.request('GET', '/archive')
    assert st == 303 and h['location'] == '/login?next=/archive', (st, h)
    st, h, _ = portal.request('GET', '/archive/files/12/meeting.webm')
    assert st == 303 and h['location'].startswith('/login'), (st, h)
    for path in ('/api/archive/meetings', '/api/archive/meetings/12'):
        assert portal.json('GET', path, who=None)[0] == 401
        assert portal.json('GET', path, who='member')[0] == 403
    assert portal.json('POST', '/api/archive/meetings/12/verify', who=None, body={})[0] == 401
    st, h, page = portal.request('GET', '/archive', 'member')
    assert st == 403 and h['content-type'].startswith('text/html'), (st, h)
    assert portal.request('GET', '/archive/files/12/meeting.webm', 'member')[0] == 403
    st, h, page = portal.request('GET', '/archive', 'clerk')
    assert st == 200 and b'/js/archive.js' in page, (st, page[:200])
    assert "frame-ancestors 'none'" in h['content-security-policy']


def ids(portal, **q):
    st, body = portal.json('GET', '/api/archive/meetings?' + urllib.parse.urlencode(q))
    assert st == 200, body
    return [m['id'] for m in body['meetings']]


def test_search(portal):
    assert ids(portal) == [12, 16, 13, 17]  # newest first
    assert ids(portal, participant='nguyen van anh') == [12]  # no diacritics, any case
    assert ids(portal, participant='TRẦN THỊ') == [12]
    assert ids(portal, participant='Lê') == [13]
    assert ids(portal, participant='nobody') == []
    assert ids(portal, room='NOI-VU') == [12]
    assert ids(portal, title='thang 12') == [12]
    today = time.strftime('%Y-%m-%d')
    assert ids(portal, **{'from': time.strftime('%Y-%m-%d', time.localtime(time.time() - 86400)),
                          'to': today}) == [12]
    assert ids(portal, to=time.strftime('%Y-%m-%d', time.localtime(time.time() - 20 * 86400))) \
        == [13, 17]
    assert portal.json('GET', '/api/archive/meetings?from=yesterday')[0] == 400
    st, m = portal.json('GET', '/api/archive/meetings/12')
    assert st == 200, m
    assert [p['name'] for p in m['participants']] == ['Nguyễn Văn Ánh', 'Trần Thị Bình']
    assert m['manifest']['composed']['file'] == 'meeting.webm'
    assert {f['name'] for f in m['files']} >= {'meeting.webm', 'tracks/p1-camera-video.webm'}
    assert all('..' not in f['name'] for f in m['files'])  # the bad entry was not catalogued
    assert portal.json('GET', '/api/archive/meetings/999')[0] == 404


def test_range(portal):
    with open(os.path.join(portal.folder, 'meeting.webm'), 'rb') as f:
        data = f.read()
    size = len(data)
    url = '/archive/files/12/meeting.webm'
    st, h, body = portal.request('GET', url, 'clerk')
    assert st == 200 and body == data, (st, len(body), size)
    assert h['accept-ranges'] == 'bytes' and h['content-type'] == 'video/webm', h
    assert h['content-disposition'].startswith('inline'), h
    cases = [('bytes=100-199', 100, 200), ('bytes=%d-' % (size - 7), size - 7, size),
             ('bytes=-10', size - 10, size), ('bytes=0-0', 0, 1),
             ('bytes=10-%d' % (size * 2), 10, size)]
    for rng, a, b in cases:
        st, h, body = portal.request('GET', url, 'clerk', {'Range': rng})
        assert st == 206, (rng, st)
        assert body == data[a:b], rng
        assert h['content-range'] == 'bytes %d-%d/%d' % (a, b - 1, size), (rng, h)
        assert int(h['content-length']) == b - a
    for rng in ('bytes=%d-' % size, 'bytes=%d-%d' % (size + 5, size + 9)):
        st, h, _ = portal.request('GET', url, 'clerk', {'Range': rng})
        assert st == 416 and h['content-range'] == 'bytes */%d' % size, (rng, st, h)
    st, _, body = portal.request('GET', url, 'clerk', {'Range': 'bytes=0-1,5-9'})
    assert st == 200 and body == data  # several ranges: the whole file
    st, h, body = portal.request('HEAD', url, 'clerk')
    assert st == 200 and body == b'' and int(h['content-length']) == size
    st, h, _ = portal.request('GET', url + '?download=1', 'clerk')
    assert h['content-disposition'] == 'attachment; filename="12-meeting.webm"', h
    st, h, body = portal.request('GET', '/archive/files/12/manifest.json', 'clerk')
    assert st == 200 and h['content-type'] == 'application/json'
    assert json.loads(body)['meeting'] == 12
    st, h, _ = portal.request('GET', '/archive/files/12/tracks/p1-camera-video.hnr', 'clerk')
    assert st == 200 and h['content-disposition'].startswith('attachment'), h
    actions = audit(portal, 'archive-download')
    assert any('file=meeting.webm' in d for _, d in actions), actions


def asan_build():
    with open(HOINGHI_BIN, 'rb') as f:
        return b'__asan_init' in f.read()


def peak_rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmHWM:'))


def test_large_file_streams(portal):
    """A file larger than the server's memory growth allows is streamed, not loaded."""
    before = peak_rss_kib(portal.server.proc.pid)
    conn = http.client.HTTPConnection(portal.server.host, portal.server.port, timeout=30)
    conn.request('GET', '/archive/files/12/tracks/p9-screen-video.mkv',
                 headers={'Cookie': portal.cookies['clerk']})
    r = conn.getresponse()
    assert r.status == 200 and r.getheader('content-type') == 'video/x-matroska'
    assert int(r.getheader('content-length')) == BIG
    got, last = 0, b''
    while True:
        block = r.read(1 << 20)
        if not block:
            break
        got += len(block)
        last = block
    conn.close()
    assert got == BIG and last.endswith(b'tail')
    grown = peak_rss_kib(portal.server.proc.pid) - before
    # Under AddressSanitizer freed blocks wait in its quarantine (256 MiB) instead of being
    # reused, so libwebsockets' copies of partly sent pieces add up: only a plain build says
    # how much memory serving takes.
    if not asan_build():
        assert grown < 32 * 1024, 'the server grew by %d KiB serving a %d MiB file' % (
            grown, BIG >> 20)
    st, _, body = portal.request('GET', '/archive/files/12/tracks/p9-screen-video.mkv', 'clerk',
                                 {'Range': 'bytes=-4'})
    assert st == 206 and body == b'tail'


def test_traversal(portal):
    refused = [
        '/archive/files/12/../../../../hoinghi.db',
        '/archive/files/12/%2e%2e/%2e%2e/%2e%2e/%2e%2e/hoinghi.db',
        '/archive/files/12/..%2f..%2f..%2f..%2fhoinghi.db',
        '/archive/files/12/tracks%2f..%2f..%2f..%2f..%2f..%2fhoinghi.db',
        '/archive/files/12/%2e%2e%2f%2e%2e%2fhoinghi.db',
        '/archive/files/12/evil.webm',  # listed, but a symlink to /etc/passwd
        '/archive/files/12/unlisted.webm',  # in the folder, but not in the catalogue
        '/archive/files/12//etc/passwd',
        '/archive/files/12/%2fetc%2fpasswd',
        '/archive/files/12/tracks',  # a folder: no listing
        '/archive/files/12/',
        '/archive/files/12',
        '/archive/files/',
        '/archive/files/999/meeting.webm',
        '/archive/files/abc/meeting.webm',
        '/archive/files/12/a%00b',
        '/archive/files/12/meeting.webm%00.json',
        '/archive/files/12/tracks\\..\\..\\hoinghi.db',
        '/archive/files/13/meeting.webm',  # removed by retention
    ]
    for path in refused:
        st, h, body = portal.request('GET', path, 'clerk')
        # lws itself closes the connection on some (a NUL): that refuses too
        assert st in (None, 400, 404, 410), (path, st, body[:100])
        assert b'root:' not in body and b'SQLite format' not in body, path
        assert b'meeting.webm' not in body, (path, body[:200])  # never a listing
    assert portal.server.alive()


def metric(server, name):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request('GET', '/metrics')
    text = conn.getresponse().read().decode()
    conn.close()
    return next(float(l.split()[1]) for l in text.splitlines() if l.startswith(name + ' '))


def audit(portal, action):
    db = sqlite3.connect(os.path.join(portal.server.data_dir, 'hoinghi.db'))
    try:
        return db.execute('SELECT actor, detail FROM audit WHERE action = ? ORDER BY id',
                          (action,)).fetchall()
    finally:
        db.close()


def test_retention(portal):
    st, m = portal.json('GET', '/api/archive/meetings/13')
    assert st == 200 and m['removed'], m
    assert all(f['removed'] for f in m['files']), m['files']
    assert not os.path.exists(os.path.join(portal.old_folder, 'meeting.webm'))
    assert not os.path.exists(os.path.join(portal.old_folder, 'tracks'))
    assert os.path.exists(os.path.join(portal.old_folder, 'manifest.json'))
    assert m['manifest']['participants'][0]['name'] == 'Lê Cũ'  # the record stays
    st, _, _ = portal.request('GET', '/archive/files/13/meeting.webm', 'clerk')
    assert st == 410
    st, body = portal.json('POST', '/api/archive/meetings/13/verify', body={})
    assert {f['check'] for f in body['files']} == {'removed'}, body
    for kept in (12, 17):  # retention 0 ([rooms] default, an undeclared room): kept
        st, m = portal.json('GET', '/api/archive/meetings/%d' % kept)
        assert not m['removed'] and not any(f['removed'] for f in m['files']), kept
    st, m = portal.json('GET', '/api/archive/meetings/16')  # an API room of 5 days, any case
    assert m['removed'], m
    # the REST API sets and shows a room's retention
    auth = {'Authorization': 'Bearer ' + portal.key}
    st, _, body = portal.request('POST', '/api/v1/rooms', headers=auth,
                                 body={'name': 'api-moi', 'retention_days': 30})
    assert st == 201, body
    assert json.loads(body)['retention_days'] == 30
    st, _, body = portal.request('PATCH', '/api/v1/rooms/api-moi', headers=auth,
                                 body={'retention_days': None})
    assert st == 200 and json.loads(body)['retention_days'] == 0, body
    st, _, body = portal.request('POST', '/api/v1/rooms', headers=auth,
                                 body={'name': 'api-sai', 'retention_days': -1})
    assert st == 400, body


def test_verify(portal):
    st, body = portal.json('POST', '/api/archive/meetings/12/verify', body={})
    assert st == 200, body
    checks = {f['name']: f['check'] for f in body['files']}
    assert checks['meeting.webm'] == 'match' and checks['tracks/p2-camera-video.webm'] == 'match'
    assert checks['evil.webm'] == 'missing'  # the symlink is never followed
    path = os.path.join(portal.folder, 'tracks/p2-camera-video.webm')
    with open(path, 'r+b') as f:
        f.seek(300)
        b = f.read(1)
        f.seek(300)
        f.write(bytes([b[0] ^ 0xff]))
    st, body = portal.json('POST', '/api/archive/meetings/12/verify',
                           body={'file': 'tracks/p2-camera-video.webm'})
    assert st == 200 and len(body['files']) == 1, body
    v = body['files'][0]
    assert v['check'] == 'mismatch' and v['actual'] != v['expected'], v
    assert portal.json('POST', '/api/archive/meetings/12/verify', body={'file': 'x.webm'})[0] \
        == 404
    rows = audit(portal, 'archive-verify')
    assert rows[-1][0] == 'van-thu' and 'bad=1' in rows[-1][1], rows


def test_bad_manifests_are_counted(portal):
    st, body = portal.json('GET', '/api/archive/meetings')
    assert body['archive']['bad_manifests'] == 2, body['archive']
    assert body['archive']['indexed'] >= 2
    assert metric(portal.server, 'hoinghi_archive_bad_manifests_total') == 2
    assert metric(portal.server, 'hoinghi_archive_meetings_removed_total') == 2
    assert metric(portal.server, 'hoinghi_archive_verify_failed_total') >= 1
    log = portal.server.log()
    assert 'archive: ' in log and 'skipped' in log
    assert portal.server.alive()
