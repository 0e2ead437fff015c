#!/usr/bin/python3
"""A point-to-point link between two network namespaces that delays every packet: the user-space
stand-in for netem (this kernel has none). Used by tests/e2e/lib/netns.js.

    delaylink.py NS_A IF_A NS_B IF_B DELAY_MS

creates a TUN device IF_A in namespace NS_A and IF_B in NS_B (no addresses: the caller sets them
with `ip`), prints "ready" on stdout, then copies every IP packet read from one device into the
other DELAY_MS milliseconds later (order kept; a constant delay adds DELAY_MS to each direction,
so 2 * DELAY_MS to the round trip). Both devices disappear when this process exits (SIGTERM,
SIGINT, or its stdin closing). Needs root (CAP_NET_ADMIN) and /dev/net/tun.
"""

import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
QUEUE_LIMIT = 20000  # packets held per direction; beyond that the link drops (counted)

libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def open_tun(ns, name):
    enter(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    ns_a, if_a, ns_b, if_b, delay_ms = sys.argv[1:]
    delay = float(delay_ms) / 1000.0
    fd_a = open_tun(ns_a, if_a)
    fd_b = open_tun(ns_b, if_b)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    # Each queue holds (due time, packet) for the device it is written to.
    queues = {fd_a: collections.deque(), fd_b: collections.deque()}
    other = {fd_a: fd_b, fd_b: fd_a}
    dropped = 0
    print("ready", flush=True)
    stdin = sys.stdin.fileno()
    watch = [fd_a, fd_b, stdin]
    while not stop:
        now = time.monotonic()
        for fd, q in queues.items():
            while q and q[0][0] <= now:
                try:
                    os.write(fd, q.popleft()[1])
                except OSError:
                    dropped += 1  # device down or full: a lost packet, as on a real link
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 1.0
        try:
            ready, _, _ = select.select(watch, [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd in ready:
            if fd == stdin:
                if not os.read(stdin, 4096):
                    stop.append(1)
                continue
            for _ in range(64):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                q = queues[other[fd]]
                if len(q) >= QUEUE_LIMIT:
                    dropped += 1
                else:
                    q.append((now + delay, pkt))
    print(f"stopped, {dropped} packets dropped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
