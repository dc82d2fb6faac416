"""What the real-desktop tests share: a private session (runtime folder, home, session bus)
owned by an unprivileged user, the processes started in it, target windows and the real app.

Compositors refuse to run as root (sway: "Unable to drop root"), and ibus-daemon only talks to
its own user, so when the suite runs as root everything on the desktop, the app included, runs
as `nobody` through `setpriv` (`../shared/WAYLAND.md`); as a normal user it all runs as that
user. `Session.stop` ends what the session started, by process id and in reverse order: the
processes' descendants, the services the session bus started, the buses; then its folders.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.delivery.desktop import Entry, system_has_gi
from tests.soak.driver import SoakDriver
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENTRY3 = HERE.parent / "delivery" / "entry_app.py"
ENTRY4 = HERE / "entry4_app.py"
NOBODY = 65534
AS_ROOT = os.geteuid() == 0
PREFIX: tuple[str, ...] = (
    ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--") if AS_ROOT else ()
)
UNSET = ("DISPLAY", "WAYLAND_DISPLAY", "GTK_IM_MODULE", "QT_IM_MODULE", "XMODIFIERS",
         "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "IBUS_ADDRESS", "SWAYSOCK",
         "QT_QPA_PLATFORM", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "XAUTHORITY")  # fmt: skip


def give(path: Path) -> None:
    """Hands a folder (and what is in it) to the desktop's user."""
    if AS_ROOT:
        for item in [path, *path.rglob("*")]:
            os.chown(item, NOBODY, NOBODY)


