"""Real WebRTC subscribers beside hn-load's light ones (scripts/bench --webrtcbin-subscribers N).

Each is a GStreamer webrtcbin receiver: tests/interop/gst_client.py --no-publish --rtp-stats for
hoinghi, janus_webrtcbin.py for Janus's VideoRoom. They decode what they receive and send RTCP
(receiver reports, PLI, NACK) as a browser does, so their RTCP is part of the server's load, and
they are heavy clients that take CPU from the machine the server runs on. Run with Debian's
/usr/bin/python3 (gi, websockets). Each writes a JSON report twice a second; when hn-load prints
a RESULT line (the end of a measurement window), read_window() reads every report and turns the
cumulative counts into the window's figures.
"""

import json
import os
import signal
import time

import bench_netns as netns
import bench_proc as proc

PYTHON = "/usr/bin/python3"


class Receivers:
    """N webrtcbin subscribers of one run."""

    def __init__(self, repo, run_dir, tag, target, url, room, n, duration_s, loopback=False,
                 taskset=None, janus_feed_display="hn-load-pub-0"):
        self.procs, self.reports, self.logs = [], [], []
        here = os.path.dirname(os.path.abspath(__file__))
        ns = [] if loopback else netns.exec_prefix(netns.CLI_NS)
        for i in range(n):
            rep = os.path.join(run_dir, f"webrtcbin-{tag}-{i}.json")
            log = os.path.join(run_dir, f"webrtcbin-{tag}-{i}.log")
            if target == "hoinghi":
                cmd = [PYTHON, os.path.join(repo, "tests", "interop", "gst_client.py"),
                       "--url", url, "--room", str(room), "--name", f"webrtcbin-{i}",
                       "--no-publish", "--rtp-stats", "--duration", str(duration_s),
                       "--local-ip", "127.0.0.1" if loopback else netns.CLI_IP,
                       "--join-timeout", "30", "--report", rep]
            else:
                cmd = [PYTHON, os.path.join(here, "janus_webrtcbin.py"), "--url", url,
                       "--room", str(room), "--duration", str(duration_s), "--report", rep]
            p = proc.start(ns + (taskset or []) + cmd, log)
            self.procs.append(p)
            self.reports.append(rep)
            self.logs.append(log)
            time.sleep(0.2)

    def _read(self, path):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def read_window(self, window_s):
        """Figures over the last WINDOW_S seconds of every receiver (from its report's history,
        sampled every 0.5 s) plus the cumulative RTP loss its webrtcbin stats report."""
        subs = []
        for path, p in zip(self.reports, self.procs):
            rep = self._read(path)
            subs.append(summarise(rep, window_s, alive=p.poll() is None))
        return aggregate(subs)

    def stop(self):
        for p in self.procs:  # SIGTERM to all first: each leaves and writes its last report
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            proc.stop(p, timeout=10.0)

    def final(self):
        return [summarise(self._read(path), None, alive=False) for path in self.reports]


def _frames_at(history, t):
    """Video frames decoded by time T (seconds since joined) from [[t, frames, audio], ...]."""
    best = None
    for row in history:
        if row[0] <= t:
            best = row
        else:
            break
    return best


def summarise(rep, window_s, alive):
    """One receiver: connected, frames per second over the window, RTP received/lost."""
    out = {"joined": False, "connected": False, "fps": None, "audio_per_s": None,
           "rtp_received": None, "rtp_lost": None, "errors": 0, "alive": alive}
    if not rep:
        return out
    out["joined"] = bool(rep.get("joined"))
    out["errors"] = len(rep.get("errors") or [])
    states = rep.get("states") or {}
    out["connected"] = states.get("sub.connection-state") == "connected"
    recv = rep.get("received") or {}
    frames = sum((e.get("video_frames") or 0) for e in recv.values())
    out["video_frames"] = frames
    if window_s:
        end = rep.get("elapsed_s")
        f_end = a_end = f_start = a_start = 0
        t_span = None
        for e in recv.values():
            h = e.get("history") or []
            if not h or end is None:
                continue
            last = h[-1]
            first = _frames_at(h, last[0] - window_s)
            if first is None:
                first = h[0]
            f_end += last[1]
            a_end += last[2]
            f_start += first[1]
            a_start += first[2]
            t_span = last[0] - first[0]
        if t_span:
            out["fps"] = (f_end - f_start) / t_span
            out["audio_per_s"] = (a_end - a_start) / t_span
    inbound = rep.get("inbound_rtp") or []
    if inbound:
        out["rtp_received"] = sum(i.get("packets_received") or 0 for i in inbound)
        out["rtp_lost"] = sum(max(0, i.get("packets_lost") or 0) for i in inbound)
    return out


def aggregate(subs):
    fps = [s["fps"] for s in subs if s["fps"] is not None]
    rx = sum(s["rtp_received"] or 0 for s in subs)
    lost = sum(s["rtp_lost"] or 0 for s in subs)
    return {"n": len(subs), "connected": sum(1 for s in subs if s["connected"]),
            "joined": sum(1 for s in subs if s["joined"]),
            "fps_min": min(fps) if fps else None,
            "fps_mean": sum(fps) / len(fps) if fps else None,
            "rtp_received": rx, "rtp_lost": lost,
            "loss_pct": 100.0 * lost / (rx + lost) if rx + lost else None,
            "errors": sum(s["errors"] for s in subs), "per_subscriber": subs}


def line(w):
    """One line for the progress log and the table's notes."""
    if not w:
        return "webrtcbin: none"
    fps = "-" if w["fps_min"] is None else f"{w['fps_min']:.1f}/{w['fps_mean']:.1f}"
    loss = "-" if w["loss_pct"] is None else f"{w['loss_pct']:.2f}%"
    return (f"webrtcbin {w['connected']}/{w['n']} connected, decoded fps min/mean {fps}, "
            f"RTP loss since join {loss} ({w['rtp_lost']:.0f} of "
            f"{w['rtp_received'] + w['rtp_lost']:.0f}), errors {w['errors']}")
