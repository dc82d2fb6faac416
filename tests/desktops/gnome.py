"""Headless GNOME Shell on Wayland as a real desktop for the tests, with IBus the way
gnome-shell drives it (it starts its own ibus-daemon, with XIM once Xwayland is up, and sets
the engine of the current input source), Xwayland for X11 apps, and a keyboard on the seat.

gnome-shell needs a system bus (an empty private one will do) and a session bus. GNOME Shell 43
sometimes hangs for good at start (the ibus-daemon it spawns deadlocks in its child setup), so
each start has a deadline, and a fresh start follows a hung one (`../shared/WAYLAND.md`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.delivery.desktop import SYSTEM_PYTHON
from tests.desktops.session import PREFIX, Session, descendants, give
from tests.desktops.session import missing as needs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COMPONENT = ROOT / "packaging" / "linux" / "org.dictate.Dictate.Engine.xml"
INSTALLED_ENGINE = "/opt/dictate/_internal/app/delivery/ibus/engine.py"
TOOLS = ("gnome-shell", "Xwayland", "dbus-daemon", "gdbus", "gsettings", "setpriv", "ibus")
START_S = 30  # one start's deadline (0.5 to 2 s when it does not hang; slow machines)
USERS_ENGINE = "xkb:us::eng"
SYSTEM_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>{address}</listen><auth>EXTERNAL</auth>
 <policy context="default"><allow user="*"/><allow own="*"/><allow send_type="method_call"/>
  <allow send_type="signal"/><allow send_type="method_return"/><allow send_type="error"/>
  <allow receive_type="method_call"/><allow receive_type="signal"/>
  <allow receive_type="method_return"/><allow receive_type="error"/></policy></busconfig>
"""


def missing() -> str:
    """Why GNOME Shell cannot run here ("" when it can)."""
    return needs(TOOLS)


