"""The benchmark scenarios. Each one starts a fresh server (so peak memory belongs to that
scenario alone), runs hn-load against it, reads the server's CPU and memory from /proc, and
stops the server. Every loop is bounded in count and in time."""

import os
import subprocess
import time

import bench_load as load
import bench_netns as netns
import bench_servers as servers

ROOMS = {"1": ("bench-fanout", 1001), "2": ("bench-meeting", 1002),
         "3": ("bench-large", 1003), "4": ("bench-join", 1004)}
AUDIO_VIDEO_STREAMS = 2  # every publisher sends one audio and one video stream


class Plan:
    """Sizes and durations of one benchmark run (full or --quick)."""

    def __init__(self, quick, s3_subscribers=None, threads=None):
        self.quick = quick
        self.ramp_step = 10 if quick else 20
        self.ramp_interval_s = 3 if quick else 6
        self.ramp_max = 40 if quick else 600
        self.steady_s = 5 if quick else 20
        self.meeting_sites = 10
        self.s3_publishers = 10
        self.s3_subscribers_wanted = 100
        # 100 subscribers x 10 publishers is ~208,000 forwarded packets/s, the physical limit
        # of one core on this machine before the generator receives and decrypts them all.
        self.s3_subscribers = s3_subscribers or (10 if quick else 15)
        self.join_probes = 5 if quick else 20
        self.video_kbps = 1500
        self.audio_kbps = 40
        self.threads = threads
        self.pacing = 0.0  # hn-load --pacing-factor (0: a frame's packets at once)
        self.max_loss_pct = 1.0
        self.loopback_max_loss_pct = 0.1

    def ramp_steps(self):
        return max(1, -(-self.ramp_max // self.ramp_step))


class Context:
    """What every scenario needs: paths, the sampler, options."""

    def __init__(self, repo, build_dir, run_dir, hn_load, hoinghi_bin, janus_dir, sampler,
                 plan, pin=False, log=print):
        self.repo = repo
        self.build_dir = build_dir
        self.run_dir = run_dir
        self.hn_load = hn_load
        self.hoinghi_bin = hoinghi_bin
        self.janus_dir = janus_dir
        self.sampler = sampler
        self.plan = plan
        self.log = log
        # Pinning (the default): server on CPU 1, generator on CPU 0 (with at least 2 CPUs).
        pin = pin and (os.cpu_count() or 1) >= 2
        self.server_taskset = ["taskset", "-c", "1"] if pin else None
        self.gen_taskset = ["taskset", "-c", "0"] if pin else None
        self.webrtcbin = 0  # webrtcbin receivers added to the fan-out runs (scenario 5)


_DEFAULT = object()


def _start(ctx, target, tag, loopback=False, taskset=_DEFAULT):
    taskset = ctx.server_taskset if taskset is _DEFAULT else taskset
    if target == "hoinghi":
        return servers.start_hoinghi(ctx.hoinghi_bin, ctx.run_dir, tag, loopback=loopback,
                                     taskset=taskset)
    return servers.start_janus(ctx.janus_dir, ctx.run_dir, tag, taskset=taskset)


def _common_args(ctx, srv, target, scenario):
    name, num = ROOMS[scenario]
    p = ctx.plan
    args = ["--target", target, "--url", srv.url, "--room", name if target == "hoinghi" else num,
            "--video-kbps", p.video_kbps, "--audio-kbps", p.audio_kbps,
            "--local-ip", "127.0.0.1" if srv.path == "loopback" else netns.CLI_IP,
            "--server-pid", srv.pid]
    if p.threads:
        args += ["--threads", p.threads]
    if p.pacing:
        args += ["--pacing-factor", p.pacing]
    return args


def _run(ctx, srv, target, tag, args, timeout_s, window_s, stop_when=None, gen_taskset=_DEFAULT,
         on_result=None):
    """Runs hn-load once against SRV and returns (LoadRun, idle_rss_kb, hwm_kb, alive).
    STOP_WHEN(results so far) -> True ends the run early. ON_RESULT(result) is called with each
    result as it arrives (before STOP_WHEN)."""
    gen_taskset = ctx.gen_taskset if gen_taskset is _DEFAULT else gen_taskset
    ctx.sampler.watch(srv.pid)
    time.sleep(1.0)
    idle = srv.rss_kb()
    log_path = os.path.join(ctx.run_dir, f"hn-load-{tag}.log")
    seen = []

    def progress(r):
        ctx.log(f"    {_progress_line(r)}")
        if on_result:
            on_result(r)
        seen.append(r)
        if stop_when and stop_when(seen):
            ctx.log("    (two steps in a row did not hold: ramp stopped)")
            return True
        return False

    lr = load.run(ctx.hn_load, args, log_path, ctx.sampler, srv, timeout_s, window_s,
                  taskset=gen_taskset, loopback=srv.path == "loopback", on_result=progress)
    hwm = srv.hwm_kb()
    alive = srv.alive()
    if not alive:
        ctx.log(f"    !! {target} exited during the run (status {srv.popen.returncode}); "
                f"see {srv.log_path}")
    if lr.timed_out:
        ctx.log(f"    !! hn-load exceeded its time bound ({timeout_s:.0f} s) and was stopped")
    elif lr.returncode not in (0, None) and not lr.results:
        ctx.log(f"    !! hn-load exited with status {lr.returncode}; see {log_path}")
    return lr, idle, hwm, alive


def _progress_line(r):
    parts = []
    for key, fmt in (("subscribers", "subs={:.0f}"), ("loss_pct", "loss={:.3f}%"),
                     ("pps", "fwd={:.0f}pkt/s"), ("delay_p50_us", "p50={:.0f}us"),
                     ("delay_p99_us", "p99={:.0f}us"), ("join_p50_ms", "join50={:.0f}ms"),
                     ("server_cores", "srv={:.2f}cores"), ("gen_cores", "gen={:.2f}cores"),
                     ("other_cores", "other={:.2f}cores"), ("late_max_ms", "late_max={:.0f}ms")):
        if r.get(key) is not None:
            parts.append(fmt.format(r[key]))
    if r.get("gen_socket_drops"):
        parts.append(f"hn-load_socket_drops={r['gen_socket_drops']:.0f}")
    for side in ("server", "generator", "host"):
        d = r.get("udp_" + side)
        if d and (d["RcvbufErrors"] or d["SndbufErrors"]):
            parts.append(f"{side}_udp_drops=rcv:{d['RcvbufErrors']}/snd:{d['SndbufErrors']}")
    return " ".join(parts) or "(no numbers)"


def _summary(lr, idle, hwm, alive, streams_per_sub=None):
    """Scenario-level numbers from the last RESULT of a fixed-size run."""
    out = {"ok": bool(lr.results) and alive and not lr.timed_out, "server_alive": alive,
           "idle_rss_kb": idle, "peak_rss_kb": hwm, "hn_load_status": lr.returncode,
           "timed_out": lr.timed_out, "log": lr.log_path}
    if lr.results:
        r = lr.results[-1]
        out.update({k: v for k, v in r.items() if k != "raw" and k != "t_end"})
        out["raw"] = r["raw"]
        if streams_per_sub and r.get("subscribers") and hwm and idle:
            n = r["subscribers"] * streams_per_sub
            out["rss_per_stream_kb"] = (hwm - idle) / n if n else None
    return out


def _held(r, ok_loss):
    """A ramp step holds when its loss is within the limit, every subscriber received media
    and no client failed (hn-load's definition, plus failures)."""
    return (r.get("loss_pct") is not None and r["loss_pct"] <= ok_loss and not r.get("silent")
            and not r.get("client_failures") and bool(r.get("packets")))


def _two_bad_steps(seen, ok_loss):
    steps = [r for r in seen if r.get("mode") == "ramp"]
    return len(steps) >= 2 and not _held(steps[-1], ok_loss) and not _held(steps[-2], ok_loss)


def fanout_ramp(ctx, target, loopback=False):
    """Scenario 1: one publisher; hn-load adds RAMP_STEP subscribers, waits until they all have
    a key frame, measures RAMP_INTERVAL s, and goes on until a step loses more than the stop
    limit or RAMP_MAX is reached. The max is the largest step that held (loss <= limit, no
    silent subscriber)."""
    p = ctx.plan
    ok_loss = p.loopback_max_loss_pct if loopback else p.max_loss_pct
    # The ramp goes on past a step that lost more than OK_LOSS (a noisy neighbour on a shared
    # machine can spoil one step) and stops after one that lost more than STOP_LOSS.
    stop_loss = 5.0
    tag = f"s1-ramp-{target}" + ("-loopback" if loopback else "")
    srv = _start(ctx, target, tag, loopback=loopback)
    try:
        args = _common_args(ctx, srv, target, "1") + [
            "--publishers", 1, "--subscribers", p.ramp_max,
            "--ramp-subscribers", p.ramp_step, "--ramp-interval", p.ramp_interval_s,
            "--ramp-ok-loss", ok_loss, "--ramp-stop-loss", stop_loss]
        bound = 120 + p.ramp_steps() * (p.ramp_interval_s + 40)
        lr, idle, hwm, alive = _run(ctx, srv, target, tag, args, bound, p.ramp_interval_s,
                                    stop_when=lambda seen: _two_bad_steps(seen, ok_loss))
    finally:
        srv.stop()
    steps = [r for r in lr.results if r.get("mode") == "ramp" and r.get("subscribers")]
    held = [r for r in steps if _held(r, ok_loss)]
    best = max(held, key=lambda r: r["subscribers"]) if held else None
    last = steps[-1] if steps else None
    first_bad = next((r for r in steps if not _held(r, ok_loss)), None)
    out = {"ok": bool(steps) and not lr.timed_out, "server_alive": alive, "max_loss_pct": ok_loss,
           "stop_loss_pct": stop_loss, "path": srv.path, "idle_rss_kb": idle, "peak_rss_kb": hwm,
           "log": lr.log_path,
           "steps": [{k: v for k, v in r.items() if k != "raw"} for r in steps],
           "max_subscribers": best["subscribers"] if best else 0,
           "capped": bool(last) and last is best and last["subscribers"] >= p.ramp_max,
           "first_over_limit": {k: v for k, v in first_bad.items() if k != "raw"}
           if first_bad else None,
           "at_max": {k: v for k, v in best.items() if k != "raw"} if best else None}
    if best and idle and best.get("server_rss_max_kb"):
        n = best["subscribers"] * AUDIO_VIDEO_STREAMS
        out["rss_per_stream_kb"] = (best["server_rss_max_kb"] - idle) / n if n else None
    if best:
        half = best["subscribers"] / 2
        near = min(held, key=lambda r: abs(r["subscribers"] - half))
        out["at_half"] = {k: v for k, v in near.items() if k != "raw"}
    return out


def fanout_steady(ctx, target, subscribers):
    """Scenario 1, second part: a fixed fan-out of SUBSCRIBERS for STEADY_S seconds, the same
    size for both servers, for CPU per packet, delay and memory without the ramp's joins."""
    p = ctx.plan
    tag = f"s1-steady-{target}"
    srv = _start(ctx, target, tag)
    try:
        args = _common_args(ctx, srv, target, "1") + [
            "--publishers", 1, "--subscribers", subscribers, "--duration", p.steady_s]
        res = _run(ctx, srv, target, tag, args, 90 + p.steady_s + subscribers, p.steady_s)
    finally:
        srv.stop()
    return _summary(*res, streams_per_sub=AUDIO_VIDEO_STREAMS)


def meeting(ctx, target):
    """Scenario 2: a meeting of MEETING_SITES sites, everyone publishes, everyone sees everyone."""
    p = ctx.plan
    tag = f"s2-meeting-{target}"
    srv = _start(ctx, target, tag)
    try:
        args = _common_args(ctx, srv, target, "2") + [
            "--mesh", p.meeting_sites, "--duration", p.steady_s]
        res = _run(ctx, srv, target, tag, args, 120 + p.steady_s, p.steady_s)
    finally:
        srv.stop()
    return _summary(*res, streams_per_sub=AUDIO_VIDEO_STREAMS * (p.meeting_sites - 1))


def large(ctx, target):
    """Scenario 3: S3_PUBLISHERS publishers, S3_SUBSCRIBERS subscribers seeing all of them."""
    p = ctx.plan
    tag = f"s3-large-{target}"
    srv = _start(ctx, target, tag)
    try:
        args = _common_args(ctx, srv, target, "3") + [
            "--publishers", p.s3_publishers, "--subscribers", p.s3_subscribers,
            "--duration", p.steady_s]
        res = _run(ctx, srv, target, tag, args, 120 + p.steady_s + 2 * p.s3_subscribers,
                   p.steady_s)
    finally:
        srv.stop()
    out = _summary(*res, streams_per_sub=AUDIO_VIDEO_STREAMS * p.s3_publishers)
    out["publishers"] = p.s3_publishers
    out["subscribers_run"] = p.s3_subscribers
    out["subscribers_wanted"] = p.s3_subscribers_wanted
    return out


def join_time(ctx, target, loopback=False):
    """Scenario 4: with one publisher sending, JOIN_PROBES subscribers join one after the other;
    each measures WebSocket open -> first video key frame."""
    p = ctx.plan
    tag = f"s4-join-{target}" + ("-loopback" if loopback else "")
    srv = _start(ctx, target, tag, loopback=loopback)
    try:
        args = _common_args(ctx, srv, target, "4") + [
            "--publishers", 1, "--subscribers", 0, "--join-probe", p.join_probes,
            "--duration", 2]
        res = _run(ctx, srv, target, tag, args, 120 + 11 * p.join_probes, 2.0)
    finally:
        srv.stop()
    out = _summary(*res)
    out["path"] = srv.path
    out["probes"] = p.join_probes
    return out


# Scenario 5 (issue 14): fixed fan-outs, the server on both cores, then under contention.
PLACEMENTS = {
    # The server may run on every CPU (no taskset); hn-load stays on CPU 0 as in the other
    # scenarios, so the server has CPU 1 to itself and what hn-load leaves of CPU 0.
    "cores": "server on both cores (not pinned), hn-load on CPU 0",
    # Nothing pinned: the generator (and any webrtcbin receivers) and the server share the
    # CPUs as the scheduler likes, as in the field where a recorder, a composer and SIP legs
    # share the machine.
    "shared": "contention: server, hn-load (and webrtcbin receivers) unpinned",
}

HOINGHI_METRICS = ("hoinghi_udp_rx_late_total", "hoinghi_udp_rx_shed_video_total",
                   "hoinghi_udp_rx_kernel_drops_total", "hoinghi_udp_tx_dropped_total",
                   "hoinghi_worker_loop_lag_max_seconds")


def hoinghi_metrics(srv):
    """Sums of a few hoinghi /metrics families over their labels (None when unreadable)."""
    url = srv.url.replace("ws://", "http://").rsplit("/ws", 1)[0] + "/metrics"
    cmd = ([] if srv.path == "loopback" else netns.exec_prefix(netns.SRV_NS)) + \
        ["curl", "-s", "-m", "5", url]
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = {}
    for ln in text.splitlines():
        if ln.startswith("#"):
            continue
        name = ln.split("{", 1)[0].split(" ", 1)[0]
        if name in HOINGHI_METRICS:
            try:
                v = float(ln.rsplit(" ", 1)[1])
            except (IndexError, ValueError):
                continue
            out[name] = max(out.get(name, 0.0), v) if name.endswith("max_seconds") \
                else out.get(name, 0.0) + v
    return out or None


def fanout_fixed(ctx, target, n, placement, loopback=False):
    """Scenario 5: 1 publisher -> N subscribers for STEADY_S seconds with PLACEMENT (see
    PLACEMENTS). Adds the delivery ratio (packets received / (packets sent x N): lateness that
    sequence gaps hide shows as packets missing from the window), participants kept, and the
    webrtcbin receivers' figures when ctx.webrtcbin > 0."""
    p = ctx.plan
    tag = f"s5-{n}-{placement}-{target}" + ("-loopback" if loopback else "")
    pinned = ctx.gen_taskset is not None
    gen_ts = ctx.gen_taskset if placement == "cores" and pinned else None
    srv = _start(ctx, target, tag, loopback=loopback, taskset=None)
    wb = None
    windows = []
    try:
        name, num = ROOMS["1"]
        if ctx.webrtcbin:
            import bench_webrtcbin
            wb = bench_webrtcbin.Receivers(
                ctx.repo, ctx.run_dir, tag, target, srv.url, name if target == "hoinghi" else num,
                ctx.webrtcbin, 120 + p.steady_s + n // 5, loopback=loopback, taskset=gen_ts)

        def on_result(_r):
            if wb:
                w = wb.read_window(p.steady_s)
                windows.append(w)
                ctx.log(f"    {bench_webrtcbin.line(w)}")
        args = _common_args(ctx, srv, target, "1") + [
            "--publishers", 1, "--subscribers", n, "--duration", p.steady_s,
            "--setup-timeout", 60, "--max-loss", 100]
        res = _run(ctx, srv, target, tag, args, 150 + p.steady_s + n // 5, p.steady_s,
                   gen_taskset=gen_ts, on_result=on_result)
        metrics = hoinghi_metrics(srv) if target == "hoinghi" and srv.alive() else None
    finally:
        if wb:
            wb.stop()
        srv.stop()
    out = _summary(*res, streams_per_sub=AUDIO_VIDEO_STREAMS)
    out.update({"n": n, "placement": placement, "path": srv.path, "metrics": metrics})
    with open("/proc/loadavg") as f:
        out["loadavg_at_end"] = " ".join(f.read().split()[:3])
    raw = out.get("raw") or {}
    sent, rx = raw.get("sent_packets"), raw.get("received_packets")
    out["delivery"] = rx / (sent * n) if sent and rx is not None else None
    conn, silent = raw.get("subscribers_connected"), raw.get("subscribers_silent")
    # Silent counts every subscriber that received nothing, connected or not.
    out["kept"] = min(conn, n - (silent or 0)) if conn is not None else None
    if wb:
        out["webrtcbin"] = windows[-1] if windows else None
        out["webrtcbin_final"] = wb.final()
    return out
