"""A small real desktop for the delivery tests: Xvfb, a private D-Bus session bus, openbox and
(when asked) an ibus-daemon, all under a temporary HOME; and GTK entry windows to type into.

Every process started here is stopped by `Desktop.stop`, in reverse order: `ibus exit`, the
windows, openbox, the bus (`dbus-launch`'s pid), Xvfb.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.waiting import wait_until
from tests.xvfb import start_xvfb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"


def system_has_gi(*modules: str) -> bool:
    """Whether the system python3's gi has each of these ("Gtk:4.0"), one process each (GTK 3
    and GTK 4 do not load together)."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    for item in modules:
        name, version = item.split(":")
        probe = f"import gi; gi.require_version({name!r}, {version!r})"
        done = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, check=False)
        if done.returncode != 0:
            return False
    return True


USER_IME = "dictate-test-ime"  # tests/delivery/user_ime.py


def user_ime_xml(python: str) -> str:
    """The component file of the stand-in for the user's input method (user_ime.py)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<component>
  <name>org.dictate.test.UserIme</name><description>Test IME</description>
  <exec>{python} {HERE / "user_ime.py"} --ibus</exec>
  <version>1.0</version><author>Dictate tests</author><license>MIT</license>
  <homepage></homepage><textdomain></textdomain>
  <engines><engine>
    <name>{USER_IME}</name><longname>Test IME</longname><description>a to a-umlaut</description>
    <language>el</language><license>MIT</license><author>Dictate tests</author>
    <icon></icon><layout>us</layout><rank>0</rank>
  </engine></engines>
</component>
"""


needs_desktop = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("Xvfb", "xdotool", "openbox", "dbus-launch")),
    reason="needs Xvfb, xdotool, openbox and dbus-launch",
)
needs_ibus = pytest.mark.skipif(
    not (shutil.which("ibus-daemon") and system_has_gi("IBus:1.0", "Gtk:3.0")),
    reason="needs ibus-daemon, ibus-gtk3 and the system python3 with gi (IBus, Gtk)",
)