def descendants(pids: set[int]) -> set[int]:
    """The live processes below these ones (children, grandchildren...)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = status.read_text().rsplit(")", 1)[1].split()
            parents[int(status.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = set(pids)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


class Session:
    """A private session: XDG_RUNTIME_DIR, HOME and a session bus, all the desktop user's."""

    def __init__(self, kind: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"dictate-{kind}-"))
        self.root.chmod(0o755)
        self.runtime = self.root / "run"
        self.home = self.root / "home"
        self.logs = self.root / "logs"
        for folder in (self.runtime, self.home, self.logs):
            folder.mkdir()
        self.runtime.chmod(0o700)
        give(self.root)
        self.env = {k: v for k, v in os.environ.items() if k not in UNSET}
        self.env.update(XDG_RUNTIME_DIR=str(self.runtime), HOME=str(self.home), NO_AT_BRIDGE="1",
                        LANG="C.UTF-8", USER="nobody" if AS_ROOT else os.environ.get("USER", ""),
                        DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.runtime / 'bus'}")  # fmt: skip
        self.env.pop("XDG_CONFIG_HOME", None)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.forked: list[int] = []  # daemons that forked away (the buses)
        self.entries: list[Entry] = []

    # --- processes -----------------------------------------------------------------------

    def spawn(self, argv: list[str], log: str = "", **env: str) -> subprocess.Popen[bytes]:
        out = (self.logs / log).open("wb") if log else subprocess.DEVNULL
        proc = subprocess.Popen([*PREFIX, *argv], env={**self.env, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        return proc

    def run(self, *argv: str, timeout: float = 10, **env: str) -> str:
        """Runs a command as the desktop's user; its stdout, stripped ("" when it failed)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            done = subprocess.run([*PREFIX, *argv], env={**self.env, **env}, capture_output=True,
                                  text=True, timeout=timeout, check=False)  # fmt: skip
            return done.stdout.strip() if done.returncode == 0 else ""
        return ""

    def start_bus(self, config: Path | None = None) -> None:
        address = self.env["DBUS_SESSION_BUS_ADDRESS"]
        argv = ["dbus-daemon", f"--config-file={config}" if config else "--session"]
        if config is None:
            argv.append(f"--address={address}")
        pid = self.run(*argv, "--fork", "--print-pid=1", timeout=20)
        assert pid.isdigit(), f"{argv[0]} did not start"
        self.forked.append(int(pid))

    def bus_services(self) -> set[int]:
        """The processes the session bus started (dconf, the IBus portal...)."""
        bus = ("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
               "/org/freedesktop/DBus", "--method")  # fmt: skip
        names = self.run(*bus, "org.freedesktop.DBus.ListNames")
        pids = set()
        for name in names.replace("'", " ").replace(",", " ").split():
            if "." in name and not name.startswith((":", "org.freedesktop.DBus")):
                answer = self.run(*bus, "org.freedesktop.DBus.GetConnectionUnixProcessID", name)
                found = re.search(r"uint32 (\d+)", answer)
                if found:
                    pids.add(int(found.group(1)))
        return pids

    def ibus(self, *args: str) -> str:
        return self.run("ibus", *args)

    # --- windows ---------------------------------------------------------------------------

    def entry(
        self, title: str, gtk: int = 3, im: str | None = None, args: tuple[str, ...] = (),
        **env: str,
    ) -> Entry:  # fmt: skip
        """A GTK 3 or GTK 4 entry window as the desktop's user, with the keyboard focus;
        `args` go to the GTK 3 window's program (entry_app.py: "terminal", "textview"...)."""
        entry = Entry({**self.env, **env}, title, im, *args,
                      program=ENTRY3 if gtk == 3 else ENTRY4, prefix=PREFIX)  # fmt: skip
        self.entries.append(entry)
        wait_until(entry.ready, 30, f"{title!r} to have the keyboard focus")
        return entry

    def close_entries(self) -> None:
        for entry in self.entries:
            entry.close()
        self.entries.clear()

    # --- the real app ------------------------------------------------------------------------

    def app(
        self, mic: VirtualMic, qt: str, program: list[str] | None = None, **settings: object
    ) -> SoakDriver:
        """The real app (`python -m app`, or an installed `program`; local engine) on this
        desktop, as its user, recording from the virtual microphone; with these settings."""
        driver = SoakDriver("", mic)
        driver.prefix = list(PREFIX)
        driver.program = program or driver.program
        if program is None:  # this checkout's app, run by the desktop's user
            reachable_by_others(ROOT, Path(sys.executable))
            check = "import app, sys; print(app.__file__.startswith(sys.argv[1]))"
            runs = self.run(sys.executable, "-c", check, str(ROOT), PYTHONPATH=str(ROOT))
            assert runs == "True", (
                f"the desktop's user cannot run {sys.executable} or read {ROOT}: make their "
                "folders readable for others"
            )
        own = ("DICTATE_HOME", "TOGETHER_API_KEY", "PYTHONUNBUFFERED")
        driver.env = {**self.env, **{k: driver.env[k] for k in own}}
        if qt:  # else Qt's own choice, as in a user's session
            driver.env["QT_QPA_PLATFORM"] = qt
        driver.env.update(PULSE_SERVER=mic.share(), HF_HUB_OFFLINE="1",
                          PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")  # fmt: skip
        if program is None and "PYTHONPATH" in os.environ:  # this checkout's app
            driver.env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        settings = {"first_run_done": True, **settings}
        (driver.home / "config" / "settings.json").write_text(
            json.dumps({"version": 1, "settings": settings})
        )
        driver.home.chmod(0o755)
        give(driver.home)
        driver.start()
        return driver

    # --- the end ---------------------------------------------------------------------------

    def stop(self, before: Callable[[], None] | None = None) -> None:
        self.close_entries()
        mine = {p.pid for p in self.procs if p.poll() is None}
        doomed = descendants(mine) | self.bus_services()
        if before is not None:
            before()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        for pid in [*doomed, *reversed(self.forked)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for pid in [*doomed, *self.forked]:
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                if exited(pid):
                    break
                time.sleep(0.05)  # pacing: waiting for another process to exit
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def exited(pid: int) -> bool:
    """The process is gone, or a zombie (its /proc entry stays until it is reaped)."""
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


def missing(tools: tuple[str, ...]) -> str:
    """Why a desktop that needs `tools` cannot run here ("" when it can)."""
    absent = [t for t in tools if not shutil.which(t)]
    if absent:
        return f"needs {', '.join(absent)} (scripts/system-packages.sh test)"
    if not system_has_gi("Gtk:3.0", "Gtk:4.0", "IBus:1.0"):
        return "needs the system python3 with gi for GTK 3, GTK 4 and IBus"
    return ""


def reachable_by_others(*paths: Path) -> None:
    """As root, the desktop's user (`nobody`) must be able to reach this checkout and its
    Python: a clean clone in root's home sits behind a 0700 folder. Each folder above them
    gets the search bit for others (not the read bit: nothing there can be listed), which
    CI (a throwaway machine) allows; elsewhere the test says what to change."""
    if not AS_ROOT:
        return
    for path in paths:
        for folder in reversed(path.resolve().parents):
            mode = folder.stat().st_mode
            if not mode & 0o001:
                if not os.environ.get("CI"):
                    return  # the check in `app` explains what to change
                folder.chmod(mode | 0o001)
