"""The side-by-side table printed at the end of scripts/bench, and the targets of issue 3.

The ratio column always reads "how many times better hoinghi is": janus/hoinghi for costs
(CPU, memory, delay, time: lower is better), hoinghi/janus for capacities (higher is better).
"""

LOWER, HIGHER, NONE = "lower", "higher", None


def _get(d, *path):
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _fmt(v, spec):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return format(v, spec)


def _ratio(h, j, better):
    if better is NONE or h is None or j is None or isinstance(h, str) or isinstance(j, str):
        return "-"
    num, den = (j, h) if better == LOWER else (h, j)
    if den == 0:
        return "-"
    return f"{num / den:.2f}x"


class Table:
    def __init__(self):
        self.lines = []

    def section(self, title):
        self.lines.append(("section", title))

    def row(self, label, h, j, spec, better):
        self.lines.append(("row", label, _fmt(h, spec), _fmt(j, spec), _ratio(h, j, better)))

    def note(self, text):
        self.lines.append(("note", text))

    def render(self):
        out = [f"{'metric':<52} {'hoinghi':>12} {'janus':>12} {'ratio':>8}", "-" * 87]
        for item in self.lines:
            if item[0] == "section":
                out.append(item[1])
            elif item[0] == "note":
                out.append("    " + item[1])
            else:
                out.append(f"  {item[1]:<50} {item[2]:>12} {item[3]:>12} {item[4]:>8}")
        return "\n".join(out)


def _ms(us):
    return None if us is None else us / 1000.0


def _mb(kb):
    return None if kb is None else kb / 1024.0


def _s1(t, res, plan):
    h, j = res.get(("1", "hoinghi")), res.get(("1", "janus"))
    if not (h or j):
        return
    t.section(f"1. fan-out: 1 publisher -> N subscribers (veth), +{plan.ramp_step} every "
              f"{plan.ramp_interval_s} s until loss > {plan.max_loss_pct:g}%")
    mh = _get(h, "ramp", "max_subscribers")
    mj = _get(j, "ramp", "max_subscribers")
    t.row("max subscribers at loss <= 1%", mh, mj, ".0f", HIGHER)
    t.row("first step over 1% loss (subscribers)",
          _get(h, "ramp", "first_over_limit", "subscribers"),
          _get(j, "ramp", "first_over_limit", "subscribers"), ".0f", NONE)
    for who, r in (("hoinghi", h), ("janus", j)):
        bad = _get(r, "ramp", "first_over_limit")
        if bad:
            t.note(f"{who} at {bad['subscribers']:.0f}: {_loss_cause(bad)}")
        if _get(r, "ramp", "capped"):
            t.note(f"{who}: no step lost more than 1% up to {plan.ramp_max} subscribers "
                   f"(the ramp's cap), so its max is at least that")
    t.row("forwarded packets/s at that max", _get(h, "ramp", "at_max", "pps"),
          _get(j, "ramp", "at_max", "pps"), ".0f", HIGHER)
    t.row("server CPU (cores) at that max", _get(h, "ramp", "at_max", "server_cores"),
          _get(j, "ramp", "at_max", "server_cores"), ".2f", NONE)
    t.row("generator CPU (cores) at that max", _get(h, "ramp", "at_max", "gen_cores"),
          _get(j, "ramp", "at_max", "gen_cores"), ".2f", NONE)
    t.row("server CPU per forwarded packet at that max (us)",
          _get(h, "ramp", "at_max", "cpu_per_packet_us"),
          _get(j, "ramp", "at_max", "cpu_per_packet_us"), ".2f", LOWER)
    t.row("delay p50 at half that max (ms; each its own half)",
          _ms(_get(h, "ramp", "at_half", "delay_p50_us")),
          _ms(_get(j, "ramp", "at_half", "delay_p50_us")), ".2f", NONE)
    t.row("delay p99 at half that max (ms; each its own half)",
          _ms(_get(h, "ramp", "at_half", "delay_p99_us")),
          _ms(_get(j, "ramp", "at_half", "delay_p99_us")), ".2f", NONE)
    t.row("peak RSS during the ramp (MB)", _mb(_get(h, "ramp", "peak_rss_kb")),
          _mb(_get(j, "ramp", "peak_rss_kb")), ".1f", LOWER)
    t.row("memory per subscriber stream (KB)", _get(h, "ramp", "rss_per_stream_kb"),
          _get(j, "ramp", "rss_per_stream_kb"), ".1f", LOWER)
    n = _get(h, "steady_n") or _get(j, "steady_n")
    if n:
        t.section(f"1b. fan-out steady: 1 publisher -> {n:.0f} subscribers for {plan.steady_s} s "
                  "(same size for both)")
        _steady_rows(t, _get(h, "steady"), _get(j, "steady"))


