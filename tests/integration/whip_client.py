#!/usr/bin/python3
"""A WHIP (RFC 9725) encoder for the tests: GStreamer webrtcbin publishing VP8 or H.264 + Opus
from test sources, signalled over HTTP only (urllib), like a hardware encoder.

It waits for ICE gathering to complete (no trickle), POSTs the offer to --url with
`Authorization: Bearer <--bearer>` (when given), sets the answer, runs for --duration seconds and
then DELETEs its resource (unless --no-delete). The report (JSON, --report, rewritten every half
second and at the end) holds: status (of the POST), location, etag, answer, connected (the ICE
connection state reached connected/completed), video_sent (RTP payloader buffers), delete_status,
errors.

Exit code: 0 when the POST was answered 201 and the session ran; 1 otherwise.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'interop'))
from gst_client import AUDIO, VIDEO_ENC, VIDEO_SRC, h264_encoder  # noqa: E402

from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


def http(method, url, body=None, headers=None, timeout=15):
    """(status, headers dict lower-case, body text) of one request; never raises on HTTP errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


class Whip:
    def __init__(self, args):
        self.args = args
        self.rep = {'status': None, 'location': None, 'etag': None, 'connected': False,
                    'video_sent': 0, 'delete_status': None, 'errors': []}
        self.loop = GLib.MainLoop()
        video = VIDEO_ENC[args.video_codec].format(
            kf=30, h264enc=h264_encoder(30) if args.video_codec == 'h264' else '')
        self.pipe = Gst.parse_launch('webrtcbin name=wb bundle-policy=max-bundle latency=100 ' +
                                     VIDEO_SRC + video + 'wb. ' + AUDIO)
        self.wb = self.pipe.get_by_name('wb')
        self.ice = self.wb.get_property('ice-agent')  # floating in 1.22: keep it (gst_client.py)
        for pad in self.wb.sinkpads:
            pad.get_property('transceiver').set_property(
                'direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        self.pipe.get_by_name('vpay').get_static_pad('sink').add_probe(
            Gst.PadProbeType.BUFFER, self.on_video)
        self.wb.connect('on-negotiation-needed', self.on_negotiation_needed)
        self.wb.connect('notify::ice-gathering-state', self.on_gathering)
        self.wb.connect('notify::ice-connection-state', self.on_ice_state)
        self.posted = False
        self.offered = False

    def on_video(self, _pad, _info):
        self.rep['video_sent'] += 1
        return Gst.PadProbeReturn.OK

    def error(self, text):
        print('whip_client: ERROR', text, file=sys.stderr, flush=True)
        self.rep['errors'].append(text)

    def on_negotiation_needed(self, wb):
        if self.offered:  # once: the encoder's tracks are all there from the start
            return
        self.offered = True
        promise = Gst.Promise.new_with_change_func(self.on_offer, wb)
        wb.emit('create-offer', None, promise)

    def on_offer(self, promise, wb):
        reply = promise.get_reply()
        offer = reply.get_value('offer') if reply is not None else None
        if offer is None:
            self.error('create-offer gave no offer')
            GLib.idle_add(self.loop.quit)
            return
        wb.emit('set-local-description', offer, Gst.Promise.new())

    def on_gathering(self, wb, _pspec):
        if wb.get_property('ice-gathering-state') == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.post)

    def on_ice_state(self, wb, _pspec):
        st = wb.get_property('ice-connection-state')
        if st in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                  GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            self.rep['connected'] = True

    def post(self):
        if self.posted:
            return False
        self.posted = True
        sdp = self.wb.get_property('local-description').sdp.as_text()
        headers = {'Content-Type': 'application/sdp'}
        if self.args.bearer:
            headers['Authorization'] = 'Bearer ' + self.args.bearer
        status, hdrs, body = http('POST', self.args.url, sdp.encode(), headers)
        self.rep.update(status=status, location=hdrs.get('location'), etag=hdrs.get('etag'),
                        answer=body, content_type=hdrs.get('content-type'))
        if status != 201:
            self.error('POST answered %s: %s' % (status, body.strip()))
            self.loop.quit()
            return False
        _, msg = GstSdp.SDPMessage.new_from_text(body)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.wb.emit('set-remote-description', answer, Gst.Promise.new())
        return False

    def write(self):
        if self.args.report:
            tmp = self.args.report + '.tmp'
            with open(tmp, 'w', encoding='utf-8') as f:
                json.dump(self.rep, f)
            os.replace(tmp, self.args.report)
        return True

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add(500, self.write)
        GLib.timeout_add(int(self.args.duration * 1000), self.loop.quit)
        self.loop.run()
        if self.rep['status'] == 201 and not self.args.no_delete:
            base = self.args.url.split('/whip/')[0]
            self.rep['delete_status'] = http('DELETE', base + self.rep['location'])[0]
        self.pipe.set_state(Gst.State.NULL)
        self.write()
        return 0 if self.rep['status'] == 201 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True, help='http://127.0.0.1:PORT/whip/ROOM')
    ap.add_argument('--bearer', help='a join token or the room PIN')
    ap.add_argument('--video-codec', choices=('vp8', 'h264'), default='vp8')
    ap.add_argument('--duration', type=float, default=10.0)
    ap.add_argument('--no-delete', action='store_true')
    ap.add_argument('--report')
    args = ap.parse_args()
    Gst.init(None)
    sys.exit(Whip(args).run())


if __name__ == '__main__':
    main()
