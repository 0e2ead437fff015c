"""Shared GStreamer webrtcbin helpers for the sdp tests (run with /usr/bin/python3 + gi)."""
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)

SENDER = ('webrtcbin name=w bundle-policy=max-bundle '
          'videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! '
          'application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. '
          'audiotestsrc is-live=true ! opusenc ! rtpopuspay ! '
          'application/x-rtp,media=audio,encoding-name=OPUS,payload=97 ! w.')


def run_promise(emit, field=None, timeout=10):
    """Calls emit(promise), runs a main loop until webrtcbin answers, and returns (error, text):
    the reply's error message or None, and the SDP text of the reply's `field` description.
    The reply is read inside the callback: it dies with the promise."""
    loop = GLib.MainLoop()
    box = {}

    def done(promise):
        reply = promise.get_reply()
        box['error'] = None
        box['text'] = None
        if reply is not None and reply.has_field('error'):
            box['error'] = str(reply.get_value('error'))
        elif field and reply is not None and reply.has_field(field):
            box['text'] = reply.get_value(field).sdp.as_text()
        GLib.idle_add(loop.quit)

    emit(Gst.Promise.new_with_change_func(done))
    GLib.timeout_add_seconds(timeout, loop.quit)
    loop.run()
    if 'error' not in box:
        raise TimeoutError('webrtcbin did not answer the promise')
    return box['error'], box['text']


def sender(nack=False, datachannel=False):
    """A PLAYING pipeline with a sendonly VP8 + Opus webrtcbin; returns (pipeline, webrtcbin)."""
    pipe = Gst.parse_launch(SENDER)
    w = pipe.get_by_name('w')
    for i in range(2):
        t = w.emit('get-transceiver', i)
        t.set_property('direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        if nack and i == 0:  # the video transceiver: adds rtx and an FID group
            t.set_property('do-nack', True)
    pipe.set_state(Gst.State.PLAYING)
    wait_caps(w)
    if datachannel:
        w.emit('create-data-channel', 'chat', None)
    return pipe, w


def wait_caps(w, timeout=5):
    """Waits until every sink pad of w has caps, so offers carry all SSRCs."""
    loop = GLib.MainLoop()
    deadline = GLib.get_monotonic_time() + timeout * 1000000

    def check():
        pads = w.sinkpads
        if (pads and all(p.get_current_caps() is not None for p in pads)) or \
                GLib.get_monotonic_time() > deadline:
            loop.quit()
            return False
        return True

    GLib.timeout_add(20, check)
    loop.run()


def receiver():
    """A PLAYING pipeline with a bare webrtcbin that will answer offers."""
    pipe = Gst.Pipeline.new('receiver')
    w = Gst.ElementFactory.make('webrtcbin', 'w')
    w.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
    pipe.add(w)
    w.connect('pad-added', lambda _w, pad: None)
    pipe.set_state(Gst.State.PLAYING)
    return pipe, w


def create(w, kind):
    """Runs create-offer or create-answer; returns the SDP text."""
    err, text = run_promise(lambda p: w.emit('create-' + kind, None, p), field=kind)
    if err or not text:
        raise RuntimeError('create-%s: %s' % (kind, err or 'no description'))
    return text


def description(kind, text):
    res, msg = GstSdp.SDPMessage.new_from_text(text)
    if res != GstSdp.SDPResult.OK:
        raise ValueError('GstSdp cannot parse the %s' % kind)
    t = GstWebRTC.WebRTCSDPType.OFFER if kind == 'offer' else GstWebRTC.WebRTCSDPType.ANSWER
    return GstWebRTC.WebRTCSessionDescription.new(t, msg)


def set_description(w, which, desc):
    """which: 'local' or 'remote'. Raises on a webrtcbin error."""
    err, _ = run_promise(lambda p: w.emit('set-%s-description' % which, desc, p))
    if err:
        raise RuntimeError('set-%s-description: %s' % (which, err))


def log(*args):
    print(*args, file=sys.stderr)
