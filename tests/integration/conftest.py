"""pytest fixtures: a real hoinghi server per test and GStreamer participants against it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


@pytest.fixture
def start_server(tmp_path):
    """start_server(config_text=None, extra_args=()) -> a running harness.Server.

    Every server started here is stopped by PID at the end of the test; the test fails if one
    crashed, ignored SIGTERM or printed a sanitizer report."""
    servers = []

    def start(config_text=None, extra_args=()):
        workdir = tmp_path / ('server%d' % len(servers))
        workdir.mkdir()
        srv = harness.Server(str(workdir), config_text, extra_args)
        servers.append(srv)
        return srv.start()

    yield start
    problems = []
    for srv in servers:
        for p in srv.stop():
            problems.append('%s\n--- server log tail:\n%s' % (p, harness.tail(srv.log_path)))
    if problems:
        pytest.fail('\n'.join(problems), pytrace=False)


@pytest.fixture
def server(start_server):
    """A hoinghi server with the default configuration."""
    return start_server()


@pytest.fixture
def clients(tmp_path):
    """clients(server, name, room, duration, *extra) -> a running harness.GstClient.

    Clients still running at the end of the test are killed by PID."""
    started = []

    def start(srv, name, room, duration, *extra):
        c = harness.GstClient(srv, str(tmp_path), name, room, duration, extra)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()