def _loss_cause(r):
    """One line on where a step's loss happened, from the UDP counters and hn-load's pacing."""
    bits = [f"loss {r.get('loss_pct') or 0:.2f}%"]
    if r.get("silent"):
        bits.append(f"{r['silent']:.0f} subscribers received nothing")
    if r.get("client_failures"):
        bits.append(f"{r['client_failures']:.0f} clients failed (see the hn-load log)")
    for side in ("server", "generator", "host"):
        d = r.get("udp_" + side)
        if d:
            bits.append(f"{side} UDP receive-buffer drops {d['RcvbufErrors']}, "
                        f"send-buffer drops {d['SndbufErrors']}")
    if r.get("gen_socket_drops") is not None:
        bits.append(f"hn-load socket drops {r['gen_socket_drops']:.0f}")
    if r.get("late_max_ms") is not None:
        bits.append(f"generator sends late by up to {r['late_max_ms']:.0f} ms")
    bits.append(f"server {r.get('server_cores') or 0:.2f} / generator "
                f"{r.get('gen_cores') or 0:.2f} / others {r.get('other_cores') or 0:.2f} cores")
    return "; ".join(bits)


def _steady_rows(t, h, j):
    t.row("loss (%)", _get(h, "loss_pct"), _get(j, "loss_pct"), ".3f", NONE)
    t.row("forwarded packets/s", _get(h, "pps"), _get(j, "pps"), ".0f", NONE)
    t.row("server CPU per forwarded packet (us)", _get(h, "cpu_per_packet_us"),
          _get(j, "cpu_per_packet_us"), ".2f", LOWER)
    t.row("server CPU (cores)", _get(h, "server_cores"), _get(j, "server_cores"), ".2f", LOWER)
    t.row("forwarding delay p50 (ms)", _ms(_get(h, "delay_p50_us")),
          _ms(_get(j, "delay_p50_us")), ".2f", LOWER)
    t.row("forwarding delay p99 (ms)", _ms(_get(h, "delay_p99_us")),
          _ms(_get(j, "delay_p99_us")), ".2f", LOWER)
    t.row("peak RSS (MB)", _mb(_get(h, "peak_rss_kb")), _mb(_get(j, "peak_rss_kb")), ".1f",
          LOWER)
    t.row("memory per subscriber stream (KB)", _get(h, "rss_per_stream_kb"),
          _get(j, "rss_per_stream_kb"), ".1f", LOWER)
    t.row("generator CPU (cores)", _get(h, "gen_cores"), _get(j, "gen_cores"), ".2f", NONE)
    t.row("other processes' CPU (cores, noise)", _get(h, "other_cores"), _get(j, "other_cores"),
          ".2f", NONE)
    for who, r in (("hoinghi", h), ("janus", j)):
        if r and (r.get("loss_pct") or 0) > 0.1:
            t.note(f"{who}: {_loss_cause(r)}")


def build_table(res, plan):
    """RES maps (scenario, target) -> result dict; returns the rendered table text."""
    t = Table()
    _s1(t, res, plan)
    h, j = res.get(("2", "hoinghi")), res.get(("2", "janus"))
    if h or j:
        t.section(f"2. meeting: {plan.meeting_sites} sites, everyone publishes and sees everyone "
                  f"(veth, {plan.steady_s} s)")
        _steady_rows(t, h, j)
    h, j = res.get(("3", "hoinghi")), res.get(("3", "janus"))
    if h or j:
        t.section(f"3. {plan.s3_publishers} video publishers -> {plan.s3_subscribers} subscribers "
                  f"seeing all (veth, {plan.steady_s} s)")
        if plan.s3_subscribers < plan.s3_subscribers_wanted:
            t.note(f"SCALED DOWN from {plan.s3_subscribers_wanted} subscribers: this 2-core "
                   "machine cannot also generate and receive that load (see docs/benchmarks.md)")
        _steady_rows(t, h, j)
    h, j = res.get(("4", "hoinghi")), res.get(("4", "janus"))
    if h or j:
        t.section(f"4. join: WebSocket open -> first video key frame, {plan.join_probes} new "
                  "subscribers one after the other (veth)")
        t.row("join time p50 (ms)", _get(h, "join_p50_ms"), _get(j, "join_p50_ms"), ".0f", LOWER)
        t.row("join time p95 (ms)", _get(h, "join_p95_ms"), _get(j, "join_p95_ms"), ".0f", LOWER)
    _loopback(t, res, plan)
    return t.render()


