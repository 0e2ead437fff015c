#!/usr/bin/python3
"""Checks that a real GStreamer webrtcbin accepts what server/sdp writes.

  pub: webrtcbin offers sendonly VP8 + Opus, `sdp-tool answer` answers, webrtcbin must take the
       answer (set-remote-description without error, signalling state stable).
  sub: `sdp-tool sub-offer` offers the tracks of a publisher offer (webrtcbin's own, and the
       Chromium / Firefox fixtures), webrtcbin must take the offer and produce an answer that
       `sdp-tool sub-check` accepts.

Usage: webrtcbin_accepts.py SDP_TOOL FIXTURES_DIR. Exit 0 ok, 1 failure, 77 skipped (no gi or
webrtcbin)."""
import os
import subprocess
import sys
import tempfile

try:
    from webrtcbin_common import (Gst, GstWebRTC, create, description, log, receiver, sender,
                                  set_description)
except (ImportError, ValueError) as e:
    print('skip: GStreamer gi bindings unavailable: %s' % e)
    sys.exit(77)


def tool(sdp_tool, args, text):
    p = subprocess.run([sdp_tool] + args, input=text.encode(), capture_output=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError('sdp-tool %s failed: %s' % (' '.join(args), p.stderr.decode()))
    return p.stdout.decode()


def check_pub(sdp_tool, nack, datachannel=False):
    pipe, w = sender(nack=nack, datachannel=datachannel)
    try:
        offer = create(w, 'offer')
        set_description(w, 'local', description('offer', offer))
        answer = tool(sdp_tool, ['answer'], offer)
        set_description(w, 'remote', description('answer', answer))
        state = w.get_property('signaling-state')
        if state != GstWebRTC.WebRTCSignalingState.STABLE:
            raise RuntimeError('signalling state after the answer: %s' % state)
        if datachannel and 'm=application 0 ' not in answer:
            raise RuntimeError('data channel m= line was not rejected:\n' + answer)
        log('ok: webrtcbin took the pub answer (nack=%s, datachannel=%s)' % (nack, datachannel))
        return offer
    finally:
        pipe.set_state(Gst.State.NULL)


def check_sub(sdp_tool, pub_offer, name):
    offer = tool(sdp_tool, ['sub-offer'], pub_offer)
    pipe, w = receiver()
    try:
        set_description(w, 'remote', description('offer', offer))
        answer = create(w, 'answer')
        set_description(w, 'local', description('answer', answer))
    finally:
        pipe.set_state(Gst.State.NULL)
    with tempfile.NamedTemporaryFile('w', suffix='.sdp', delete=False) as f:
        f.write(pub_offer)
    try:
        result = tool(sdp_tool, ['sub-check', f.name], answer)
    finally:
        os.unlink(f.name)
    log('ok: webrtcbin answered the sub offer for %s; sub-check: %s' %
        (name, result.strip().replace('\n', '; ')))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sdp_tool, fixtures = sys.argv[1], sys.argv[2]
    if Gst.ElementFactory.find('webrtcbin') is None:
        print('skip: no webrtcbin element')
        return 77
    try:
        check_pub(sdp_tool, nack=False)
        offer = check_pub(sdp_tool, nack=True)
        check_pub(sdp_tool, nack=False, datachannel=True)
        check_sub(sdp_tool, offer, 'a live webrtcbin offer')
        for name in ('chromium-sendonly.sdp', 'chromium-h264-only.sdp', 'firefox.sdp',
                     'webrtcbin-no-video-ssrc.sdp'):
            with open(os.path.join(fixtures, name), newline='') as f:
                check_sub(sdp_tool, f.read(), name)
    except Exception as e:  # noqa: BLE001 - report any failure as a test failure
        print('FAIL: %s' % e)
        return 1
    print('webrtcbin accepts the server SDP')
    return 0


if __name__ == '__main__':
    sys.exit(main())
