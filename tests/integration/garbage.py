"""Generators of hostile input for the robustness test: UDP datagrams that look like RTP, RTCP,
DTLS and STUN (and plain noise), and broken HTTP / WebSocket byte streams.

Everything is sent to 127.0.0.1 only, in bounded amounts, with a seeded random generator so a
failure can be replayed (the seed is printed)."""
import binascii
import os
import random
import socket
import struct
import time


def _rand(rng, n):
    return rng.randbytes(n)


def rtp_like(rng):
    """V=2 RTP header with random/lying fields (CSRC count, extension, padding)."""
    first = 0x80 | rng.choice([0, 0x10, 0x20, 0x30]) | rng.randrange(16)
    pt = rng.choice([96, 97, 100, 102, 111, 0, 127, rng.randrange(128)])
    hdr = struct.pack('!BBHII', first, pt | rng.choice([0, 0x80]), rng.randrange(65536),
                      rng.getrandbits(32), rng.getrandbits(32))
    body = b''
    if first & 0x10 and rng.random() < 0.7:   # extension header with a (possibly lying) length
        body += struct.pack('!HH', rng.choice([0xBEDE, 0x1000, rng.randrange(65536)]),
                            rng.choice([0, 1, 255, 65535]))
    body += _rand(rng, rng.randrange(0, 1200))
    if first & 0x20 and rng.random() < 0.7:
        body += bytes([rng.choice([0, 1, 255])])   # padding count, often past the packet
    return hdr + body


def rtcp_like(rng):
    """One or more RTCP headers (SR..XR, PSFB/RTPFB) with lying lengths."""
    out = b''
    for _ in range(rng.randrange(1, 4)):
        pt = rng.choice([200, 201, 202, 203, 204, 205, 206, 207, rng.randrange(192, 224)])
        length = rng.choice([0, 1, 2, 7, 255, 65535, rng.randrange(65536)])
        out += struct.pack('!BBHI', 0x80 | rng.randrange(32), pt, length, rng.getrandbits(32))
        out += _rand(rng, rng.choice([0, 4, 8, 20, rng.randrange(200)]))
    return out


def dtls_like(rng):
    """DTLS records: handshake/alert/application data, with lying record and fragment lengths."""
    ctype = rng.choice([20, 21, 22, 22, 22, 23, rng.randrange(20, 64)])
    version = rng.choice([b'\xfe\xff', b'\xfe\xfd', b'\xfe\xfc', _rand(rng, 2)])
    body = b''
    if ctype == 22:
        hs_type = rng.choice([1, 2, 11, 12, 14, 16, 20, rng.randrange(256)])
        frag = _rand(rng, rng.randrange(0, 300))
        total = rng.choice([len(frag), len(frag) + 1000, 0xFFFFFF])
        body = (bytes([hs_type]) + total.to_bytes(3, 'big') + struct.pack('!H', rng.randrange(4))
                + rng.choice([0, 10, 0xFFFFFF]).to_bytes(3, 'big')
                + rng.choice([len(frag), 0xFFFFFF]).to_bytes(3, 'big') + frag)
    else:
        body = _rand(rng, rng.randrange(0, 200))
    length = rng.choice([len(body), len(body) + 50, 0, 0xFFFF])
    rec = (bytes([ctype]) + version + struct.pack('!H', rng.randrange(3))
           + rng.getrandbits(48).to_bytes(6, 'big') + struct.pack('!H', length) + body)
    if rng.random() < 0.2:
        rec += rec   # two records in one datagram
    return rec


def stun_like(rng):
    """STUN messages with the right magic cookie and broken or lying attributes; some carry a
    correct FINGERPRINT so they get past the first checks."""
    mtype = rng.choice([0x0001, 0x0101, 0x0111, 0x0011, rng.randrange(0x4000)])
    attrs = b''
    for _ in range(rng.randrange(0, 6)):
        atype = rng.choice([0x0006, 0x0008, 0x0024, 0x0025, 0x8029, 0x802A, 0x0020, 0x0009,
                            rng.randrange(65536)])
        if atype == 0x0006:
            val = ('%s:%s' % (_rand(rng, 4).hex(), _rand(rng, 4).hex())).encode()
        elif atype == 0x0008:
            val = _rand(rng, 20)
        else:
            val = _rand(rng, rng.choice([0, 1, 4, 8, 17, 64]))
        alen = rng.choice([len(val), len(val), len(val) + 4, 0xFFFF])
        attrs += struct.pack('!HH', atype, alen) + val + b'\0' * (-len(val) % 4)
    length = rng.choice([len(attrs), len(attrs), len(attrs) + 8, 0xFFFF, 3])
    msg = struct.pack('!HHI', mtype, length, 0x2112A442) + _rand(rng, 12) + attrs
    if rng.random() < 0.4:
        fixed = struct.pack('!HHI', mtype, len(attrs) + 8, 0x2112A442) + msg[8:]
        crc = (binascii.crc32(fixed) ^ 0x5354554E) & 0xFFFFFFFF
        msg = fixed + struct.pack('!HHI', 0x8028, 4, crc)
    return msg


