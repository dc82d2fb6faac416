"""The `dictate ptt` control socket: in the user's private runtime folder, closed to others.

Real sockets: the app's `InstanceServer`, `dictate ptt` run as a user runs it (a subprocess),
and, when the tests run as root (as in CI), a client forked as `nobody` that must be
refused by the kernel. A runtime folder another user made first is refused, in words.
"""

from __future__ import annotations

import errno
import os
import pwd
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app import paths
from app.platform.single_instance import InstanceServer

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_RUNTIME_DIR, as systemd makes one (0700), and a home of this test."""
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path / "home"))
    return run


def connect_as(uid: int, gid: int, path: str) -> int:
    """Connect to the Unix socket at `path` from a child process running as uid/gid: 0 when
    it connected, else the errno the kernel gave."""
    pid = os.fork()
    if pid == 0:  # the child only makes system calls, then leaves without cleanup
        code = 100
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
            code = 0
        except OSError as exc:
            code = exc.errno or 101
        finally:
            # A forked child of the test process: it must not run pytest's teardown or
            # atexit handlers, only report its errno (no native code runs here).
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def ptt(action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "ptt", action],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_socket_lives_in_the_private_runtime_folder_and_ptt_reaches_it(
    qtbot: QtBot, runtime: Path
) -> None:
    server = InstanceServer(paths.runtime_name())
    try:
        where = Path(server.server.fullServerName())
        assert where.parent == runtime / "dictate" and not server.problem
        folder, sock = where.parent.lstat(), where.lstat()
        assert stat.S_ISDIR(folder.st_mode) and stat.S_IMODE(folder.st_mode) == 0o700
        assert folder.st_uid == os.getuid()
        assert stat.S_ISSOCK(sock.st_mode) and not sock.st_mode & 0o077
        assert not list(Path(tempfile.gettempdir()).glob(f"{paths.runtime_name()}*"))
        with qtbot.waitSignal(server.command, timeout=30000) as got:
            proc = subprocess.Popen([sys.executable, "-m", "app", "ptt", "toggle"])
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        assert proc.returncode == 0 and got.args == ["toggle"]
        # A second `dictate` brings the first to the front instead of starting again.
        with qtbot.waitSignal(server.command, timeout=30000) as got:
            second = subprocess.Popen([sys.executable, "-m", "app"], stderr=subprocess.PIPE)
            qtbot.waitUntil(lambda: second.poll() is not None, timeout=30000)
        assert second.returncode == 0 and got.args == ["show"]
        assert second.stderr is not None and b"already running" in second.stderr.read()
    finally:
        server.close()
    assert ptt("toggle").returncode == 1  # nobody listens any more: a clear refusal


def test_ptt_command_starts_command_mode_in_the_running_app(qtbot: QtBot, runtime: Path) -> None:
    server = InstanceServer(paths.runtime_name())
    try:
        with qtbot.waitSignal(server.command, timeout=30000) as got:
            proc = subprocess.Popen([sys.executable, "-m", "app", "ptt", "command"])
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        assert proc.returncode == 0 and got.args == ["command"]
    finally:
        server.close()


@as_root
def test_another_user_cannot_connect(qtbot: QtBot, runtime: Path, tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    server = InstanceServer(paths.runtime_name())
    # The socket alone, in a folder anyone may enter: its own mode still keeps others out.
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    exposed = InstanceServer(str(open_folder / "dictate"))
    try:
        private = server.server.fullServerName()
        assert connect_as(os.getuid(), os.getgid(), private) == 0  # the owner gets in
        assert connect_as(nobody.pw_uid, nobody.pw_gid, private) == errno.EACCES
        alone = exposed.server.fullServerName()
        assert connect_as(os.getuid(), os.getgid(), alone) == 0
        assert connect_as(nobody.pw_uid, nobody.pw_gid, alone) == errno.EACCES
    finally:
        server.close()
        exposed.close()


@as_root
def test_a_runtime_folder_made_by_someone_else_is_refused(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", None)  # it caches the first answer
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path / "home"))
    squatted = shared / f"dictate-{os.getuid()}"
    squatted.mkdir(mode=0o700)
    os.chown(squatted, pwd.getpwnam("nobody").pw_uid, -1)

    server = InstanceServer(paths.runtime_name())
    try:
        assert "not a private folder" in server.problem and not server.server.isListening()
        refused = ptt("toggle")
        assert refused.returncode == 1 and str(squatted) in refused.stderr
        assert "XDG_RUNTIME_DIR" in refused.stderr
    finally:
        server.close()
    os.chown(squatted, os.getuid(), -1)
    squatted.chmod(0o777)  # ours, but anyone could have put a socket in it
    with pytest.raises(paths.UnsafeRuntimeDir):
        paths.runtime_dir()
    squatted.rmdir()
    assert paths.runtime_dir() == squatted  # made afresh, private
    assert stat.S_IMODE(squatted.stat().st_mode) == 0o700


def test_a_runtime_dir_open_to_others_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loose = tmp_path / "run"
    loose.mkdir()
    loose.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(loose))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert paths.runtime_dir() == tmp_path / f"dictate-{os.getuid()}"
    assert not (loose / "dictate").exists()
