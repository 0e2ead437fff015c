"""Issue 12, "Done when": a scripted meeting ends; its draft v1 has minutes.pdf next to
minutes.json (the Vietnamese text extractable); the chair's account approves through
/api/minutes; within seconds the version's minutes.pdf carries a valid signature of the agency's
test certificate (pdfsig), the version is `signed`, the e-office receiver gets the signed PDF
exactly once as an upload and once as an edXML package, and a [webhook:x] receiver gets
minutes.ready and minutes.signed with valid signatures; a confidential room's minutes are signed
and kept, and nothing of them is sent. One server, real processes."""
import asyncio
import json
import os
import subprocess
import time
import urllib.request

from harness import Server, free_port, recv_type, ws_connect
from test_hooks import SECRET, eoffice, received, start_receiver, wait
from test_minutes import cli, http, join, login, wait_minutes

CN = 'Sở Nội vụ tỉnh Quảng Trị'


def config(port, p12, pw):
    return """
[auth]
jwt_secret = signed-minutes-test-secret-0123456789

[rooms]
end_grace = 1

[room:so-noi-vu]
title = Phòng họp Sở Nội vụ

[room:kin]
confidential = true

[minutes]
agency_parent = ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ
agency_name = SỞ NỘI VỤ
agency_code = SNV
place = Quảng Trị
p12 = %(p12)s
p12_password_file = %(pw)s

[hooks]
retry_base_ms = 200

[webhook:x]
url = http://127.0.0.1:%(p)d/hook
secret = %(s)s
events = minutes.*
""" % {'p': port, 's': SECRET, 'p12': p12, 'pw': pw} + eoffice(port)


def make_p12(d):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-utf8', '-days',
                    '30', '-subj', '/C=VN/O=UBND tỉnh Quảng Trị/CN=' + CN, '-keyout',
                    str(d / 'key.pem'), '-out', str(d / 'cert.pem')], check=True,
                   capture_output=True)
    (d / 'pw').write_text('mat-khau-chung-thu\n', encoding='utf-8')
    subprocess.run(['openssl', 'pkcs12', '-export', '-inkey', str(d / 'key.pem'), '-in',
                    str(d / 'cert.pem'), '-out', str(d / 'agency.p12'), '-passout',
                    'file:' + str(d / 'pw')], check=True, capture_output=True)
    return d / 'agency.p12', d / 'pw'


