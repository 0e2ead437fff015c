"""minutes.pdf (Decree 30 layout) and its digital signature, through `hoinghi minutes-pdf`.

One 40-attendee fixture is rendered and signed once for the module (a PKCS#12 made here with
openssl); poppler's pdftoppm, pdftotext, pdffonts and pdfsig and `openssl cms` judge the result.
"""
import json
import os
import re
import subprocess
import unicodedata

import pytest

from harness import run_cli, sanitizer_report
from minutes_fixture import minutes

CN = 'Văn phòng UBND tỉnh Quảng Trị'
PASSWORD = 'mật-khẩu 12/2026'


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, check=True,
                          **kw)


def nfc(s):
    return unicodedata.normalize('NFC', s)


def cli(*args):
    proc = run_cli(['minutes-pdf'] + [str(a) for a in args], timeout=60)
    assert sanitizer_report(proc.stdout + proc.stderr) is None, proc.stderr
    return proc


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp('minutes_pdf')
    run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-utf8', '-days', '30',
        '-subj', '/C=VN/O=UBND tỉnh Quảng Trị/CN=' + CN,
        '-keyout', str(d / 'key.pem'), '-out', str(d / 'cert.pem'))
    (d / 'pw').write_text(PASSWORD + '\n', encoding='utf-8')
    run('openssl', 'pkcs12', '-export', '-inkey', str(d / 'key.pem'), '-in', str(d / 'cert.pem'),
        '-out', str(d / 'agency.p12'), '-passout', 'file:' + str(d / 'pw'))
    (d / 'minutes.json').write_text(json.dumps(minutes(40), ensure_ascii=False), encoding='utf-8')
    proc = cli(d / 'minutes.json', d / 'minutes.pdf', '--sign', d / 'agency.p12',
               '--password-file', d / 'pw')
    assert proc.returncode == 0, proc.stderr
    assert CN in proc.stdout
    return d


def test_renders_paginated_decree30_text_with_fonts(work):
    pdf = str(work / 'minutes.pdf')
    pages = int(re.search(r'Pages:\s+(\d+)', run('pdfinfo', pdf).stdout).group(1))
    assert pages >= 3, 'the 40-row attendance table and long opinions paginate'
    run('pdftoppm', '-r', '20', '-png', pdf, str(work / 'page'))
    pngs = [f for f in os.listdir(work) if f.startswith('page') and f.endswith('.png')]
    assert len(pngs) == pages
    text = nfc(run('pdftotext', '-layout', pdf, '-').stdout)
    for needle in ('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'Độc lập - Tự do - Hạnh phúc',
                   'BIÊN BẢN', 'VĂN PHÒNG UBND TỈNH', 'Số: 12/BB-VP',
                   'Quảng Trị, ngày 05 tháng 12 năm 2026', 'Nguyễn Văn Ánh', 'Huỳnh Văn Hương',
                   'Đặng Ngọc Lợi', 'Vắng mặt (lý do: Đi', 'Chưa điểm danh',
                   'Thời gian bắt đầu: 08 giờ 02 phút', 'Kết luận', 'Đồng ý: 9',
                   'ab' * 32, 'Nơi nhận', 'THƯ KÝ', 'CHỦ TỌA', 'Trần Thị Bình',
                   'kết thúc vào 09 giờ 40 phút'):
        assert nfc(needle) in text, needle
    assert 'DỰ THẢO' not in text and 'MẬT' not in text
    # the page number appears from page 2 (alone on its line at the top), not on page 1
    first = run('pdftotext', '-f', '1', '-l', '1', pdf, '-').stdout.strip().splitlines()[0]
    second = run('pdftotext', '-f', '2', '-l', '2', pdf, '-').stdout.strip().splitlines()[0]
    assert first.strip() != '1' and second.strip() == '2'
    fonts = run('pdffonts', pdf).stdout.splitlines()[2:]
    assert fonts and all(re.search(r'\byes\s+yes\s+yes\b', f) for f in fonts), fonts


def test_embedded_signature_valid(work):
    out = run('pdfsig', str(work / 'minutes.pdf')).stdout
    assert 'Signature is Valid' in out, out
    assert 'Signer Certificate Common Name: ' + CN in out, out
    assert 'Total document signed' in out, out
    assert 'SHA-256' in out and 'adbe.pkcs7.detached' in out, out


