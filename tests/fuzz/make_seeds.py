#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (committed; rerun after changing it).

rtp, rtcp: valid packets built here, one per feature the parsers handle.
sdp: the browser and webrtcbin descriptions of tests/unit/sdp/fixtures.
protocol: the client messages of docs/signaling.md.
config: conf/hoinghi.conf and small files that reach each group.
audit: /admin/audit query strings and a formula-looking cell.
manifest: a manifest.json as docs/recording.md shows it, Range headers and archive paths (the
first byte picks the body size of the range).
"""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def rtp(pt, seq, ts, ssrc, payload, marker=False, csrcs=(), ext=None, padding=0):
    b0 = 0x80 | (0x20 if padding else 0) | (0x10 if ext else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext:
        profile, data = ext
        data += b"\0" * (-len(data) % 4)
        out += struct.pack("!HH", profile, len(data) // 4) + data
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def rtp_seeds():
    vp8_key = bytes([0x10, 0x00, 0x9D, 0x01, 0x2A]) + b"\x40\x01\xf0\x00" + b"\x11" * 20
    write("rtp", "opus", rtp(111, 1, 960, 0x11111111, b"\xfc" + b"\x22" * 60))
    write("rtp", "vp8-keyframe", rtp(96, 100, 90000, 0x22222222, vp8_key, marker=True))
    write("rtp", "vp8-delta", rtp(96, 101, 93000, 0x22222222, bytes([0x90, 0x80, 0x05, 0x01]) + b"\x33" * 30))
    # one-byte header extensions (RFC 8285): mid (id 1) "0", abs-send-time (id 2)
    write("rtp", "ext-one-byte", rtp(96, 7, 1, 3, vp8_key,
                                     ext=(0xBEDE, bytes([0x10, 0x30, 0x22, 0x01, 0x02, 0x03]))))
    write("rtp", "ext-two-byte", rtp(111, 8, 2, 4, b"\x01" * 10, ext=(0x1000, bytes([1, 2, 0x41, 0x42]))))
    write("rtp", "csrcs-padding", rtp(111, 9, 3, 5, b"\x02" * 12, csrcs=(7, 8), padding=4))
    write("rtp", "h264-idr", rtp(102, 10, 4, 6, bytes([0x65, 0x88, 0x84]) + b"\x00" * 20, marker=True))
    stap = bytes([0x78]) + struct.pack("!H", 4) + bytes([0x67, 0x42, 0xC0, 0x1F]) + \
        struct.pack("!H", 3) + bytes([0x68, 0xCE, 0x3C]) + struct.pack("!H", 3) + bytes([0x65, 0x88, 0x84])
    write("rtp", "h264-stap-a", rtp(102, 11, 5, 6, stap))
    write("rtp", "h264-fu-a-start", rtp(102, 12, 6, 6, bytes([0x7C, 0x85]) + b"\x44" * 30))
    write("rtp", "rtx", rtp(97, 13, 7, 9, struct.pack("!H", 100) + vp8_key))


def rtcp(pt, count, body):
    return struct.pack("!BBH", 0x80 | count, pt, len(body) // 4) + body


def rtcp_seeds():
    si = struct.pack("!IIIII", 0x11111111, 0xE0000000, 0x12345678, 90000, 100) + struct.pack("!I", 123456)
    block = struct.pack("!IB", 0x22222222, 25) + (3).to_bytes(3, "big") + struct.pack("!IIII", 0x10005, 40, 0x11112222, 65536)
    sr = rtcp(200, 1, si + block)
    cname = b"\x01\x06abcdef"
    chunk = struct.pack("!I", 0x11111111) + cname + b"\0" * (4 - (len(cname) % 4))
    sdes = rtcp(202, 1, chunk)
    write("rtcp", "sr-sdes", sr + sdes)
    write("rtcp", "rr", rtcp(201, 1, struct.pack("!I", 0x33333333) + block))
    write("rtcp", "rr-empty", rtcp(201, 0, struct.pack("!I", 0x33333333)))
    write("rtcp", "nack", rtcp(205, 1, struct.pack("!IIHH", 1, 2, 1000, 0x8001)))
    write("rtcp", "pli", rtcp(206, 1, struct.pack("!II", 1, 2)))
    write("rtcp", "fir", rtcp(206, 4, struct.pack("!II", 1, 0) + struct.pack("!IB3x", 2, 7)))
    remb = b"REMB" + bytes([1]) + ((3 << 18) | 100000).to_bytes(3, "big") + struct.pack("!I", 2)
    write("rtcp", "remb", rtcp(206, 15, struct.pack("!II", 1, 0) + remb))
    twcc = struct.pack("!HH", 100, 3) + (5).to_bytes(3, "big") + bytes([1]) + struct.pack("!H", 0x2003) + bytes([4, 8, 12]) + b"\0\0\x03"
    write("rtcp", "twcc", rtcp(205, 15, struct.pack("!II", 1, 2) + twcc))
    # run-length chunk, then a 2-bit vector (lost, large negative delta, small), zero padding
    twcc2 = struct.pack("!HH", 100, 5) + (1).to_bytes(3, "big") + bytes([7]) + struct.pack("!HH", 0x2002, 0xC900) + bytes([4, 8, 0xFF, 0xFC, 2, 0, 0, 0])
    write("rtcp", "twcc-vector", rtcp(205, 15, struct.pack("!II", 1, 2) + twcc2))
    write("rtcp", "bye", rtcp(203, 2, struct.pack("!II", 1, 2)))
    write("rtcp", "app", rtcp(204, 0, struct.pack("!I", 1) + b"NAME" + b"data"))
    write("rtcp", "xr", rtcp(207, 0, struct.pack("!I", 1) + bytes([4, 0, 0, 2]) + b"\0" * 8))
    write("rtcp", "rr-padding", struct.pack("!BBH", 0xA0, 201, 2) + struct.pack("!I", 5) + b"\0\0\0\x04")


def copy_dir(src, target, suffix):
    for name in sorted(os.listdir(src)):
        if name.endswith(suffix):
            shutil.copy(os.path.join(src, name), os.path.join(CORPUS, target, name))


def sdp_seeds():
    os.makedirs(os.path.join(CORPUS, "sdp"), exist_ok=True)
    copy_dir(os.path.join(ROOT, "tests", "unit", "sdp", "fixtures"), "sdp", ".sdp")


PROTOCOL = {
    "join": '{"type":"join","room":"tinh-uy","name":"Nguyễn Văn An"}',
    "publish": '{"type":"publish","sdp":"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n"}',
    "answer": '{"type":"answer","sdp":"v=0\\r\\n","id":7}',
    "candidate": '{"type":"candidate","pc":"pub","candidate":"candidate:1 1 udp 2130706431 '
                 '192.168.1.2 50000 typ host","sdpMid":"0"}',
    "candidate-sub-end": '{"type":"candidate","pc":"sub","candidate":null,"sdpMid":null}',
    "candidate-empty": '{"type":"candidate","pc":"pub","candidate":""}',
    "ping": '{"type":"ping"}',
    "leave": '{"type":"leave"}',
    "admit": '{"type":"admit","participant":"p12","id":"a1"}',
    "admit-all": '{"type":"admit","all":true}',
    "deny": '{"type":"deny","participant":"p3"}',
    "minutes-note": '{"type":"minutes-note","item":2,"kind":"opinion","who":"Lê Văn C",'
                    '"text":"Đề nghị bổ sung\\nsố liệu","id":"n1"}',
    "minutes-absent": '{"type":"minutes-absent","kind":"site","name":"Xã Hải Phú",'
                      '"reason":"Mất điện"}',
    "nested": '{"type":"ping","x":[[[{"a":[1,2.5e3,true,false,null,"\\u00e9"]}]]]}',
}


def protocol_seeds():
    for name, text in PROTOCOL.items():
        write("protocol", name, text)


CONFIGS = {
    "small": "[server]\nlisten = [::1]:8443\nworkers = 2\nlog_level = debug\n"
             "[media]\nrtp_port_min = 40000\nrtp_port_max = 40100\nice_lite = false\n"
             "public_ip = 203.0.113.7\nconsent_timeout = 5\n",
    "rooms": "[rooms]\nauto_create = false\nmax_participants = 50\n"
             "[room:a]\ntitle = Phòng họp A\nmax_participants = 10\n[room:b.2]\n",
    "bad-key": "[server]\nlisten = 127.0.0.1:8080\nnope = 1\n",
}


def config_seeds():
    os.makedirs(os.path.join(CORPUS, "config"), exist_ok=True)
    shutil.copy(os.path.join(ROOT, "conf", "hoinghi.conf"), os.path.join(CORPUS, "config", "hoinghi.conf"))
    for name, text in CONFIGS.items():
        write("config", name + ".conf", text)


AUDIT = {
    "filter": "actor=Nguy%E1%BB%85n+V&room=phong-1&from=2026-12-05&to=1800000000&limit=50&before=9",
    "formula": '=HYPERLINK("x")',
    "iso": "from=2026-12-05T08:30&to=2026-12-05",
}


def audit_seeds():
    for name, text in AUDIT.items():
        write("audit", name, text)


MANIFEST = {
    "version": 1, "meeting": 12, "room": "so-noi-vu", "title": "Giao ban tháng 12",
    "state": "complete", "started_ms": 1796480000000, "ended_ms": 1796480600000,
    "participants": [{"id": "p3", "name": "Nguyễn Văn A", "role": "chair",
                      "joined_ms": 1796480000000, "left_ms": 1796480600000}],
    "tracks": [{"file": "tracks/p3-camera-video.hnr", "playable": "tracks/p3-camera-video.webm"}],
    "composed": {"file": "meeting.webm"},
    "files": [{"name": "meeting.webm", "bytes": 123, "sha256": "a" * 64},
              {"name": "../x", "bytes": 1}],
    "interrupted": False,
}


def manifest_seeds():
    write("manifest", "manifest", b"\x10" + json.dumps(MANIFEST, ensure_ascii=False).encode())
    write("manifest", "range", b"\x40bytes=100-199")
    write("manifest", "range-suffix", b"\x40bytes=-10")
    write("manifest", "path", b"\x01tracks/p1-camera-video.webm")


if __name__ == "__main__":
    rtp_seeds()
    rtcp_seeds()
    sdp_seeds()
    protocol_seeds()
    config_seeds()
    audit_seeds()
    manifest_seeds()