def test_approved_minutes_are_signed_and_sent(tmp_path):
    p12, pw = make_p12(tmp_path)
    port, log = free_port(), str(tmp_path / 'received.jsonl')
    data = str(tmp_path / 'data')
    key = cli(data, 'apikey', 'add', 'cong-thong-tin')
    cli(data, 'user', 'add', 'chu-toa', '--role', 'chair', '--display-name', 'Nguyễn Văn A',
        stdin='mat-khau-chu-toa\n')
    cli(data, 'user', 'add', 'van-thu', '--role', 'clerk', stdin='mat-khau-van-thu\n')
    rcv = start_receiver(port, log)
    server = Server(str(tmp_path), config(port, p12, pw)).start()
    try:
        st, meeting, _ = http(server, 'POST', '/api/v1/meetings', {
            'title': 'Giao ban tháng 12', 'room': 'so-noi-vu', 'starts': int(time.time()),
            'chair': 'Nguyễn Văn A', 'secretary': 'Trần Thị B',
            'agenda': ['Tình hình kinh tế', 'Công tác cán bộ']}, key=key)
        assert st == 201, meeting
        mid = meeting['id']
        st, tok, _ = http(server, 'POST', '/api/v1/meetings/%d/tokens' % mid,
                          {'name': 'Nguyễn Văn A', 'role': 'chair'}, key=key)
        assert st in (200, 201), tok
        st, kin_meeting, _ = http(server, 'POST', '/api/v1/meetings', {
            'title': 'Họp kín', 'room': 'kin', 'starts': int(time.time()),
            'chair': 'Nguyễn Văn A'}, key=key)
        assert st == 201, kin_meeting
        kid = kin_meeting['id']
        st, ktok, _ = http(server, 'POST', '/api/v1/meetings/%d/tokens' % kid,
                           {'name': 'Mật', 'role': 'chair'}, key=key)
        assert st in (200, 201), ktok

        async def meeting_run():
            ws, _, _ = await join(server, tok['token'], 'Nguyễn Văn A')
            kin = await ws_connect(server)  # and a confidential room's meeting
            await kin.send(json.dumps({'type': 'join', 'room': 'kin', 'name': 'Mật',
                                       'token': ktok['token']}))
            assert (await recv_type(kin, 'joined', 8))['type'] == 'joined'
            await asyncio.sleep(1.5)
            await ws.close()
            await kin.close()
        asyncio.run(meeting_run())

        # the draft: minutes.pdf next to minutes.json, with its Vietnamese text
        _, folder = wait_minutes(data, mid, 1, 15)
        draft_pdf = os.path.join(folder, 'minutes.pdf')
        wait(lambda: os.path.exists(draft_pdf), 15, 'the draft minutes.pdf')
        text = subprocess.run(['pdftotext', draft_pdf, '-'], capture_output=True, text=True,
                              check=True).stdout
        assert 'BIÊN BẢN' in text and 'Giao ban tháng 12' in text and 'SỞ NỘI VỤ' in text, text
        assert 'DỰ THẢO' in text  # a draft says so
        assert 'Signature' not in subprocess.run(['pdfsig', draft_pdf], capture_output=True,
                                                 text=True).stdout

        # the chair approves; the approved v1 is signed within seconds
        chair = login(server, 'chu-toa', 'mat-khau-chu-toa')
        st, got, _ = http(server, 'GET', '/api/minutes/%d' % mid, cookie=chair)
        assert st == 200 and got['may_approve'] and got['pdf_ready'], got
        st, got, _ = http(server, 'POST', '/api/minutes/%d/approve' % mid, cookie=chair)
        assert st == 200 and got['state'] == 'approved', got
        signed = wait(lambda: http(server, 'GET', '/api/minutes/%d' % mid, cookie=chair)[1]
                      ['state'] == 'signed', 20, 'the version signed')
        assert signed
        # the confidential room's minutes are signed too, and stay in the archive
        wait_minutes(data, kid, 1, 15)
        wait(lambda: http(server, 'GET', '/api/minutes/%d' % kid, cookie=chair)[1].get(
            'pdf_ready'), 15, 'the confidential draft PDF')
        assert http(server, 'POST', '/api/minutes/%d/approve' % kid, cookie=chair)[0] == 200
        wait(lambda: http(server, 'GET', '/api/minutes/%d' % kid, cookie=chair)[1]['state'] ==
             'signed', 20, 'the confidential version signed')
        sig = subprocess.run(['pdfsig', draft_pdf], capture_output=True, text=True).stdout
        assert 'Signature is Valid' in sig and CN in sig, sig
        assert 'DỰ THẢO' not in subprocess.run(['pdftotext', draft_pdf, '-'],
                                               capture_output=True, text=True).stdout
        req = urllib.request.Request(server.http_url + '/api/minutes/%d/pdf' % mid)
        req.add_header('Cookie', chair)
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.headers['content-type'] == 'application/pdf'
            assert r.read() == open(draft_pdf, 'rb').read()
        assert http(server, 'GET', '/api/minutes/%d/pdf' % mid)[0] == 401

        # the e-office gets the signed PDF once each way; the webhook both events, signed
        up = wait(lambda: [r for r in received(log) if r['path'] == '/eoffice/upload'], 20,
                  'the upload')
        ed = wait(lambda: [r for r in received(log) if r['path'] == '/eoffice/edxml'], 20,
                  'the edXML package')
        hooks = wait(lambda: (lambda t: 'minutes.signed' in t and t)(
            [r['body']['type'] for r in received(log) if r['path'] == '/hook']), 20,
            'minutes.signed at the webhook')
        time.sleep(1.5)  # nothing more comes
        got = received(log)
        up = [r for r in got if r['path'] == '/eoffice/upload']
        ed = [r for r in got if r['path'] == '/eoffice/edxml']
        assert len(up) == 1 and up[0]['pdf'] == '%PDF-' and up[0]['status'] == 200, up
        assert len(ed) == 1 and ed[0]['edxml_ok'], ed
        hooks = [r for r in got if r['path'] == '/hook']
        assert all(r['sig_ok'] for r in hooks), hooks
        kinds = [r['body']['type'] for r in hooks]
        assert kinds.count('minutes.ready') == 1 and kinds.count('minutes.signed') == 1, kinds
        # nothing of the confidential room left the server
        assert not [r for r in hooks if r['body']['data'].get('meeting') == kid], hooks
        [s] = [r['body']['data'] for r in hooks if r['body']['type'] == 'minutes.signed']
        assert (s['meeting'], s['version'], s['signer']) == (mid, 1, CN), s
        assert s['number'] == '%d/BB-SNV' % mid and s['title'] == 'Giao ban tháng 12', s
        assert os.path.samefile(s['pdf'], draft_pdf)
        # the portal's catalogue lists the minutes' files
        clerk = login(server, 'van-thu', 'mat-khau-van-thu')
        st, got, _ = http(server, 'GET', '/api/archive/meetings/%d' % mid, cookie=clerk)
        assert st == 200, got
        files = {f['name'] for f in got['files']}
        assert {'minutes/v1/minutes.pdf', 'minutes/v1/minutes.json'} <= files, files
        server.assert_healthy()
    finally:
        rcv.terminate()
        rcv.wait()
        assert server.stop() == []
