"""Network namespaces for scripts/bench.

Janus never gathers loopback candidates, so both SFUs run in a server namespace and the load
generator in a client namespace, joined by one veth pair. Nothing outside these two namespaces
is touched: the addresses live only on the veth ends, and removing a namespace removes its end
of the pair (and with it the other end).
"""

import subprocess

SRV_NS = "hn-bench-srv"
CLI_NS = "hn-bench-cli"
SRV_IF = "hn-bench-s"
CLI_IF = "hn-bench-c"
SRV_IP = "10.77.0.1"
CLI_IP = "10.77.0.2"
PREFIX = 24


class NetnsError(RuntimeError):
    pass


def _ip(args, check=True):
    """Runs `ip ARGS` (bounded to 20 s); raises NetnsError with ip's message on failure."""
    try:
        r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired as e:
        raise NetnsError(f"ip {' '.join(args)}: timed out") from e
    if check and r.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {r.stderr.strip() or 'failed'}")
    return r


def _namespaces():
    r = _ip(["netns", "list"], check=False)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def remove():
    """Removes the benchmark namespaces and a stray host-side veth end left by a killed run.
    Safe to call when nothing exists."""
    present = _namespaces()
    for ns in (SRV_NS, CLI_NS):
        if ns in present:
            _ip(["netns", "del", ns], check=False)
    for ifname in (SRV_IF, CLI_IF):
        # Only our own names: a run killed between "link add" and "set netns" leaves them here.
        if _ip(["link", "show", "dev", ifname], check=False).returncode == 0:
            _ip(["link", "del", "dev", ifname], check=False)


def create():
    """Creates SRV_NS (SRV_IP on SRV_IF) and CLI_NS (CLI_IP on CLI_IF), loopback up in both.
    Removes stale ones first. Raises NetnsError."""
    remove()
    _ip(["netns", "add", SRV_NS])
    _ip(["netns", "add", CLI_NS])
    _ip(["link", "add", SRV_IF, "type", "veth", "peer", "name", CLI_IF])
    _ip(["link", "set", SRV_IF, "netns", SRV_NS])
    _ip(["link", "set", CLI_IF, "netns", CLI_NS])
    _ip(["-n", SRV_NS, "addr", "add", f"{SRV_IP}/{PREFIX}", "dev", SRV_IF])
    _ip(["-n", CLI_NS, "addr", "add", f"{CLI_IP}/{PREFIX}", "dev", CLI_IF])
    for ns, ifname in ((SRV_NS, SRV_IF), (CLI_NS, CLI_IF)):
        _ip(["-n", ns, "link", "set", "lo", "up"])
        _ip(["-n", ns, "link", "set", ifname, "up"])


def exec_prefix(ns):
    """Command prefix that runs a program inside namespace NS. `ip netns exec` execs the
    program, so the child's PID is the program's PID."""
    return ["ip", "netns", "exec", ns]


def tcp_listening(ns, port):
    """True when something listens on TCP PORT inside namespace NS (None: host namespace)."""
    cmd = ["ss", "-Hltn", f"sport = :{port}"]
    if ns:
        cmd = exec_prefix(ns) + cmd
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0 and r.stdout.strip() != ""
