"""The app the user is dictating into, found at press and carried by the dictation.

On X11 the focused top-level window (its class, title and process) is asked with xdotool and
xprop, which take tens of milliseconds: the capture runs on its own thread from the moment
of the press, and whoever needs the answer (delivery, on its own thread) waits for it, never
the GUI thread. Found at press, not when the first words are delivered, so a later part
(per-app options) can depend on it and a focus change while speaking does not move the text
to another window. On Wayland no app may ask which window has the focus: the target is
unknown there (nothing is captured).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.delivery import xtest


@dataclass(frozen=True)
class Target:
    """The focused window at press (X11), or nothing known."""

    window: xtest.Window | None = None
    process: str = ""  # the window's process name (/proc/PID/comm), when known
    own: bool = False  # Dictate's own window had the focus: the text shows there already

    @property
    def wm_class(self) -> str:
        return self.window.wm_class if self.window is not None else ""

    @property
    def title(self) -> str:
        return self.window.name if self.window is not None else ""

    @property
    def pid(self) -> int:
        return self.window.pid if self.window is not None else 0

    @property
    def typing_window(self) -> xtest.Window | None:
        """The window delivery types into: none when it was Dictate's own."""
        return None if self.own else self.window

    @property
    def terminal(self) -> bool:
        """A terminal emulator: what is typed there is one line (a newline runs it)."""
        return self.window is not None and self.window.terminal


UNKNOWN = Target()


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() if pid > 0 else ""
    except OSError:
        return ""


def capture(x11: bool) -> Target:
    """Blocking (subprocesses): the focused window now, on X11; else nothing known."""
    if not x11:
        return UNKNOWN
    window = xtest.active_window()
    if window is None:
        return UNKNOWN
    return Target(window, process_name(window.pid), own=window.pid == os.getpid())


class TargetCapture:
    """A capture started now on its own thread; `result()` waits for it (off the GUI
    thread), bounded: a window manager that does not answer leaves the target unknown."""

    def __init__(self, find: Callable[[], Target] | None = None) -> None:
        """`find` runs on a new thread; without it the target is unknown at once."""
        self._found = UNKNOWN
        self._done = threading.Event()
        if find is None:
            self._done.set()
        else:
            threading.Thread(target=self._run, args=(find,), name="target", daemon=True).start()

    @classmethod
    def known(cls, target: Target) -> TargetCapture:
        """A capture that is already done (tests, and paths with no window to ask)."""
        done = cls()
        done._found = target
        return done

    def _run(self, find: Callable[[], Target]) -> None:
        try:
            self._found = find()
        finally:
            self._done.set()

    def result(self, timeout: float = 10.0) -> Target:
        self._done.wait(timeout)
        return self._found