def test_byte_changed_in_signed_range_invalid(work):
    data = bytearray((work / 'minutes.pdf').read_bytes())
    at = data.index(b'/Creator')  # in the /Info dictionary, inside the first signed range
    data[at + 1] ^= 0x20
    bad = work / 'tampered.pdf'
    bad.write_bytes(bytes(data))
    out = subprocess.run(['pdfsig', str(bad)], capture_output=True, text=True).stdout
    assert 'Signature Validation:' in out, out
    assert 'Signature is Valid' not in out, out


def test_detached_p7s_verifies(work):
    proc = subprocess.run(['openssl', 'cms', '-verify', '-binary', '-inform', 'DER',
                           '-in', str(work / 'minutes.pdf.p7s'),
                           '-content', str(work / 'minutes.pdf'),
                           '-CAfile', str(work / 'cert.pem'), '-purpose', 'any',
                           '-out', os.devnull], capture_output=True, text=True)
    assert proc.returncode == 0 and 'Verification successful' in proc.stderr, proc.stderr


def test_draft_and_confidential_marks(work):
    src = work / 'draft.json'
    src.write_text(json.dumps(minutes(3, draft=True, confidential=True), ensure_ascii=False),
                   encoding='utf-8')
    proc = cli(src, work / 'draft.pdf')
    assert proc.returncode == 0, proc.stderr
    text = nfc(run('pdftotext', str(work / 'draft.pdf'), '-').stdout)
    assert nfc('DỰ THẢO') in text and nfc('MẬT') in text, text
    proc = cli(src, work / 'draft-signed.pdf', '--sign', work / 'agency.p12',
               '--password-file', work / 'pw')
    assert proc.returncode == 1 and 'draft' in proc.stderr, proc.stderr


def test_key_errors_are_clear(work):
    wrong = work / 'wrong-pw'
    wrong.write_text('not the password\n')
    proc = cli(work / 'minutes.json', work / 'x.pdf', '--sign', work / 'agency.p12',
               '--password-file', wrong)
    assert proc.returncode == 1 and 'wrong password' in proc.stderr, proc.stderr
    assert 'not the password' not in proc.stderr + proc.stdout
    run('openssl', 'pkcs12', '-export', '-nokeys', '-in', str(work / 'cert.pem'),
        '-out', str(work / 'nokey.p12'), '-passout', 'file:' + str(work / 'pw'))
    proc = cli(work / 'minutes.json', work / 'y.pdf', '--sign', work / 'nokey.p12',
               '--password-file', work / 'pw')
    assert proc.returncode == 1 and 'holds no private key' in proc.stderr, proc.stderr
    proc = cli(work / 'minutes.json', work / 'z.pdf', '--sign', work / 'missing.p12')
    assert proc.returncode == 1 and 'cannot open' in proc.stderr, proc.stderr
    (work / 'bad.json').write_text('{"version": 7}')
    proc = cli(work / 'bad.json', work / 'w.pdf')
    assert proc.returncode == 1 and 'version 1' in proc.stderr, proc.stderr


def test_config_p12_checked_at_load_and_used(work):
    (work / 'wrong-pw').write_text('not the password\n')  # also when run alone (-k)
    conf = work / 'bad.conf'
    conf.write_text('[minutes]\np12 = %s\np12_password_file = %s\n'
                    % (work / 'agency.p12', work / 'wrong-pw'))
    proc = run_cli(['--config', str(conf), '--listen', '127.0.0.1:1', '--data-dir', str(work)])
    assert proc.returncode > 0 and '[minutes] p12' in proc.stderr, proc.stderr
    assert 'wrong password' in proc.stderr and 'not the password' not in proc.stderr
    good = work / 'good.conf'
    good.write_text('[minutes]\np12 = %s\np12_password_file = %s\n'
                    % (work / 'agency.p12', work / 'pw'))
    proc = cli('-c', good, work / 'minutes.json', work / 'conf.pdf')
    assert proc.returncode == 0, proc.stderr
    assert 'Signature is Valid' in run('pdfsig', str(work / 'conf.pdf')).stdout