class Gnome(Session):
    def __init__(self, *, hang_first: bool = False) -> None:
        """`hang_first`: the first start is frozen (SIGSTOP) as a hung one, to test the retry."""
        super().__init__("gnome")
        self.starts = 0
        self.hang_first = hang_first
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        system = f"unix:path={self.runtime / 'system_bus'}"
        config = self.logs / "system-bus.conf"
        config.write_text(SYSTEM_BUS.format(address=system))
        give(config)
        self.env.update(XDG_SESSION_TYPE="wayland", XDG_CURRENT_DESKTOP="GNOME",
                        DBUS_SYSTEM_BUS_ADDRESS=system)  # fmt: skip
        self.start_bus()
        self.start_bus(config)
        self._known_engine()
        for key, value in (
            ("org.gnome.desktop.interface enable-animations", "false"),
            ("org.gnome.shell welcome-dialog-last-shown-version", "'999'"),
            ("org.gnome.desktop.input-sources sources", "[('xkb', 'us')]"),
        ):
            self.run("gsettings", "set", *key.split(), value)
        for _attempt in range(3):
            self.starts += 1
            if self._start_shell():
                break
        else:
            raise AssertionError(f"gnome-shell did not come up in 3 starts: {self._log()}")
        self.env["WAYLAND_DISPLAY"] = "wayland-0"
        self.run("gdbus", "call", "--session", "--dest", "org.gnome.Shell", "--object-path",
                 "/org/gnome/Shell", "--method", "org.freedesktop.DBus.Properties.Set",
                 "org.gnome.Shell", "OverviewActive", "<false>")  # fmt: skip
        found = re.search(r"Using public X11 display (:\d+)", self._log(whole=True))
        auth = sorted(self.runtime.glob(".mutter-Xwaylandauth.*"))
        assert found and auth, f"no Xwayland: {self._log()}"
        self.x11 = {"DISPLAY": found.group(1), "XAUTHORITY": str(auth[0])}
        self.env.update(self.x11)  # as in a GNOME session: X11 apps run on Xwayland
        self.keyboard = subprocess.Popen(
            [*PREFIX, SYSTEM_PYTHON, str(HERE / "gnome_keyboard.py")],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        self.procs.append(self.keyboard)
        assert self.keyboard.stdout is not None
        assert self.keyboard.stdout.readline().strip() == b"ready", "no keyboard for the seat"

    def _known_engine(self) -> None:
        """The engine's IBus component as the .deb installs it, pointing at this checkout's
        engine unless the package is installed; the daemon reads the system's components and
        it (IBUS_COMPONENT_PATH: IBus has no per-user component folder)."""
        folder = self.root / "ibus-component"
        folder.mkdir()
        text = COMPONENT.read_text()
        if not Path(INSTALLED_ENGINE).exists():
            text = text.replace(INSTALLED_ENGINE, str(ROOT / "app/delivery/ibus/engine.py"))
        (folder / COMPONENT.name).write_text(text)
        folder.chmod(0o755)
        self.env["IBUS_COMPONENT_PATH"] = f"/usr/share/ibus/component:{folder}"

    def _log(self, whole: bool = False) -> str:
        text = (self.logs / "shell.log").read_text(errors="replace")
        return text if whole else text[-3000:]

    def _start_shell(self) -> bool:
        shell = self.spawn(["gnome-shell", "--headless", "--wayland", "--virtual-monitor",
                            "1280x800"], "shell.log")  # fmt: skip
        deadline = time.monotonic() + START_S
        if self.hang_first and self.starts == 1:
            os.kill(shell.pid, signal.SIGSTOP)  # hung for good, as seen at start
            deadline = time.monotonic() + 3
        while time.monotonic() < deadline and shell.poll() is None:
            if self._ready(shell.pid):
                self.shell = shell
                return True
            time.sleep(0.2)  # pacing: polling the shell and its ibus-daemon
        # Hung (or died): the shell and all it started go, then a fresh start.
        killed = descendants({shell.pid}) | {shell.pid}
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shell.wait(10)
        self.procs.remove(shell)
        _forget_x_locks(killed)
        return False

    def _ready(self, pid: int) -> bool:
        """The shell answers on D-Bus, its ibus-daemon with XIM runs, the user's engine is set."""
        answered = self.run("gdbus", "call", "--session", "--timeout", "2", "--dest",
                            "org.gnome.Shell", "--object-path", "/org/gnome/Shell", "--method",
                            "org.freedesktop.DBus.Properties.Get", "org.gnome.Shell",
                            "ShellVersion")  # fmt: skip
        if not answered:
            return False
        daemons = [p for p in descendants({pid}) if _args(p).startswith("ibus-daemon")]
        if not any("--xim" in _args(p) for p in daemons):
            return False
        return self.run("ibus", "engine", WAYLAND_DISPLAY="wayland-0") == USERS_ENGINE

    def press(self, *keysyms: int) -> None:
        """Presses a chord on the seat's keyboard (`gnome_keyboard.py`), as a user does."""
        assert self.keyboard.stdin is not None and self.keyboard.stdout is not None
        self.keyboard.stdin.write((" ".join(f"{k:x}" for k in keysyms) + "\n").encode())
        self.keyboard.stdin.flush()
        assert self.keyboard.stdout.readline().strip() == b"done", "the keyboard stopped"

    def ibus(self, *args: str) -> str:
        return self.run("ibus", *args, WAYLAND_DISPLAY="wayland-0")


def _forget_x_locks(killed: set[int]) -> None:
    """The X lock files and sockets that a killed Xwayland of ours left behind."""
    for lock in Path("/tmp").glob(".X*-lock"):
        with contextlib.suppress(OSError, ValueError):
            if int(lock.read_text().strip()) in killed:
                number = lock.name[2:-5]
                Path(f"/tmp/.X11-unix/X{number}").unlink(missing_ok=True)
                lock.unlink()


def _args(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
