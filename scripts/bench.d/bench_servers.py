"""Starting and stopping the two SFUs under test, each as one process whose PID we watch.

hoinghi gets a configuration written for the run: signalling and media on one address (the
veth address in the server namespace, or 127.0.0.1 for the loopback figures), rooms created on
demand, up to 1000 participants. Janus runs with the committed configuration in bench/janus/.
"""

import os
import socket
import subprocess
import time

import bench_netns as netns
import bench_proc as proc

HOINGHI_PORT = 8080
JANUS_PORT = 8188
READY_TIMEOUT_S = 20.0


class ServerError(RuntimeError):
    pass


class Server:
    """A running SFU: name ("hoinghi"/"janus"), popen, pid, ws url, log path, path label."""

    def __init__(self, name, popen, url, log_path, path):
        self.name = name
        self.popen = popen
        self.pid = popen.pid
        self.url = url
        self.log_path = log_path
        self.path = path

    def alive(self):
        return self.popen.poll() is None

    def hwm_kb(self):
        """Peak resident memory so far (VmHWM), kB."""
        return proc.status_kb(self.pid, "VmHWM")

    def rss_kb(self):
        return proc.status_kb(self.pid, "VmRSS")

    def stop(self):
        return proc.stop(self.popen)


def _free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _wait_ready(p, name, ns, port, log_path):
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise ServerError(f"{name} exited with status {p.returncode} at start-up; "
                              f"last lines of {log_path}:\n{_log_tail(log_path)}")
        if netns.tcp_listening(ns, port):
            return
        time.sleep(0.25)
    proc.stop(p)
    raise ServerError(f"{name} did not listen on port {port} within {READY_TIMEOUT_S:.0f} s; "
                      f"see {log_path}")


def hoinghi_config(ip, port, data_dir):
    """The configuration file text for a benchmark run of hoinghi on IP:PORT.
    HOINGHI_BENCH_SPREAD=N sets [media] spread_subscribers (one room across workers; 0: off;
    unset: the server's default, 100)."""
    spread = int(os.environ.get("HOINGHI_BENCH_SPREAD", "100"))
    return f"""# Written by scripts/bench for one run; not for production.
[server]
listen = {ip}:{port}
# Plain HTTP on the benchmark's own network namespace address.
insecure_http = true
data_dir = {data_dir}
# One media worker per core (the default); a room lives on one worker.
workers = 0
# info logs joins, leaves and transport events (never per packet), so a run can be explained.
log_level = info

[media]
# Candidates on the benchmark address only.
addresses = {ip}
# One room across workers from this many subscribers (HOINGHI_BENCH_SPREAD; 0: off; 100 is the
# server's default).
spread_subscribers = {spread}

[rooms]
auto_create = true
max_participants = 1000
"""


def start_hoinghi(binary, run_dir, tag, loopback=False, taskset=None):
    """Starts hoinghi in the server namespace (or on 127.0.0.1 when LOOPBACK) and waits until
    it listens. TAG names its files in RUN_DIR. Raises ServerError."""
    if loopback:
        ip, port, ns, path = "127.0.0.1", _free_loopback_port(), None, "loopback"
    else:
        ip, port, ns, path = netns.SRV_IP, HOINGHI_PORT, netns.SRV_NS, "veth"
    conf = os.path.join(run_dir, f"hoinghi-{tag}.conf")
    data_dir = os.path.join(run_dir, f"hoinghi-{tag}-data")
    with open(conf, "w") as f:
        f.write(hoinghi_config(ip, port, data_dir))
    log = os.path.join(run_dir, f"hoinghi-{tag}.log")
    cmd = (netns.exec_prefix(ns) if ns else []) + (taskset or []) + [binary, "--config", conf]
    p = proc.start(cmd, log)
    _wait_ready(p, "hoinghi", ns, port, log)
    return Server("hoinghi", p, f"ws://{ip}:{port}/ws", log, path)


def start_janus(janus_dir, run_dir, tag, taskset=None):
    """Starts Janus with the configuration in JANUS_DIR inside the server namespace and waits
    until its WebSocket transport listens. Raises ServerError."""
    log = os.path.join(run_dir, f"janus-{tag}.log")
    cmd = netns.exec_prefix(netns.SRV_NS) + (taskset or []) + [
        "janus", "-F", janus_dir, "-C", os.path.join(janus_dir, "janus.jcfg"), "-o"]
    p = proc.start(cmd, log)
    _wait_ready(p, "janus", netns.SRV_NS, JANUS_PORT, log)
    return Server("janus", p, f"ws://{netns.SRV_IP}:{JANUS_PORT}/", log, "veth")


def versions(repo, hoinghi_binary):
    """Version strings: hoinghi (--version and git revision) and the janus package."""
    out = {}
    try:
        r = subprocess.run([hoinghi_binary, "--version"], capture_output=True, text=True,
                           timeout=10)
        line = (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else ""
        out["hoinghi"] = line.removeprefix("hoinghi ").strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        out["hoinghi"] = "unknown"
    try:
        rev = subprocess.run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no",
                                "--", "server", "signaling"],
                               capture_output=True, text=True, timeout=20).stdout.strip()
        out["hoinghi_git"] = rev + ("+local-changes" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        out["hoinghi_git"] = "unknown"
    try:
        mtime = os.path.getmtime(hoinghi_binary)
        out["hoinghi_built"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(mtime))
    except OSError:
        out["hoinghi_built"] = "unknown"
    try:
        out["janus"] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "janus"],
                                      capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out["janus"] = ""
    out["janus"] = out["janus"] or "not installed"
    return out