class Entry:
    """A GTK 3 entry window in its own process (or another `program` that prints the same
    lines, run after `prefix`, e.g. as another user); records what it prints. `im` None leaves
    GTK_IM_MODULE as `env` has it (unset: the desktop's own choice)."""

    def __init__(
        self,
        env: dict[str, str],
        title: str,
        im: str | None,
        *args: str,
        program: Path = HERE / "entry_app.py",
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.title = title
        self.proc = subprocess.Popen(
            [*prefix, SYSTEM_PYTHON, str(program), title, *args],
            env=env if im is None else dict(env, GTK_IM_MODULE=im),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.events: list[dict[str, object]] = []
        self._lines: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))

    @property
    def text(self) -> str:
        texts = [e["text"] for e in self.events if "text" in e]
        return str(texts[-1]) if texts else ""

    @property
    def preedits(self) -> list[str]:
        return [str(e["preedit"]) for e in self.events if "preedit" in e]

    def ready(self) -> bool:
        return any("ready" in e for e in self.events)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Desktop:
    def __init__(
        self,
        *,
        ibus: bool = True,
        size: str = "1024x768x24",
        user_ime: bool = False,
        components: dict[str, str] | None = None,
    ) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="dictate-desktop-"))
        self.display, self._xvfb = start_xvfb(size)
        self.env = dict(os.environ, DISPLAY=self.display, HOME=str(self.home),
                        XDG_CONFIG_HOME=str(self.home / ".config"))  # fmt: skip
        for name in ("GTK_IM_MODULE", "QT_IM_MODULE", "XMODIFIERS", "IBUS_ADDRESS"):
            self.env.pop(name, None)
        self.env["NO_AT_BRIDGE"] = "1"
        files = dict(components or {})
        if user_ime:  # a stand-in for the user's input method, installed as real ones are
            files["user-ime.xml"] = user_ime_xml(SYSTEM_PYTHON)
        if files:  # component files (name: XML), as packages install them
            folder = self.home / "ibus-components"
            folder.mkdir()
            for name, xml in files.items():
                (folder / name).write_text(xml)
            self.env["IBUS_COMPONENT_PATH"] = f"/usr/share/ibus/component:{folder}"
        self._procs: list[subprocess.Popen[bytes]] = []
        self.entries: list[Entry] = []
        self.bus_pid = 0
        self.ibus = False
        try:
            self._start(ibus)
        except BaseException:
            self.stop()
            raise

    def _start(self, ibus: bool) -> None:
        out = subprocess.run(["dbus-launch", "--sh-syntax"], env=self.env, capture_output=True,
                             text=True, check=True, timeout=20).stdout  # fmt: skip
        address = re.search(r"DBUS_SESSION_BUS_ADDRESS='([^']*)'", out)
        pid = re.search(r"DBUS_SESSION_BUS_PID=(\d+)", out)
        assert address and pid, out
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address.group(1)
        self.bus_pid = int(pid.group(1))
        wait_until(self._x_answers, 20, "the X server to answer")
        self._openbox = self._spawn(["openbox", "--sm-disable"])
        wait_until(self._wm_running, 30, "openbox")
        if ibus:
            self.start_ibus()

    def _x_answers(self) -> bool:
        done = subprocess.run(["xprop", "-root", "-len", "0", "_NET_SUPPORTED"], env=self.env,
                              capture_output=True, check=False)  # fmt: skip
        return done.returncode == 0

    def _wm_running(self) -> bool:
        if self._openbox.poll() is not None:  # a fresh server may refuse the first client
            self._procs.remove(self._openbox)
            self._openbox = self._spawn(["openbox", "--sm-disable"])
            return False
        done = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=self.env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        return "window id" in done.stdout

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        self._procs.append(proc)
        return proc

    def start_ibus(self) -> None:
        subprocess.run(["ibus-daemon", "--xim", "--panel=disable", "--daemonize", "--replace"],
                       env=self.env, check=True, timeout=20)  # fmt: skip
        self.ibus = True
        wait_until(lambda: self.ibus_cmd("address") not in ("", "(null)"), 20, "ibus-daemon")
        wait_until(self._ibus_ready, 20, "ibus-daemon to answer")

    def _ibus_ready(self) -> bool:
        done = subprocess.run(["ibus", "list-engine"], env=self.env, capture_output=True,
                              text=True, check=False, timeout=10)  # fmt: skip
        return done.returncode == 0

    def ibus_cmd(self, *args: str) -> str:
        done = subprocess.run(["ibus", *args], env=self.env, capture_output=True, text=True,
                              check=False, timeout=10)  # fmt: skip
        return done.stdout.strip()

    def xdotool(self, *args: str, check: bool = True) -> str | None:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True,
                              check=False, timeout=20)  # fmt: skip
        if done.returncode != 0:
            if check:
                raise AssertionError(f"xdotool {args}: {done.stderr}")
            return None
        return done.stdout.strip()

    def focused_window(self) -> str:
        return self.xdotool("getwindowfocus") or ""

    def entry(
        self, title: str = "EntryTest", *args: str, im: str = "", wm_class: str = ""
    ) -> Entry:
        """A GTK entry window, mapped, activated and with the keyboard focus; `im` is its
        input module (default: IBus when it runs), `wm_class` its window class; args go to
        entry_app.py."""
        im = im or ("ibus" if self.ibus else "gtk-im-context-simple")
        env = dict(self.env, ENTRY_WM_CLASS=wm_class) if wm_class else self.env
        entry = Entry(env, title, im, *args)
        self.entries.append(entry)
        self.activate(title)
        wait_until(entry.ready, 20, f"{title!r} to have the focus")
        return entry

    def activate(self, title: str) -> str:
        """Waits for the window titled so, activates it; returns its id."""
        found = wait_until(lambda: self.xdotool("search", "--name", f"^{title}$", check=False),
                           30, f"the window {title!r}")  # fmt: skip
        window = str(found).split()[0]
        self.xdotool("windowactivate", "--sync", window)
        return window

    def spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """Another program on this desktop, stopped with it."""
        return self._spawn(argv)

    def clipboard(self) -> str:
        """The desktop's (X) clipboard, read with xclip."""
        done = subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=self.env,
                              capture_output=True, text=True, timeout=5, check=False)  # fmt: skip
        return done.stdout

    def set_clipboard(self, text: str) -> None:
        quiet = subprocess.DEVNULL
        subprocess.run(["xclip", "-selection", "clipboard"], input=text, text=True, env=self.env,
                       stdout=quiet, stderr=quiet, check=True, timeout=10)  # fmt: skip

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "20", text)

    def stop(self) -> None:
        for entry in self.entries:
            entry.close()
        if self.ibus:
            self.ibus_cmd("exit")
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
        if self.bus_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.bus_pid, 15)
        self._xvfb.terminate()
        self._xvfb.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)


def entered(
    monkeypatch: pytest.MonkeyPatch,
    *,
    ibus: bool = True,
    user_ime: bool = False,
    components: dict[str, str] | None = None,
) -> Iterator[Desktop]:
    """A fixture's body: a desktop whose display, home and session bus this test process
    uses too; stopped afterwards."""
    desktop = Desktop(ibus=ibus, user_ime=user_ime, components=components)
    for key in ("DISPLAY", "HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(key, desktop.env[key])
    try:
        yield desktop
    finally:
        desktop.stop()
