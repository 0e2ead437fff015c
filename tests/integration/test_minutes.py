"""The minutes of a scripted meeting (docs/minutes.md), through the real binary: participants
join and leave at known times over the WebSocket, the secretary notes an opinion and a
conclusion under agenda item 2 and marks an invited person absent, the chair runs a vote; when
the room has been empty `end_grace` seconds, minutes.json and minutes.html are in the meeting's
archive folder within seconds, with presence intervals right to 2 s, the invited site that never
came "not_checked_in", the hall "present_hall" and the vote's result. Then the review API: the
secretary edits (v2), may not approve, the chair approves. A kill -9 while another meeting is
live, and minutes lost before a restart, both end in minutes after the restart. One data
directory, two server runs."""
import asyncio
import glob
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

from harness import HOINGHI_BIN, Server, recv_json, recv_type, sanitizer_env, ws_connect

SECRET = 'minutes-test-secret-0123456789'
CONFIG = """
[auth]
jwt_secret = %s

[rooms]
end_grace = 2

[room:so-noi-vu]
title = Phòng họp Sở Nội vụ

[minutes]
agency_parent = ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ
agency_name = SỞ NỘI VỤ
agency_code = SNV
place = Quảng Trị
""" % SECRET


def cli(data_dir, *args, stdin=None):
    p = subprocess.run([HOINGHI_BIN, '--data-dir', data_dir] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def http(server, method, path, body=None, key=None, cookie=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.http_url + path, method=method, data=data)
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    if key:
        req.add_header('Authorization', 'Bearer ' + key)
    if cookie:
        req.add_header('Cookie', cookie)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            ctype = r.headers.get('content-type', '')
            return r.status, (json.loads(text) if 'json' in ctype else text.decode()), r.headers
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None, e.headers


def login(server, name, password):
    st, _, headers = http(server, 'POST', '/api/login', {'name': name, 'password': password})
    assert st == 200
    return headers['set-cookie'].split(';')[0]


def minutes_files(data_dir, meeting, version=1):
    return glob.glob(os.path.join(data_dir, 'archive', '*', '*', '*', str(meeting), 'minutes',
                                  'v%d' % version, 'minutes.json'))


def wait_minutes(data_dir, meeting, version=1, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        found = minutes_files(data_dir, meeting, version)
        if found:
            with open(found[0], encoding='utf-8') as f:
                return json.load(f), os.path.dirname(found[0])
        assert time.monotonic() < deadline, 'no minutes v%d of meeting %s within %ss' % (
            version, meeting, timeout)
        time.sleep(0.1)


async def join(server, token, name):
    ws = await ws_connect(server)
    await ws.send(json.dumps({'type': 'join', 'room': 'so-noi-vu', 'name': name,
                              'token': token}))
    msg = await recv_type(ws, 'joined', 8)
    return ws, msg['id'], time.time()


async def request(ws, msg, rid, kind='ack', timeout=8):
    await ws.send(json.dumps(dict(msg, id=rid)))
    deadline = time.monotonic() + timeout
    while True:
        got = await recv_json(ws, max(0.1, deadline - time.monotonic()))
        if got.get('id') == rid:
            assert got['type'] == kind, got
            return got


def by_name(entries, name):
    [e] = [e for e in entries if e['name'] == name]
    return e


def test_minutes_of_a_scripted_meeting(tmp_path):
    data = str(tmp_path / 'data')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    cli(data, 'user', 'add', 'thu-ky', '--role', 'secretary', '--display-name', 'Trần Thị B',
        stdin='mat-khau-thu-ky\n')
    cli(data, 'user', 'add', 'chu-toa', '--role', 'chair', '--display-name', 'Nguyễn Văn A',
        stdin='mat-khau-chu-toa\n')
    server = Server(str(tmp_path), CONFIG).start()
    again = None
    try:
        st, meeting, _ = http(server, 'POST', '/api/v1/meetings', {
            'title': 'Giao ban tháng 12', 'room': 'so-noi-vu', 'starts': int(time.time()),
            'chair': 'Nguyễn Văn A', 'secretary': 'Trần Thị B',
            'sites': ['Xã Hải Phú', 'Xã Gio Linh'],
            'agenda': ['Tình hình kinh tế', 'Công tác cán bộ', 'Các việc khác'],
            'invited': [{'name': 'Lê Văn C', 'site': 'Xã Gio Linh'}, {'name': 'Bình'}],
            'summary': 'Về việc đánh giá công tác tháng 12', 'place': 'Phòng họp trực tuyến'},
            key=key)
        assert st == 201, meeting
        mid = meeting['id']
        assert meeting['agenda'][1] == 'Công tác cán bộ' and meeting['place'], meeting

        def token(name, role):
            st, t, _ = http(server, 'POST', '/api/v1/meetings/%d/tokens' % mid,
                            {'name': name, 'role': role}, key=key)
            assert st in (200, 201), t
            return t['token']

        tokens = {n: token(n, r) for n, r in (('Nguyễn Văn A', 'chair'),
                                              ('Trần Thị B', 'secretary'),
                                              ('Xã Hải Phú', 'site'), ('Bình', 'participant'))}
        times = {}

        async def meeting_run():
            chair, _, times['chair_in'] = await join(server, tokens['Nguyễn Văn A'],
                                                     'Nguyễn Văn A')
            sec, _, _ = await join(server, tokens['Trần Thị B'], 'Trần Thị B')
            hall, _, times['hall_in'] = await join(server, tokens['Xã Hải Phú'], 'Xã Hải Phú')
            binh, _, times['binh_in'] = await join(server, tokens['Bình'], 'Bình')
            # the panel's state: the agenda of the scheduled meeting (the meeting id comes from
            # the store just after the first join: retry while it is "starting")
            for _ in range(50):
                await sec.send(json.dumps({'type': 'minutes-get', 'id': 'g'}))
                got = await recv_json(sec, 5, skip=('pong', 'candidate', 'participant-joined',
                                                    'participant-updated', 'chat-history'))
                if got['type'] == 'minutes':
                    break
                assert got['type'] == 'error' and got['code'] == 'bad-state', got
                await asyncio.sleep(0.1)
            assert got['meeting'] == mid and got['agenda'][1] == 'Công tác cán bộ', got
            # a member may not write the minutes
            err = await request(binh, {'type': 'minutes-note', 'kind': 'opinion', 'text': 'x'},
                                'n0', 'error')
            assert err['code'] == 'forbidden', err
            await request(sec, {'type': 'minutes-note', 'item': 2, 'kind': 'opinion',
                                'who': 'Bình', 'text': 'Đề nghị bổ sung biên chế <2026>'}, 'n1')
            await request(sec, {'type': 'minutes-note', 'item': 2, 'kind': 'conclusion',
                                'text': 'Giao Sở Nội vụ tham mưu'}, 'n2')
            await request(sec, {'type': 'minutes-absent', 'kind': 'person', 'name': 'Lê Văn C',
                                'reason': 'Đi công tác'}, 'a1')
            # a vote: two for, none against
            await request(chair, {'type': 'vote-open', 'question': 'Thông qua kế hoạch?'}, 'v1')
            vote = (await recv_type(binh, 'vote', 8))['vote']
            await request(binh, {'type': 'vote-cast', 'vote': vote['id'], 'option': 0}, 'c1')
            await request(chair, {'type': 'vote-cast', 'vote': vote['id'], 'option': 0}, 'c2')
            await request(chair, {'type': 'vote-close', 'vote': vote['id']}, 'v2')
            await asyncio.sleep(2)
            await binh.close()
            times['binh_out'] = time.time()
            await asyncio.sleep(1)
            for ws in (hall, sec, chair):
                await ws.close()
            times['end'] = time.time()

        asyncio.run(meeting_run())
        m, folder = wait_minutes(data, mid, 1, 15)
        assert time.time() - times['end'] < 15
        assert os.path.exists(os.path.join(folder, 'minutes.html'))
        assert m['version'] == 1 and m['draft'] is True and m['minutes_version'] == 1
        assert m['number'] == '%d/BB-SNV' % mid and m['agency']['name'] == 'SỞ NỘI VỤ'
        assert m['meeting']['title'] == 'Giao ban tháng 12'
        assert m['meeting']['summary'] == 'Về việc đánh giá công tác tháng 12'
        assert m['chair']['name'] == 'Nguyễn Văn A' and m['secretary']['name'] == 'Trần Thị B'
        # presence to 2 s
        binh = by_name(m['attendance'], 'Bình')
        assert binh['state'] == 'present_online' and len(binh['intervals_ms']) == 1, binh
        start, stop = binh['intervals_ms'][0]
        assert abs(start / 1000 - times['binh_in']) < 2 and abs(stop / 1000 - times['binh_out']) < 2
        assert abs(binh['presence_s'] - (times['binh_out'] - times['binh_in'])) < 2
        assert abs(m['meeting']['started_ms'] / 1000 - times['chair_in']) < 2
        assert abs(m['meeting']['ended_ms'] / 1000 - times['end']) < 5  # + end_grace
        assert by_name(m['attendance'], 'Lê Văn C')['state'] == 'absent'
        assert by_name(m['attendance'], 'Lê Văn C')['reason'] == 'Đi công tác'
        hall = by_name(m['sites'], 'Xã Hải Phú')
        assert hall['state'] == 'present_hall' and abs(hall['intervals_ms'][0][0] / 1000 -
                                                      times['hall_in']) < 2
        assert by_name(m['sites'], 'Xã Gio Linh')['state'] == 'not_checked_in'
        assert not any(a['name'] == 'Xã Hải Phú' for a in m['attendance'])  # a hall, no person
        item2 = m['agenda'][1]
        assert item2['n'] == 2 and item2['title'] == 'Công tác cán bộ'
        assert item2['opinions'] == [{'who': 'Bình', 'text': 'Đề nghị bổ sung biên chế <2026>'}]
        assert item2['conclusions'] == ['Giao Sở Nội vụ tham mưu']
        [vote] = m['votes']
        assert vote['question'] == 'Thông qua kế hoạch?' and vote['result'] == 'Đồng ý 2/2', vote
        html = open(os.path.join(folder, 'minutes.html'), encoding='utf-8').read()
        assert 'biên chế &lt;2026&gt;' in html and 'Chưa điểm danh' in html
        # minutes.ready in the event log (once the draft's minutes.pdf is rendered too)
        deadline = time.monotonic() + 15
        while True:
            db = sqlite3.connect(os.path.join(data, 'hoinghi.db'))
            ready = [json.loads(d) for (d,) in db.execute(
                "SELECT data FROM events WHERE type = 'minutes.ready'")]
            db.close()
            if ready or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert os.path.exists(os.path.join(folder, 'minutes.pdf'))
        assert {'meeting': mid, 'version': 1} == {k: ready[0][k] for k in ('meeting', 'version')}

        # review: the secretary reads and edits (v2), may not approve; the chair approves
        sec = login(server, 'thu-ky', 'mat-khau-thu-ky')
        chair = login(server, 'chu-toa', 'mat-khau-chu-toa')
        assert http(server, 'GET', '/api/minutes/%d' % mid)[0] == 401
        st, got, _ = http(server, 'GET', '/api/minutes/%d' % mid, cookie=sec)
        assert st == 200 and got['version'] == 1 and got['state'] == 'draft' and got['may_edit']
        assert not got['may_approve']
        agenda = got['minutes']['agenda']
        agenda[1]['opinions'][0]['text'] = 'Đề nghị bổ sung 3 biên chế'
        st, got, _ = http(server, 'PUT', '/api/minutes/%d' % mid, {'agenda': agenda}, cookie=sec)
        assert st == 200 and got['version'] == 2, got
        assert http(server, 'PUT', '/api/minutes/%d' % mid, {'agenda': 5}, cookie=sec)[0] == 400
        assert http(server, 'POST', '/api/minutes/%d/approve' % mid, cookie=sec)[0] == 403
        st, got, _ = http(server, 'POST', '/api/minutes/%d/approve' % mid, cookie=chair)
        assert st == 200 and got['state'] == 'approved' and got['version'] == 2, got
        assert http(server, 'POST', '/api/minutes/%d/approve' % mid, cookie=chair)[0] == 409
        v2, _ = wait_minutes(data, mid, 2)
        assert v2['draft'] is False
        assert v2['agenda'][1]['opinions'][0]['text'] == 'Đề nghị bổ sung 3 biên chế'
        st, page, _ = http(server, 'GET', '/api/minutes/%d/html' % mid, cookie=chair)
        assert st == 200 and 'Đề nghị bổ sung 3 biên chế' in page and 'DỰ THẢO' not in page

        # kill -9 while another meeting is live; the first meeting's minutes "lost" meanwhile
        async def live():
            ws, _, _ = await join(server, tokens['Nguyễn Văn A'], 'Nguyễn Văn A')
            return ws
        asyncio.run(live())
        db = sqlite3.connect(os.path.join(data, 'hoinghi.db'))
        deadline = time.monotonic() + 8
        while not db.execute("SELECT id FROM meetings WHERE state = 'live'").fetchall():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        [(mid2,)] = db.execute("SELECT id FROM meetings WHERE state = 'live'").fetchall()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        db.execute('DELETE FROM minutes WHERE meeting = ?', (mid,))
        db.commit()
        db.close()
        for f in glob.glob(os.path.join(data, 'archive', '*', '*', '*', str(mid), 'minutes',
                                        '*', '*')):
            os.unlink(f)
        again = Server(str(tmp_path), CONFIG).start()
        m1, f1 = wait_minutes(data, mid, 1, 10)  # drafted again at start, with its PDF
        deadline = time.monotonic() + 15
        while not os.path.exists(os.path.join(f1, 'minutes.pdf')):
            assert time.monotonic() < deadline, 'no minutes.pdf of the catch-up draft'
            time.sleep(0.1)
        assert m1['agenda'][1]['conclusions'] == ['Giao Sở Nội vụ tham mưu']
        m2, _ = wait_minutes(data, mid2, 1, 15)  # ended "interrupted" after end_grace
        assert by_name(m2['attendance'], 'Nguyễn Văn A')['state'] == 'present_online'
        again.assert_healthy()
    finally:
        server.stop()
        if again:
            assert again.stop() == []