def _loopback(t, res, plan):
    r1, r4 = res.get(("L1", "hoinghi")), res.get(("L4", "hoinghi"))
    if not (r1 or r4):
        return
    t.section("loopback (127.0.0.1, no namespaces; hoinghi only, Janus refuses loopback)")
    if r1:
        t.row(f"max subscribers at loss <= {plan.loopback_max_loss_pct:g}%",
              _get(r1, "max_subscribers"), None, ".0f", NONE)
        t.row("forwarded packets/s at that max", _get(r1, "at_max", "pps"), None, ".0f", NONE)
        bad = _get(r1, "first_over_limit")
        if bad:
            t.note(f"first step over the limit, {bad['subscribers']:.0f} subscribers: "
                   f"{_loss_cause(bad)}")
        t.row("server CPU (cores) at that max", _get(r1, "at_max", "server_cores"), None, ".2f",
              NONE)
        t.row("forwarded packets per CPU-second (= per core)", per_core(r1), None, ".0f", NONE)
        t.row("delay p99 at half that load (ms)", _ms(_get(r1, "at_half", "delay_p99_us")), None,
              ".2f", NONE)
        t.row("generator CPU (cores) at that max", _get(r1, "at_max", "gen_cores"), None, ".2f",
              NONE)
    if r4:
        t.row("join time p50 (ms)", _get(r4, "join_p50_ms"), None, ".0f", NONE)
        t.row("join time p95 (ms)", _get(r4, "join_p95_ms"), None, ".0f", NONE)


def per_core(ramp):
    """Forwarded packets per CPU-second of the server at the ramp's largest passing step."""
    c = _get(ramp, "at_max", "cpu_per_packet_us")
    return 1e6 / c if c else None


def targets(res, plan):
    """Issue 3's targets: list of (target, measured, verdict) strings."""
    out = []
    r1 = res.get(("L1", "hoinghi"))
    pc = per_core(r1) if r1 else None
    out.append((">= 150,000 forwarded packets/s per core at < 0.1% loss (loopback)",
                f"{pc:,.0f} per CPU-second" if pc else "not measured",
                _verdict(pc, lambda v: v >= 150000)))
    h = _get(res.get(("1", "hoinghi")), "steady", "cpu_per_packet_us")
    j = _get(res.get(("1", "janus")), "steady", "cpu_per_packet_us")
    ratio = j / h if h and j else None
    out.append(("CPU per forwarded packet <= 1/3 of Janus's (veth, same run)",
                f"hoinghi {h:.2f} us, janus {j:.2f} us: {ratio:.2f}x" if ratio else "not measured",
                _verdict(ratio, lambda v: v >= 3.0)))
    p99 = _get(r1, "at_half", "delay_p99_us") if r1 else None
    src = "loopback"
    if p99 is None:
        p99 = _get(res.get(("1", "hoinghi")), "ramp", "at_half", "delay_p99_us")
        src = "veth"
    out.append(("p99 added forwarding delay < 1 ms at half of max load",
                f"{p99 / 1000:.2f} ms ({src})" if p99 is not None else "not measured",
                _verdict(p99, lambda v: v < 1000)))
    mem = [_get(res.get(("1", "hoinghi")), "ramp", "rss_per_stream_kb"),
           _get(res.get(("1", "hoinghi")), "steady", "rss_per_stream_kb"),
           _get(res.get(("2", "hoinghi")), "rss_per_stream_kb"),
           _get(res.get(("3", "hoinghi")), "rss_per_stream_kb")]
    mem = [m for m in mem if m is not None]
    worst = max(mem) if mem else None
    out.append(("<= 200 KB per subscriber stream",
                f"{worst:.1f} KB (worst of scenarios 1-3)" if worst is not None
                else "not measured", _verdict(worst, lambda v: v <= 200)))
    jt = _get(res.get(("L4", "hoinghi")), "join_p50_ms")
    out.append(("join to first frame <= 300 ms p50 (loopback)",
                f"{jt:.0f} ms" if jt is not None else "not measured",
                _verdict(jt, lambda v: v <= 300)))
    return out