def noise(rng):
    return _rand(rng, rng.choice([0, 1, 2, 3, 11, 12, 20, rng.randrange(1500), 1500, 4000]))


GENERATORS = (rtp_like, rtcp_like, dtls_like, stun_like, noise)


def udp_flood(addrs, count_per_addr, seed, pace_every=50, pace_s=0.005):
    """Sends `count_per_addr` mixed garbage datagrams to each (ip, port); returns the total."""
    rng = random.Random(seed)
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(count_per_addr):
            for addr in addrs:
                gen = GENERATORS[i % len(GENERATORS)]
                try:
                    s.sendto(gen(rng), addr)
                    sent += 1
                except OSError:
                    pass   # e.g. ICMP port unreachable reported on a previous send
            if i % pace_every == 0:
                time.sleep(pace_s)
    return sent


WS_HANDSHAKE = (b'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
                b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
                b'Sec-WebSocket-Version: 13\r\n\r\n')


def http_payloads(seed):
    """(label, bytes) pairs of broken HTTP and WebSocket traffic."""
    rng = random.Random(seed)
    return [
        ('random bytes', _rand(rng, 4096)),
        ('nul bytes', b'\0' * 2048),
        ('tls client hello', bytes.fromhex('16030100a5010000a10303') + _rand(rng, 160)),
        ('huge header', b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ' + b'a' * 100000
         + b'\r\n\r\n'),
        ('huge uri', b'GET /' + b'a' * 30000 + b' HTTP/1.1\r\nHost: x\r\n\r\n'),
        ('many headers', b'GET / HTTP/1.1\r\n' + b'X-A: b\r\n' * 3000 + b'\r\n'),
        ('bad method', b'BREW /healthz HTCPCP/1.0\r\n\r\n'),
        ('bad version', b'GET /healthz HTTP/9.9\r\n\r\n'),
        ('no version', b'GET /healthz\r\n\r\n'),
        ('negative length', b'POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc'),
        ('huge length', b'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: '
         b'99999999999999999999\r\n\r\nabc'),
        ('chunked lies', b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
         b'fffffffffffffff\r\nabc\r\n'),
        ('incomplete', b'GET /ws HTTP/1.1\r\nHost: x\r\n'),
        ('bad ws key', WS_HANDSHAKE.replace(b'dGhlIHNhbXBsZSBub25jZQ==', b'!!')),
        ('bad ws version', WS_HANDSHAKE.replace(b'Version: 13', b'Version: 99')),
        ('ws unmasked frame', WS_HANDSHAKE + b'\x81\x05hello'),
        ('ws reserved opcode', WS_HANDSHAKE + b'\x83\x80' + _rand(rng, 4)),
        ('ws rsv bits', WS_HANDSHAKE + b'\xf1\x85' + _rand(rng, 4) + _rand(rng, 5)),
        ('ws 2^63 length', WS_HANDSHAKE + b'\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff'
         + _rand(rng, 4) + _rand(rng, 100)),
        ('ws huge control frame', WS_HANDSHAKE + b'\x89\xfe\x10\x00' + _rand(rng, 4)
         + _rand(rng, 4096)),
        ('ws fragmented control', WS_HANDSHAKE + b'\x09\x80' + _rand(rng, 4)),
        ('ws continuation first', WS_HANDSHAKE + b'\x80\x85' + _rand(rng, 4) + _rand(rng, 5)),
        ('ws bad utf8', WS_HANDSHAKE + _masked_text(rng, b'{"type":"\xff\xfe\xc0\xaf"}')),
        ('ws random', WS_HANDSHAKE + _rand(rng, 3000)),
    ]


def _masked_text(rng, payload):
    key = _rand(rng, 4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + key + masked


def http_send(port, payload, read_timeout=1.0):
    """Sends one payload on a fresh TCP connection; returns what came back (may be b'')."""
    reply = b''
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        try:
            s.sendall(payload)
        except OSError:
            return reply   # the server may close early on garbage; that is fine
        s.settimeout(read_timeout)
        try:
            while len(reply) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
    return reply


def connection_churn(port, count):
    """Opens and immediately closes (some with RST) `count` TCP connections."""
    for i in range(count):
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            s.close()
        except OSError:
            pass


def seed_from_env():
    return int(os.environ.get('HOINGHI_FUZZ_SEED', str(int(time.time()) & 0xFFFF)))
