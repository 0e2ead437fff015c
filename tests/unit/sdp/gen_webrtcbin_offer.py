#!/usr/bin/python3
"""Prints real GStreamer webrtcbin descriptions for the fixtures.
  gen_webrtcbin_offer.py [--nack] > fixtures/webrtcbin-....sdp
      an offer: sendonly VP8 + Opus, max-bundle (--nack: video with RTX and an FID group)
  sdp-tool sub-offer < fixtures/chromium-sendonly.sdp | gen_webrtcbin_offer.py --answer
      webrtcbin's answer to the offer on stdin (fixtures/webrtcbin-sub-answer.sdp)"""
import sys

from webrtcbin_common import Gst, create, description, receiver, sender, set_description

if '--answer' in sys.argv:
    pipe, w = receiver()
    set_description(w, 'remote', description('offer', sys.stdin.read()))
    sys.stdout.write(create(w, 'answer'))
else:
    pipe, w = sender(nack='--nack' in sys.argv)
    sys.stdout.write(create(w, 'offer'))
pipe.set_state(Gst.State.NULL)
