"""TLS: with tls_cert/tls_key the server serves https and wss (officials on other machines need a
secure context for the camera), and a participant can join over wss."""
import asyncio
import json
import os
import ssl
import subprocess
import time
import urllib.request

import websockets

import harness


def make_cert(d):
    cert, key = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
                    '/CN=localhost', '-keyout', key, '-out', cert],
                   check=True, capture_output=True)
    return cert, key


def test_https_and_wss(tmp_path):
    cert, key = make_cert(str(tmp_path))
    conf = tmp_path / 'tls.conf'
    conf.write_text('[server]\ntls_cert = %s\ntls_key = %s\n' % (cert, key))
    port = harness.free_port()
    log = open(tmp_path / 'server.log', 'w')
    proc = subprocess.Popen([harness.HOINGHI_BIN, '--config', str(conf), '--listen',
                             '127.0.0.1:%d' % port, '--data-dir', str(tmp_path / 'data')],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=harness.sanitizer_env())
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        body = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and body is None:
            assert proc.poll() is None, harness.tail(str(tmp_path / 'server.log'))
            try:
                with urllib.request.urlopen('https://127.0.0.1:%d/healthz' % port, context=ctx,
                                            timeout=1) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert body and body['status'] == 'ok'
        with urllib.request.urlopen('https://127.0.0.1:%d/' % port, context=ctx, timeout=3) as r:
            assert r.status == 200 and b'<html' in r.read().lower()

        async def join():
            async with websockets.connect('wss://127.0.0.1:%d/ws' % port, ssl=ctx) as ws:
                await ws.send(json.dumps({'type': 'join', 'room': 'tls', 'name': 'Thư ký'}))
                return json.loads(await asyncio.wait_for(ws.recv(), 5))
        reply = asyncio.run(join())
        assert reply['type'] == 'joined' and reply['room'] == 'tls'
    finally:
        proc.terminate()
        rc = proc.wait(15)
        log.close()
    text = harness.tail(str(tmp_path / 'server.log'), 100000)
    assert harness.sanitizer_report(text) is None, text
    assert rc in (0, -15), text
    # the start-up log names the certificate's SHA-256 fingerprint, as openssl computes it
    fp = subprocess.run(['openssl', 'x509', '-in', cert, '-noout', '-fingerprint', '-sha256'],
                        capture_output=True, text=True, check=True).stdout.strip().split('=')[1]
    assert 'TLS certificate %s, SHA-256 fingerprint %s' % (cert, fp) in text, text
