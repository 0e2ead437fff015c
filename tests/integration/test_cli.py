"""Command line and configuration errors of the hoinghi binary."""
import os
import re
import socket

from harness import REPO, free_port, run_cli, sanitizer_report


def project_version():
    with open(os.path.join(REPO, 'meson.build'), encoding='utf-8') as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def assert_clean_failure(proc, *needles):
    """Exited non-zero by itself (not on a signal), said why on stderr, no sanitizer report."""
    out = proc.stdout + proc.stderr
    assert proc.returncode > 0, 'exit %s, stderr:\n%s' % (proc.returncode, proc.stderr)
    assert sanitizer_report(out) is None, out
    for needle in needles:
        assert needle in proc.stderr, '%r not in stderr:\n%s' % (needle, proc.stderr)


def test_help():
    proc = run_cli(['--help'])
    assert proc.returncode == 0, proc.stderr
    for opt in ('--config', '--listen', '--data-dir'):
        assert opt in proc.stdout, '%s missing from --help:\n%s' % (opt, proc.stdout)


def test_version():
    proc = run_cli(['--version'])
    assert proc.returncode == 0, proc.stderr
    assert project_version() in proc.stdout, proc.stdout


def test_unknown_option():
    assert_clean_failure(run_cli(['--no-such-option']), '--no-such-option')


def test_config_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / 'broken.conf'
    path.write_text('# hoinghi test config\n[server]\nthis line has no equals sign\n'
                    '[\n')
    proc = run_cli(['--config', str(path), '--listen', '127.0.0.1:%d' % free_port(),
                    '--data-dir', str(tmp_path)])
    assert_clean_failure(proc, '%s:3' % path)


def test_config_later_syntax_error_line(tmp_path):
    path = tmp_path / 'late.conf'
    path.write_text('# comment\n\n[server]\n# another comment\n\n\n=value without key\n')
    proc = run_cli(['--config', str(path), '--listen', '127.0.0.1:%d' % free_port(),
                    '--data-dir', str(tmp_path)])
    assert_clean_failure(proc, '%s:7' % path)


def test_config_not_utf8(tmp_path):
    path = tmp_path / 'latin1.conf'
    path.write_bytes(b'[server]\n# caf\xe9\nname = \xff\xfe\n')
    proc = run_cli(['--config', str(path), '--listen', '127.0.0.1:%d' % free_port(),
                    '--data-dir', str(tmp_path)])
    assert_clean_failure(proc, str(path))


def test_missing_config_file(tmp_path):
    path = tmp_path / 'does-not-exist.conf'
    proc = run_cli(['--config', str(path), '--data-dir', str(tmp_path)])
    assert_clean_failure(proc, str(path))


def test_bad_listen_address(tmp_path):
    for bad in ('nonsense', '127.0.0.1:99999', '127.0.0.1:', ':-1'):
        proc = run_cli(['--listen', bad, '--data-dir', str(tmp_path)])
        assert_clean_failure(proc, bad)


def test_listen_port_in_use(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = run_cli(['--listen', '127.0.0.1:%d' % port, '--data-dir', str(tmp_path)])
        assert_clean_failure(proc, str(port))


def test_data_dir_is_a_file(tmp_path):
    path = tmp_path / 'plain-file'
    path.write_text('not a directory\n')
    proc = run_cli(['--listen', '127.0.0.1:%d' % free_port(), '--data-dir', str(path)])
    assert_clean_failure(proc, str(path))


def run_with_config(tmp_path, text, name='hoinghi.conf'):
    path = tmp_path / name
    path.write_text(text)
    proc = run_cli(['--config', str(path), '--listen', '127.0.0.1:%d' % free_port(),
                    '--data-dir', str(tmp_path / 'data')])
    return path, proc


def test_config_unknown_key_names_line(tmp_path):
    path, proc = run_with_config(tmp_path, '[server]\nworkers = 1\n\nno_such_key = 1\n')
    assert_clean_failure(proc, '%s:4' % path, 'no_such_key')


def test_config_unknown_group_names_line(tmp_path):
    path, proc = run_with_config(tmp_path, '[server]\nworkers = 1\n[bogus]\nx = 1\n')
    assert_clean_failure(proc, '%s:3' % path, 'bogus')


def test_config_bad_values_name_line(tmp_path):
    cases = [
        ('[server]\n# c\nworkers = 65\n', 3, 'workers'),
        ('[server]\nworkers = many\n', 2, 'workers'),
        ('[server]\nlog_level = loud\n', 2, 'log_level'),
        ('[server]\nlisten = 127.0.0.1:70000\n', 2, 'listen'),
        ('[media]\nrtp_port_min = 40000\nrtp_port_max = 30000\n', 3, 'rtp_port'),
        ('[media]\nconsent_timeout = 1\n', 2, 'consent_timeout'),
        ('[rooms]\nauto_create = maybe\n', 2, 'auto_create'),
        ('[rooms]\nmax_participants = 0\n', 2, 'max_participants'),
        ('[room:bad name!]\ntitle = x\n', 1, 'bad name!'),
        ('[room:r1]\ntitle = a\n\ntitle = b\n', 4, 'title'),
    ]
    for i, (text, line, needle) in enumerate(cases):
        path, proc = run_with_config(tmp_path, text, 'case%d.conf' % i)
        assert_clean_failure(proc, '%s:%d' % (path, line), needle)


def test_valid_example_config_starts(tmp_path):
    """conf/hoinghi.conf (the documented example) is accepted as it ships."""
    import subprocess
    import time
    from harness import HOINGHI_BIN, sanitizer_env
    port = free_port()
    proc = subprocess.Popen([HOINGHI_BIN, '--config', os.path.join(REPO, 'conf', 'hoinghi.conf'),
                             '--listen', '127.0.0.1:%d' % port, '--data-dir',
                             str(tmp_path / 'data')], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=sanitizer_env())
    try:
        deadline = time.monotonic() + 10
        ok = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                ok = True
                break
            except OSError:
                time.sleep(0.1)
        assert ok, 'the example configuration did not start: exit %s\n%s' % (
            proc.poll(), proc.stdout.read() if proc.poll() is not None else '')
    finally:
        if proc.poll() is None:
            proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode in (0, -15), out
    assert sanitizer_report(out) is None, out


def test_media_port_range_too_small_for_workers(tmp_path):
    # ICE-lite: one UDP port per media worker; 2 workers cannot share a range of one port.
    _path, proc = run_with_config(
        tmp_path, '[server]\nworkers = 2\n[media]\nrtp_port_min = 41000\nrtp_port_max = 41000\n')
    assert_clean_failure(proc, 'rtp_port_min..rtp_port_max', '2 media workers')


def test_media_port_in_use(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        _path, proc = run_with_config(
            tmp_path, '[server]\nworkers = 1\n[media]\naddresses = 127.0.0.1\n'
            'rtp_port_min = %d\nrtp_port_max = %d\n' % (port, port))
        assert_clean_failure(proc, 'media sockets', '127.0.0.1', str(port))
