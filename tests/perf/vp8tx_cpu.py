"""CPU of one H.264 -> VP8 transcode (server/gateway/vp8tx.c, docs/room-systems.md): 10 s of a
720p30 H.264 camera-like picture (videotestsrc smpte moving, a key frame every 2 s, x264/openh264 RTP made
first, outside the measurement) fed at its real pace into the transcoder's chain, CPU of this
process while it runs; with the server's size cap (640x360) and without it (1280x720).
Run: /usr/bin/python3 tests/perf/vp8tx_cpu.py"""
import os
import resource
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstApp', '1.0')
from gi.repository import Gst  # noqa: E402

FPS, SECONDS = 30, int(os.environ.get("SECONDS_", 10))
# as server/gateway/vp8tx.c builds it (HN_VP8TX_MAX_WIDTH x HN_VP8TX_MAX_HEIGHT, HN_VP8TX_BITRATE)
CHAIN = ('appsrc name=src is-live=true format=time do-timestamp=true '
         'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=102 ! '
         'rtpjitterbuffer latency=50 drop-on-latency=true ! rtph264depay ! h264parse ! '
         'avdec_h264 ! videoconvert ! videoscale ! '
         'video/x-raw,width=[16,{w}],height=[16,{h}],pixel-aspect-ratio=1/1 ! '
         'vp8enc deadline=1 cpu-used=8 threads=2 lag-in-frames=0 error-resilient=1 '
         'end-usage=cbr target-bitrate={br} keyframe-max-dist=3000 buffer-size=500 '
         'buffer-initial-size=300 buffer-optimal-size=400 ! rtpvp8pay pt=96 mtu=1200 '
         'picture-id-mode=15-bit ! fakesink name=sink sync=false signal-handoffs=true')


def h264_rtp():
    """[(frame index, packet bytes)] of SECONDS of 720p30 H.264."""
    enc = ('x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 key-int-max=60'
           if Gst.ElementFactory.find('x264enc') else 'openh264enc bitrate=1500000 gop-size=60')
    p = Gst.parse_launch(
        'videotestsrc num-buffers=%d pattern=smpte animation-mode=frames motion=wavy ! '
        'video/x-raw,width=1280,height=720,framerate=%d/1 ! %s ! h264parse ! '
        'rtph264pay pt=102 config-interval=-1 mtu=1200 ! appsink name=sink sync=false'
        % (FPS * SECONDS, FPS, enc))
    sink = p.get_by_name('sink')
    p.set_state(Gst.State.PLAYING)
    out, frame = [], 0
    while True:
        s = sink.emit('pull-sample')
        if s is None:
            break
        buf = s.get_buffer()
        data = buf.extract_dup(0, buf.get_size())
        out.append((frame, data))
        if data[1] & 0x80:
            frame += 1
    p.set_state(Gst.State.NULL)
    return out


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(packets, w, h, br):
    p = Gst.parse_launch(CHAIN.format(w=w, h=h, br=br))
    src, frames = p.get_by_name('src'), [0]
    p.get_by_name('sink').connect('handoff', lambda *_a: frames.__setitem__(0, frames[0] + 1))
    p.set_state(Gst.State.PLAYING)
    c0, t0 = cpu(), time.monotonic()
    for frame, data in packets:
        due = t0 + frame / FPS
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        src.emit('push-buffer', Gst.Buffer.new_wrapped(data))
    time.sleep(0.5)
    pct = 100 * (cpu() - c0) / (time.monotonic() - t0)
    p.set_state(Gst.State.NULL)
    return pct, frames[0]


def main():
    Gst.init(None)
    packets = h264_rtp()
    print('%d H.264 packets of %d s of 1280x720 at %d fps' % (len(packets), SECONDS, FPS))
    for w, h, br in ((640, 360, 600000), (1280, 720, 1500000)):
        pct, n = run(packets, w, h, br)
        print('transcode to VP8 %4dx%-4d %4d kbit/s: %6.1f %% of one core (%d RTP packets out)'
              % (w, h, br // 1000, pct, n), flush=True)


if __name__ == '__main__':
    main()
