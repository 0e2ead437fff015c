"""Running the load generator (hn-load) and turning its RESULT lines into measurements.

hn-load prints a human table and one `RESULT {json}` line per run or per ramp step. For each
RESULT line we note when it arrived; the line covers the `window` seconds before that moment,
so the Sampler (bench_proc) tells how much CPU the server and the generator used in exactly
that window, and how much resident memory the server held.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time

import bench_netns as netns
import bench_proc as proc


STOP_GRACE_S = 30.0  # how long hn-load may take to leave after SIGINT


def _num(d, *keys, default=None):
    for k in keys:
        v = d.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return default


def _sub(d, key, sub):
    v = d.get(key)
    return v.get(sub) if isinstance(v, dict) else None


def _first(*vals):
    for v in vals:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def normalize(raw, fallback_window):
    """Maps one RESULT object of hn-load (tests/load/report.c) onto the names used here.
    Missing numbers become None; the object itself is kept in "raw"."""
    probes = raw.get("probe_join_ms") if isinstance(raw.get("probe_join_ms"), dict) else {}
    joins = probes if probes.get("count") else (raw.get("join_ms") or {})
    if not isinstance(joins, dict):
        joins = {}
    return {
        "raw": raw,
        "mode": raw.get("mode"),
        "ok": raw.get("ok"),
        "problems": raw.get("problems") or [],
        "loss_pct": _num(raw, "loss_pct"),
        "delay_p50_us": _first(raw.get("delay_p50_us"), _sub(raw, "delay_us", "p50")),
        "delay_p99_us": _first(raw.get("delay_p99_us"), _sub(raw, "delay_us", "p99")),
        "delay_samples": _sub(raw, "delay_us", "count"),
        "join_p50_ms": _first(joins.get("p50")) if joins.get("count") else None,
        "join_p95_ms": _first(joins.get("p95")) if joins.get("count") else None,
        "joins": _first(joins.get("count")),
        "packets": _num(raw, "received_packets", "packets_received"),
        "sent_packets": _num(raw, "sent_packets"),
        "subscribers": _num(raw, "subscribers"),
        "publishers": _num(raw, "publishers"),
        "streams": _num(raw, "streams_expected"),
        "window_s": _num(raw, "window_s", default=fallback_window),
        "hn_server_cpu_s": _first(_sub(raw, "server", "cpu_s")),
        "loadgen_cpu_s": _num(raw, "loadgen_cpu_s"),
        "max_ok_subscribers": _num(raw, "max_ok_subscribers"),
        "late_sends": _first(_sub(raw, "pacing", "late_packets")),
        "late_max_ms": (_first(_sub(raw, "pacing", "late_max_us")) or 0) / 1000.0
        if _sub(raw, "pacing", "late_max_us") is not None else None,
        "silent": _num(raw, "subscribers_silent"),
        "gen_socket_drops": _num(raw, "loadgen_socket_drops"),
        "client_failures": _num(raw, "client_failures"),
    }


class LoadRun:
    """One hn-load invocation: its results (normalized, with CPU and memory attached), exit
    status, and whether it hit the time bound."""

    def __init__(self):
        self.results = []
        self.returncode = None
        self.timed_out = False
        self.stopped_early = False
        self.log_path = None
        self.t_start = None
        self.t_end = None


def run(hn_load, args, log_path, sampler, server, timeout_s, fallback_window, taskset=None,
        loopback=False, on_result=None):
    """Runs hn-load ARGS in the client namespace (host namespace when LOOPBACK), bounded by
    TIMEOUT_S seconds, while SAMPLER watches SERVER and the generator. ON_RESULT(result) is
    called as each RESULT line arrives; when it returns True, hn-load is asked to stop (SIGINT:
    it reports and leaves) and later RESULT lines are ignored. Returns a LoadRun."""
    cmd = ([] if loopback else netns.exec_prefix(netns.CLI_NS)) + (taskset or []) + \
        [hn_load] + [str(a) for a in args]
    lr = LoadRun()
    lr.log_path = log_path
    with open(log_path, "ab") as f:
        f.write(("$ " + " ".join(cmd) + "\n").encode())
    # UDP counters of the server's and the generator's namespaces: receive-buffer drops say
    # whether a loss happened in a kernel queue (and whose) or inside the SFU.
    srv_ns = [] if loopback else netns.exec_prefix(netns.SRV_NS)
    cli_ns = [] if loopback else netns.exec_prefix(netns.CLI_NS)
    udp = {"server": proc.udp_counters(srv_ns), "generator": proc.udp_counters(cli_ns)}
    lr.t_start = time.monotonic()
    p = proc.start(cmd, log_path, stdout=subprocess.PIPE)
    sampler.watch(p.pid)
    lines = queue.Queue()

    def reader():
        for raw in iter(p.stdout.readline, b""):
            lines.put((time.monotonic(), raw.decode(errors="replace")))
        lines.put(None)

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    deadline = lr.t_start + timeout_s
    with open(log_path, "a") as log:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                lr.timed_out = True
                break
            try:
                item = lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if item is None:
                break
            t, line = item
            log.write(line)
            log.flush()
            if line.startswith("RESULT ") and not lr.stopped_early:
                res = _attach(line, t, fallback_window, sampler, server, p.pid)
                if res is not None:
                    now = {"server": proc.udp_counters(srv_ns),
                           "generator": proc.udp_counters(cli_ns)}
                    # Over loopback both sides share the host's counters (and other users').
                    srv_key = "udp_host" if loopback else "udp_server"
                    res[srv_key] = proc.udp_delta(udp["server"], now["server"])
                    if not loopback:
                        res["udp_generator"] = proc.udp_delta(udp["generator"],
                                                              now["generator"])
                    udp = now
                    lr.results.append(res)
                    if on_result and on_result(res):
                        lr.stopped_early = True
                        try:
                            os.kill(p.pid, signal.SIGINT)
                        except ProcessLookupError:
                            pass
                        deadline = min(deadline, time.monotonic() + STOP_GRACE_S)
    lr.returncode = proc.stop(p, timeout=10.0)
    th.join(timeout=5)
    p.stdout.close()
    lr.t_end = time.monotonic()
    return lr


def _attach(line, t, fallback_window, sampler, server, gen_pid):
    try:
        raw = json.loads(line[len("RESULT "):])
    except json.JSONDecodeError:
        return None
    if not isinstance(raw, dict):
        return None
    r = normalize(raw, fallback_window)
    sampler.sample()  # a fresh point at the end of the window
    w = r["window_s"] or fallback_window
    t0 = t - w
    r["t_end"] = t
    # hn-load read the server's /proc at the exact window edges (--server-pid) and its own
    # CPU with getrusage: prefer those; the sampler's interpolation is the fallback.
    srv = r["hn_server_cpu_s"]
    if srv is None:
        srv = sampler.cpu(server.pid, t0, t)
    gen = r["loadgen_cpu_s"]
    if gen is None:
        gen = sampler.cpu(gen_pid, t0, t)
    mach = sampler.cpu("machine", t0, t)
    r["server_cpu_s"] = srv
    r["server_cores"] = srv / w if srv is not None and w else None
    r["gen_cores"] = gen / w if gen is not None and w else None
    r["other_cores"] = (max(0.0, (mach - (srv or 0) - (gen or 0)) / w)
                        if mach is not None and w else None)
    pk = r["packets"]
    r["pps"] = pk / w if pk is not None and w else None
    r["cpu_per_packet_us"] = (srv / pk * 1e6) if srv is not None and pk else None
    r["server_rss_kb"] = server.rss_kb()
    r["server_rss_max_kb"] = sampler.rss_max(server.pid, t0, t)
    return r


def hn_load_path(build_dir):
    return os.path.join(build_dir, "tests", "load", "hn-load")
