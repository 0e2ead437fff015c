"""Processes started by scripts/bench, and what /proc says about them.

Every process is started here, remembered by PID, and stopped by PID (SIGTERM, then SIGKILL
after a bounded wait). A Sampler thread reads CPU time (utime + stime of all threads) and
resident memory of chosen PIDs, and the machine's total busy time, every SAMPLE_S seconds,
so CPU used over any window of a run can be read back afterwards.
"""

import bisect
import os
import signal
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.2

_started = {}  # pid -> Popen, every process still running that this module started
_lock = threading.Lock()


def start(cmd, log_path, stdout=None, env=None):
    """Starts CMD (list) with stderr (and stdout unless STDOUT is given) appended to LOG_PATH.
    Returns the Popen; its pid is remembered until stop()."""
    log = open(log_path, "ab")
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else log, stderr=log,
                             env=env, start_new_session=True)
    finally:
        log.close()
    with _lock:
        _started[p.pid] = p
    return p


def stop(p, timeout=15.0):
    """Stops process P by PID: SIGTERM, wait up to TIMEOUT s, then SIGKILL. Returns its exit
    status (None if it could not be reaped)."""
    if p is None:
        return None
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    with _lock:
        _started.pop(p.pid, None)
    return p.returncode


def stop_all():
    """Stops every process started by this module that is still known, newest first."""
    with _lock:
        procs = list(_started.values())
    for p in reversed(procs):
        stop(p, timeout=8.0)


def cpu_seconds(pid):
    """CPU seconds (user + system, all threads) used so far by PID, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    """Value in kB of KEY (VmRSS, VmHWM, ...) from /proc/PID/status, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy (all cores, not idle or iowait) so far."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts[:8]]
    idle = vals[3] + vals[4]
    return (sum(vals) - idle) / CLK_TCK


UDP_KEYS = ("InDatagrams", "OutDatagrams", "RcvbufErrors", "SndbufErrors", "InErrors")


def udp_counters(ns_cmd_prefix):
    """The UDP counters of a network namespace (/proc/net/snmp) as a dict, read by running
    `cat` under NS_CMD_PREFIX (an `ip netns exec NS` prefix; empty: this namespace). None
    when they cannot be read."""
    try:
        if ns_cmd_prefix:
            r = subprocess.run(ns_cmd_prefix + ["cat", "/proc/net/snmp"], capture_output=True,
                               text=True, timeout=10)
            text = r.stdout if r.returncode == 0 else ""
        else:
            with open("/proc/net/snmp") as f:
                text = f.read()
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [ln.split() for ln in text.splitlines() if ln.startswith("Udp:")]
    if len(lines) < 2:
        return None
    names, values = lines[0][1:], lines[1][1:]
    try:
        table = dict(zip(names, (int(v) for v in values)))
    except ValueError:
        return None
    return {k: table.get(k, 0) for k in UDP_KEYS}


def udp_delta(before, after):
    """after - before, key by key (None when either is missing)."""
    if not before or not after:
        return None
    return {k: after[k] - before[k] for k in UDP_KEYS}


class Sampler(threading.Thread):
    """Samples CPU seconds and VmRSS of a set of PIDs plus machine busy time, every SAMPLE_S s.
    Start it, add PIDs with watch(), read windows with cpu()/rss_max(), then close()."""

    def __init__(self):
        super().__init__(daemon=True)
        self._halt = threading.Event()
        self._mu = threading.Lock()
        self._pids = set()
        self._t = []        # monotonic times
        self._rows = []     # {"machine": s, pid: (cpu_s, rss_kb)}

    def watch(self, pid):
        with self._mu:
            self._pids.add(pid)

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(SAMPLE_S)

    def sample(self):
        with self._mu:
            pids = list(self._pids)
        row = {"machine": machine_busy_seconds()}
        for pid in pids:
            c = cpu_seconds(pid)
            if c is not None:
                row[pid] = (c, status_kb(pid, "VmRSS"))
        now = time.monotonic()
        with self._mu:
            self._t.append(now)
            self._rows.append(row)

    def close(self):
        self._halt.set()
        self.join(timeout=5)

    def _value_at(self, key, t, idx):
        """Linear interpolation of column KEY (idx 0: cpu) at time T, or None."""
        with self._mu:
            pts = [(tt, r[key] if key == "machine" else r[key][idx])
                   for tt, r in zip(self._t, self._rows) if key in r]
        if not pts:
            return None
        times = [p[0] for p in pts]
        i = bisect.bisect_left(times, t)
        if i <= 0:
            return pts[0][1]
        if i >= len(pts):
            return pts[-1][1]
        (t0, v0), (t1, v1) = pts[i - 1], pts[i]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1

    def cpu(self, key, t0, t1):
        """CPU seconds used by KEY (a PID, or "machine") between monotonic times T0 and T1."""
        a = self._value_at(key, t0, 0)
        b = self._value_at(key, t1, 0)
        return None if a is None or b is None else max(0.0, b - a)

    def rss_max(self, pid, t0, t1):
        """Largest VmRSS (kB) of PID sampled between T0 and T1, or None."""
        with self._mu:
            vals = [r[pid][1] for tt, r in zip(self._t, self._rows)
                    if t0 <= tt <= t1 and pid in r and r[pid][1] is not None]
        return max(vals) if vals else None
