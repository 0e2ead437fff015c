#!/usr/bin/python3
"""A GStreamer webrtcbin subscriber of Janus's VideoRoom (scripts/bench --webrtcbin-subscribers).

It waits for the room's first publisher, subscribes to it, answers Janus's offer on a webrtcbin
(full ICE, trickle), decodes everything it receives and sends RTCP as webrtcbin does (receiver
reports, PLI/NACK). Its report has the fields of tests/interop/gst_client.py's that
bench_webrtcbin reads: joined, states, received {feed: {video_frames, audio_buffers,
rtp_packets, history}}, elapsed_s, errors, inbound_rtp.

Usage: janus_webrtcbin.py --url ws://10.77.0.1:8188/ --room 1001 --duration 60 --report r.json
Run with Debian's /usr/bin/python3 (gi, websockets).
"""
import argparse
import asyncio
import json
import os
import random
import signal
import sys
import threading
import time

import websockets
import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

_KEEP = []


def log(*a):
    print('janus_webrtcbin:', *a, file=sys.stderr, flush=True)


class Sub:
    def __init__(self, args, loop):
        self.args, self.loop = args, loop
        self.t0 = time.monotonic()
        self.t_joined = None
        self.ws = None
        self.session = self.handle = None
        self.pending = {}
        self.events = asyncio.Queue()
        self.states, self.errors = {}, []
        self.lock = threading.Lock()
        self.counts = {'video_frames': 0, 'audio_buffers': 0, 'rtp_packets': 0,
                       'history': []}
        self.inbound = {}
        self.done = asyncio.Event()
        self.pipe = Gst.Pipeline.new('sub')
        self.wb = Gst.ElementFactory.make('webrtcbin', 'wb')
        self.wb.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.wb)
        self.wb.connect('on-ice-candidate', self.on_candidate)
        self.wb.connect('pad-added', self.on_pad)
        self.wb.connect('notify::connection-state', self.on_state, 'connection-state')
        self.wb.connect('notify::ice-connection-state', self.on_state, 'ice-connection-state')
        self.pipe.set_state(Gst.State.PLAYING)

    def now(self):
        return time.monotonic() - (self.t_joined or self.t0)

    # ---- GStreamer side (streaming threads) ----
    def on_state(self, wb, _pspec, prop):
        v = wb.get_property(prop)
        nick = v.value_nick if hasattr(v, 'value_nick') else str(v)
        self.loop.call_soon_threadsafe(self.states.__setitem__, 'sub.' + prop, nick)

    def on_candidate(self, _wb, mline, cand):
        self.loop.call_soon_threadsafe(asyncio.ensure_future, self.send_trickle(
            {'candidate': cand, 'sdpMLineIndex': mline}))

    def bump(self, field):
        with self.lock:
            self.counts[field] += 1

    def on_pad(self, _wb, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        _KEEP.append(pad)
        pad.add_probe(Gst.PadProbeType.BUFFER, lambda *_: (self.bump('rtp_packets'),
                                                           Gst.PadProbeReturn.OK)[1])
        dec = Gst.ElementFactory.make('decodebin')
        dec.connect('pad-added', self.on_decoded)
        self.pipe.add(dec)
        dec.sync_state_with_parent()
        pad.link(dec.get_static_pad('sink'))

    def on_decoded(self, _dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        field = 'video_frames' if name.startswith('video') else 'audio_buffers'
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad('sink'))
        pad.add_probe(Gst.PadProbeType.BUFFER, lambda *_: (self.bump(field),
                                                           Gst.PadProbeReturn.OK)[1])

    async def call(self, action, arg):
        fut = self.loop.create_future()

        def done(promise, _d=None):
            reply = promise.get_reply()
            self.loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(reply))
        self.wb.emit(action, arg, Gst.Promise.new_with_change_func(done, None))
        return await asyncio.wait_for(fut, 10)

    # ---- Janus side ----
    async def request(self, msg, want=('success',)):
        tr = '%08x' % random.getrandbits(32)
        msg['transaction'] = tr
        if self.session:
            msg['session_id'] = self.session
        fut = self.loop.create_future()
        self.pending[tr] = (fut, want)
        await self.ws.send(json.dumps(msg))
        return await asyncio.wait_for(fut, 15)

    async def send_trickle(self, cand):
        if self.ws and self.handle:
            try:
                await self.ws.send(json.dumps({'janus': 'trickle', 'session_id': self.session,
                                               'handle_id': self.handle, 'candidate': cand,
                                               'transaction': 'tr%08x' % random.getrandbits(32)}))
            except websockets.ConnectionClosed:
                pass

    async def reader(self):
        async for raw in self.ws:
            m = json.loads(raw)
            tr = m.get('transaction')
            kind = m.get('janus')
            if tr in self.pending and kind != 'ack':
                fut, _want = self.pending.pop(tr)
                if not fut.done():
                    fut.set_result(m)
                continue
            if kind == 'event':
                await self.events.put(m)
            elif kind in ('hangup', 'detached'):
                self.errors.append({'kind': kind, 'message': m.get('reason', ''),
                                    't': round(self.now(), 3)})

    async def keepalive(self):
        while True:
            await asyncio.sleep(20)
            await self.ws.send(json.dumps({'janus': 'keepalive', 'session_id': self.session,
                                           'transaction': 'ka'}))

    async def ticker(self):
        n = 0
        while True:
            await asyncio.sleep(0.5)
            n += 1
            if self.t_joined is not None:
                with self.lock:
                    c = self.counts
                    c['history'].append([round(self.now(), 2), c['video_frames'],
                                         c['audio_buffers']])
                    del c['history'][:-120]
                if n % 4 == 0:
                    await self.poll_stats()
            self.write_report()

    async def poll_stats(self):
        try:
            reply = await self.call('get-stats', None)
        except asyncio.TimeoutError:
            return
        if reply is None:
            return
        found = []

        def each(_f, v, _d):
            if isinstance(v, Gst.Structure) and \
                    v.get_value('type') == GstWebRTC.WebRTCStatsType.INBOUND_RTP:
                found.append(v)
            return True
        reply.foreach(each, None)
        for st in found:
            ok, ssrc = st.get_uint('ssrc')
            if ok:
                e = {'ssrc': ssrc, 't': round(self.now(), 2)}
                for k in ('packets-received', 'packets-lost', 'jitter'):
                    if st.has_field(k):
                        e[k.replace('-', '_')] = st.get_value(k)
                self.inbound[ssrc] = e

    def report(self, code=None):
        with self.lock:
            c = json.loads(json.dumps(self.counts))
        return {'joined': self.t_joined is not None, 'states': dict(self.states),
                'received': {'feed': c} if self.t_joined is not None else {},
                'elapsed_s': round(self.now(), 3), 'errors': self.errors,
                'inbound_rtp': list(self.inbound.values()), 'exit_code': code}

    def write_report(self, code=None):
        tmp = self.args.report + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.report(code), f)
        os.replace(tmp, self.args.report)

    async def run(self):
        self.ws = await websockets.connect(self.args.url, subprotocols=['janus-protocol'],
                                           max_size=2**22, open_timeout=10)
        tasks = [asyncio.create_task(self.reader()), asyncio.create_task(self.ticker())]
        r = await self.request({'janus': 'create'})
        self.session = r['data']['id']
        tasks.append(asyncio.create_task(self.keepalive()))
        r = await self.request({'janus': 'attach', 'plugin': 'janus.plugin.videoroom'})
        self.handle = r['data']['id']
        feed = None
        deadline = time.monotonic() + self.args.join_timeout
        while feed is None and time.monotonic() < deadline:
            r = await self.request({'janus': 'message', 'handle_id': self.handle,
                                    'body': {'request': 'listparticipants',
                                             'room': self.args.room}})
            ps = r.get('plugindata', {}).get('data', {}).get('participants') or []
            feed = next((p['id'] for p in ps if p.get('publisher')), None)
            if feed is None:
                await asyncio.sleep(0.5)
        if feed is None:
            raise RuntimeError('no publisher in room %s' % self.args.room)
        await self.ws.send(json.dumps({'janus': 'message', 'session_id': self.session,
                                       'handle_id': self.handle, 'transaction': 'join',
                                       'body': {'request': 'join', 'ptype': 'subscriber',
                                                'room': self.args.room, 'feed': feed}}))
        while True:
            ev = await asyncio.wait_for(self.events.get(), self.args.join_timeout)
            if ev.get('jsep', {}).get('type') == 'offer':
                break
        _ok, sdp = GstSdp.SDPMessage.new_from_text(ev['jsep']['sdp'])
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        await self.call('set-remote-description', offer)
        reply = await self.call('create-answer', None)
        answer = reply.get_value('answer')
        await self.call('set-local-description', answer)
        self.t_joined = time.monotonic()
        await self.ws.send(json.dumps({'janus': 'message', 'session_id': self.session,
                                       'handle_id': self.handle, 'transaction': 'start',
                                       'body': {'request': 'start', 'room': self.args.room},
                                       'jsep': {'type': 'answer',
                                                'sdp': answer.sdp.as_text()}}))
        try:
            await asyncio.wait_for(self.done.wait(), self.args.duration)
        except asyncio.TimeoutError:
            pass
        try:
            await self.request({'janus': 'destroy'})
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            pass
        for t in tasks:
            t.cancel()
        await self.ws.close()
        self.pipe.set_state(Gst.State.NULL)


async def amain(args):
    loop = asyncio.get_running_loop()
    sub = Sub(args, loop)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sub.done.set)
    code = 0
    try:
        await sub.run()
    except (OSError, RuntimeError, KeyError, asyncio.TimeoutError,
            websockets.InvalidHandshake, websockets.ConnectionClosed) as e:
        sub.errors.append({'kind': 'run', 'message': repr(e), 't': round(sub.now(), 3)})
        log('ERROR', repr(e))
        code = 1
    sub.write_report(code)
    return code


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--room', type=int, required=True)
    ap.add_argument('--duration', type=float, default=60)
    ap.add_argument('--join-timeout', type=float, default=60)
    ap.add_argument('--report', required=True)
    args = ap.parse_args()
    Gst.init(None)
    glib = GLib.MainLoop()
    threading.Thread(target=glib.run, daemon=True).start()
    return asyncio.run(amain(args))


if __name__ == '__main__':
    sys.exit(main())
