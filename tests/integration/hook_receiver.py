"""A webhook receiver for the tests and scripts/bench-hooks: verifies Standard Webhooks
signatures and writes one JSON line per request to LOG. Its first FAIL requests are answered
500, the next SLOW ones after SLOW_S seconds; /gone answers 410; /eoffice/upload takes a
multipart upload and answers a document id; /eoffice/edxml checks the package's structure.

usage: hook_receiver.py PORT SECRET LOG [FAIL] [SLOW] [SLOW_S]"""
import base64
import email.parser
import hashlib
import hmac
import json
import sys
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, SECRET, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
FAIL = int(sys.argv[4]) if len(sys.argv) > 4 else 0
SLOW = int(sys.argv[5]) if len(sys.argv) > 5 else 0
SLOW_S = float(sys.argv[6]) if len(sys.argv) > 6 else 0
KEY = base64.b64decode(SECRET[len('whsec_'):])
NS = '{http://www.mic.gov.vn/TBT/QCVN_102_2016}'
count = 0


def verify(headers, body):
    mid, ts, sig = (headers.get('webhook-id'), headers.get('webhook-timestamp'),
                    headers.get('webhook-signature'))
    if not (mid and ts and sig):
        return False
    mac = hmac.new(KEY, b'%s.%s.%s' % (mid.encode(), ts.encode(), body), hashlib.sha256)
    want = 'v1,' + base64.b64encode(mac.digest()).decode()
    return any(hmac.compare_digest(want, s) for s in sig.split())


def edxml_ok(body):
    """The structure of QCVN 102:2016 as the test reads it, independently of the C check."""
    root = ET.fromstring(body)
    env = root.find(NS + 'edXMLEnvelope')
    mh = env.find(NS + 'edXMLHeader/' + NS + 'MessageHeader')
    for path in ('From/OrganId', 'To/OrganId', 'Code/CodeNumber', 'Code/CodeNotation',
                 'PromulgationInfo/PromulgationDate', 'Subject', 'SignerInfo/FullName',
                 'DocumentId'):
        el = mh.find('/'.join(NS + p for p in path.split('/')))
        assert el is not None and (el.text or '').strip(), path
    refs = env.findall('.//' + NS + 'Reference')
    atts = {a.findtext(NS + 'ContentId'): a.findtext(NS + 'ContentTransferEncoded')
            for a in root.iter(NS + 'Attachment')}
    for r in refs:
        cid = r.get('{http://www.w3.org/1999/xlink}href')[4:]
        assert base64.b64decode(atts[cid]).startswith(b'%PDF')
    return bool(refs)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get('content-length') or 0))
        count += 1
        rec = {'t': time.time(), 'path': self.path, 'id': self.headers.get('webhook-id'),
               'sig_ok': verify(self.headers, body), 'n': count}
        status, reply = 200, b'{}'
        if self.path == '/gone':
            status = 410
        elif self.path == '/eoffice/upload':
            msg = email.parser.BytesParser().parsebytes(
                b'Content-Type: ' + self.headers['content-type'].encode() + b'\r\n\r\n' + body)
            parts = {p.get_param('name', header='content-disposition'): p.get_payload(decode=True)
                     for p in msg.get_payload()}
            rec['fields'] = sorted(parts)
            rec['pdf'] = parts.get('file', b'')[:5].decode('latin1')
            rec['auth'] = self.headers.get('authorization')
            reply = json.dumps({'data': {'document': {'id': 'VB-%d' % count}}}).encode()
        elif self.path == '/eoffice/edxml':
            try:
                rec['edxml_ok'] = edxml_ok(body)
            except Exception as e:  # noqa: BLE001
                rec['edxml_ok'] = False
                rec['edxml_error'] = repr(e)
        else:
            try:
                rec['body'] = json.loads(body)
            except ValueError:
                rec['body'] = None
            if count <= FAIL:
                status = 500
            elif count <= FAIL + SLOW:
                time.sleep(SLOW_S)
        rec['status'] = status
        with open(LOG, 'a') as f:
            f.write(json.dumps(rec) + '\n')
        self.send_response(status)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


ThreadingHTTPServer(('127.0.0.1', PORT), Handler).serve_forever()
