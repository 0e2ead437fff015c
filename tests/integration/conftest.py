"""pytest fixtures: a real hoinghi server per test and GStreamer participants against it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


# Modules whose servers start GStreamer (WHIP, WHEP, the composed picture): under ASan, GLib's
# load-time quark block is then left allocated (lsan.supp: _dl_init), and only the full unwinder
# shows LeakSanitizer that it was made at load time. Not for every module: it makes every malloc
# of an ASan server several times slower.
GST_SERVER_MODULES = {'test_whip', 'test_overload', 'test_picture', 'test_sip_picture',
                      'test_vp8tx'}


@pytest.fixture(scope='module', autouse=True)
def gst_server_unwinder(request):
    if request.module.__name__.rsplit('.', 1)[-1] not in GST_SERVER_MODULES:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0:halt_on_error=1:'
                  'fast_unwind_on_malloc=0')
        yield


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
