"""The app the user is dictating into, found at press and carried by the dictation.

On X11 the focused top-level window (its class, title and process) is asked with xdotool and
xprop, which take tens of milliseconds: the capture runs on its own thread from the moment
of the press, and whoever needs the answer (delivery, on its own thread) waits for it, never
the GUI thread. Found at press, not when the first words are delivered, so a later part
(per-app options) can depend on it and a focus change while speaking does not move the text
to another window.

On Wayland no app may ask which window has the focus. Two parts say it there instead. On sway
the compositor's IPC does (`app.delivery.sway`: the app id, title and process), asked at press
like X11. When Dictate's IBus engine carries the dictation, the engine's first focus after
`begin` names the input context's client ("gtk3-im:gedit": the program, `client_program`) and
the field's input purpose (a terminal's is TERMINAL, which VTE sets and gnome-shell forwards
for every Wayland app, whose context it names "gnome-shell"): delivery sends `begin`, waits
(bounded) for that answer and hands it to the capture (`TargetCapture.input_method`). A
client that never focuses leaves those parts unknown; elsewhere the target is unknown.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from app.delivery import sway, xtest

PURPOSE_TERMINAL = 10  # IBus.InputPurpose.TERMINAL (GtkInputPurpose's too)


def client_program(client: str) -> str:
    """The program an input context's client name says: "gtk3-im:gedit" -> "gedit" (GTK's
    IBus module: "gtk-im:", "gtk3-im:", "gtk4-im:" and g_get_prgname()); "" for the clients
    that name no app (gnome-shell, the daemon's "fake", XIM)."""
    kind, colon, program = client.partition(":")
    if colon and kind.endswith("-im"):
        return program.strip()
    return ""


@dataclass(frozen=True)
class Target:
    """The focused window at press (X11; sway), what the input method said of the focused
    field (Wayland, with Dictate's engine), or nothing known."""

    window: xtest.Window | None = None
    process: str = ""  # the window's process name (/proc/PID/comm), when known
    own: bool = False  # Dictate's own window had the focus: the text shows there already
    app_id: str = ""  # the compositor's name for the app (sway: app id or X11 class)
    name: str = ""  # the compositor's title for the window
    app_pid: int = 0  # the compositor's process id for the window
    client: str = ""  # the input method's client program ("gedit", "org.gnome.TextEditor")
    terminal_field: bool = False  # the focused field's input purpose is TERMINAL

    @property
    def known(self) -> bool:
        return bool(self.window or self.app_id or self.client or self.process
                    or self.terminal_field)  # fmt: skip

    @property
    def wm_class(self) -> str:
        return self.window.wm_class if self.window is not None else self.app_id

    @property
    def title(self) -> str:
        return self.window.name if self.window is not None else self.name

    @property
    def pid(self) -> int:
        return self.window.pid if self.window is not None else self.app_pid

    @property
    def names(self) -> set[str]:
        """What a profile's apps are compared with, in lower case: the window class's parts
        and the whole class, the process, the input method client's program and its parts
        ("org.gnome.TextEditor": "texteditor", "org.gnome.texteditor", "org", "gnome")."""
        found = {self.process.lower()} if self.process else set()
        for name in (self.wm_class, self.client):
            found |= {part.lower() for part in name.split(".") if part}
            if name:
                found.add(name.lower())
        return found

    @property
    def typing_window(self) -> xtest.Window | None:
        """The window delivery types into: none when it was Dictate's own."""
        return None if self.own else self.window

    @property
    def terminal(self) -> bool:
        """A terminal emulator (or a field that says it is one): what is typed there is one
        line (a newline runs it)."""
        if self.terminal_field:
            return True
        if self.window is not None:
            return self.window.terminal
        return bool(self.names & xtest.TERMINALS)

    @property
    def label(self) -> str:
        """For the log: what is known of it ("unknown" when nothing is)."""
        said = [self.wm_class or "", f"client {self.client}" if self.client else "",
                "a terminal field" if self.terminal_field else ""]  # fmt: skip
        return ", ".join(s for s in said if s) or "unknown"

    def with_input_method(self, client: str, purpose: int) -> Target:
        """This target with what the input method said of the focused field."""
        return replace(self, client=client_program(client),
                       terminal_field=purpose == PURPOSE_TERMINAL)  # fmt: skip


UNKNOWN = Target()


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() if pid > 0 else ""
    except OSError:
        return ""


def capture(x11: bool) -> Target:
    """Blocking (subprocesses): the focused window now, on X11; on sway what its IPC says;
    else nothing known (the input method's part comes later: `TargetCapture.input_method`)."""
    if not x11:
        front = sway.focused()
        if front is None:
            return UNKNOWN
        return Target(app_id=front.app_id, name=front.title, app_pid=front.pid,
                      process=process_name(front.pid), own=front.pid == os.getpid())  # fmt: skip
    window = xtest.active_window()
    if window is None:
        return UNKNOWN
    return Target(window, process_name(window.pid), own=window.pid == os.getpid())


class TargetCapture:
    """A capture started now on its own thread; `result()` waits for it (off the GUI
    thread), bounded: a window manager that does not answer leaves the target unknown. When
    the input method carries the dictation, its part is awaited too (`expect_input_method`
    at press, `input_method` from the delivery thread once the engine said it)."""

    def __init__(self, find: Callable[[], Target] | None = None) -> None:
        """`find` runs on a new thread; without it the target is unknown at once."""
        self._found = UNKNOWN
        self._done = threading.Event()
        self._heard = threading.Event()  # the input method's part: set when none is awaited
        self._heard.set()
        self._field: tuple[str, int] | None = None
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

    def expect_input_method(self) -> None:
        """At press (before `result` is asked): the input method will say which field is in
        front; `result` waits for that too."""
        self._heard.clear()

    @property
    def expects_input_method(self) -> bool:
        return not self._heard.is_set()

    def input_method(self, client: str | None, purpose: int = 0) -> None:
        """What the engine said of the focused field after this dictation's `begin` (None:
        it said nothing in time)."""
        if client is not None:
            self._field = (client, purpose)
        self._heard.set()

    def result(self, timeout: float = 10.0) -> Target:
        deadline = time.monotonic() + timeout
        self._done.wait(timeout)
        self._heard.wait(max(0.0, deadline - time.monotonic()))
        field = self._field
        return self._found if field is None else self._found.with_input_method(*field)