def _verdict(v, ok):
    if v is None:
        return "n/a"
    return "met" if ok(v) else "NOT met"


def render_targets(rows):
    out = ["targets (issue 3)"]
    for target, measured, verdict in rows:
        out.append(f"  {target:<66} {verdict:>7}   {measured}")
    return "\n".join(out)


def fanout_table(res, sizes, placements, plan):
    """Scenario 5 (issue 14): fixed fan-outs N on both cores and under contention, side by
    side, plus hoinghi's loopback figures."""
    from bench_scenarios import PLACEMENTS
    t = Table()
    for n in sizes:
        for pl in placements:
            h, j = res.get((f"5/{n}/{pl}", "hoinghi")), res.get((f"5/{n}/{pl}", "janus"))
            if not (h or j):
                continue
            t.section(f"5. fan-out 1 -> {n} for {plan.steady_s} s (veth); {PLACEMENTS[pl]}")
            _fixed_rows(t, h, j, n)
    for n in sizes:
        r = res.get((f"L5/{n}/cores", "hoinghi"))
        if r:
            t.section(f"5. fan-out 1 -> {n} for {plan.steady_s} s, loopback (hoinghi only); "
                      f"{PLACEMENTS['cores']}")
            _fixed_rows(t, r, None, n)
    return t.render()


def _fixed_rows(t, h, j, n):
    import bench_webrtcbin
    t.row(f"subscribers kept (connected and receiving, of {n})", _get(h, "kept"),
          _get(j, "kept"), ".0f", HIGHER)
    t.row("delivery ratio (received / (sent x subscribers))", _get(h, "delivery"),
          _get(j, "delivery"), ".4f", HIGHER)
    t.row("loss from sequence gaps (%)", _get(h, "loss_pct"), _get(j, "loss_pct"), ".3f", NONE)
    t.row("forwarded packets/s", _get(h, "pps"), _get(j, "pps"), ".0f", HIGHER)
    t.row("server CPU per forwarded packet (us)", _get(h, "cpu_per_packet_us"),
          _get(j, "cpu_per_packet_us"), ".2f", LOWER)
    t.row("server CPU (cores)", _get(h, "server_cores"), _get(j, "server_cores"), ".2f", NONE)
    t.row("added delay p50 (ms)", _ms(_get(h, "delay_p50_us")), _ms(_get(j, "delay_p50_us")),
          ".2f", LOWER)
    t.row("added delay p99 (ms)", _ms(_get(h, "delay_p99_us")), _ms(_get(j, "delay_p99_us")),
          ".2f", LOWER)
    t.row("generator CPU (cores)", _get(h, "gen_cores"), _get(j, "gen_cores"), ".2f", NONE)
    t.row("other processes' CPU (cores, noise)", _get(h, "other_cores"), _get(j, "other_cores"),
          ".2f", NONE)
    for who, r in (("hoinghi", h), ("janus", j)):
        if not r:
            continue
        if r.get("loadavg_at_end"):
            t.note(f"{who}: load average at the end of the run {r['loadavg_at_end']}")
        if r.get("ok") is False and not r.get("raw"):
            t.note(f"{who}: no result ({r.get('error') or 'see the hn-load log'})")
            continue
        m = r.get("metrics")
        if m:
            t.note(f"{who} /metrics: late drops {m.get('hoinghi_udp_rx_late_total', 0):.0f}, "
                   f"video shed {m.get('hoinghi_udp_rx_shed_video_total', 0):.0f}, kernel "
                   f"receive drops {m.get('hoinghi_udp_rx_kernel_drops_total', 0):.0f}, send "
                   f"drops {m.get('hoinghi_udp_tx_dropped_total', 0):.0f}, worker loop lag max "
                   f"{1000 * m.get('hoinghi_worker_loop_lag_max_seconds', 0):.1f} ms")
        if (r.get("loss_pct") or 0) > 0.1 or (r.get("delivery") or 1) < 0.99:
            t.note(f"{who}: {_loss_cause(r)}")
        if r.get("webrtcbin") or r.get("webrtcbin_final"):
            t.note(f"{who}: {bench_webrtcbin.line(r.get('webrtcbin'))}")
