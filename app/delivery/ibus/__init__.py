"""The app's side of the IBus engine (`engine.py`): starts it, sends it text, hears its events.

The engine runs under the system python3 (which has `gi`; the app's own interpreter may be a
virtual environment or a frozen bundle without it) and talks JSON lines over its stdin and
stdout. Qt-free: events arrive on a reader thread and are handed to `on_event`, which the
caller marshals to its own thread.

Besides the text, the session answers two questions (blocking, bounded, off the GUI thread):
`front()`, which app and field a dictation's `begin` found in front (the client's name and the
field's input purpose), and `select()`, command mode's selected text from the focused field.
Each question carries an id and only its own answer is taken: an answer meant for an earlier
dictation (a focus seen then) is never taken for this one.

The user's engine is left as it was: the engine puts it back when it exits (`restored`); when
the engine process ended without saying so (killed, crashed), the session runs `engine.py
--restore NAME` itself. The user's engine is remembered in the state folder, so a start that
finds no engine or Dictate's own active (both processes were killed) puts it back too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app import paths

ENGINE = Path(__file__).resolve().parent / "engine.py"
NAME = "dictate"  # the engine's name (engine.NAME; that module needs gi)


def system_python() -> str | None:
    """A python3 that has gi with IBus: $DICTATE_SYSTEM_PYTHON, /usr/bin/python3, or PATH's."""
    for candidate in (os.environ.get("DICTATE_SYSTEM_PYTHON"), "/usr/bin/python3",
                      shutil.which("python3")):  # fmt: skip
        if candidate and Path(candidate).exists():
            return candidate
    return None


def daemon_running(env: dict[str, str] | None = None) -> bool:
    """Whether an ibus-daemon answers on this session (`ibus address` names a live bus)."""
    if not shutil.which("ibus"):
        return False
    try:
        done = subprocess.run(["ibus", "address"], env=env, capture_output=True, text=True,
                              timeout=3, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    address = done.stdout.strip()
    return done.returncode == 0 and bool(address) and address != "(null)"


FRONT_WAIT_S = 1.5  # `begin` -> the engine has the focused field: milliseconds where measured
SELECT_WAIT_S = 2.5  # the engine waits 0.5 s for the client's text, after the switch


@dataclass(frozen=True)
class Front:
    """The field a dictation's `begin` found focused: the input context's client name
    ("gtk3-im:gedit", "gnome-shell", "fake") and the field's input purpose."""

    client: str = ""
    field: bool = False
    purpose: int = 0


@dataclass(frozen=True)
class Selected:
    """The focused field's selected text ("" when none); `offered`: the field sent its text;
    `field`: a field that takes text had the focus (a `replace` commits there)."""

    text: str = ""
    offered: bool = False
    client: str = ""
    field: bool = False


class IBusSession:
    """One engine process for the app's lifetime. `on_event(dict)` runs on a reader thread."""

    def __init__(
        self, on_event: Callable[[dict[str, Any]], None], memory: Path | None = None
    ) -> None:
        self.on_event = on_event
        # Where the user's engine is remembered: the state folder, beside the log.
        self.memory = memory if memory is not None else paths.state_dir() / "ibus-engine"
        self.proc: subprocess.Popen[str] | None = None
        self.ready = threading.Event()
        self.problem = ""
        self.user = ""  # the user's engine, as last seen
        self.restored = threading.Event()  # the engine put the user's engine back at its exit
        self._env: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._answers = threading.Condition()  # the answers to `front` and `select`
        self._asked = 0  # the id of the last question
        self._open = {"front": 0, "selected": 0}  # the question each answer kind waits for
        self._answer: dict[str, dict[str, Any]] = {}

    def start(self, timeout: float = 10, env: dict[str, str] | None = None) -> str | None:
        """Starts and registers the engine; returns None, or why the input method is unusable."""
        python = system_python()
        if python is None:
            return "no system python3 to run the input method engine"
        self._env = env
        self.proc = subprocess.Popen(
            [python, str(ENGINE)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read, args=(self.proc.stdout,), name="ibus-engine",
                         daemon=True).start()  # fmt: skip
        if not self.ready.wait(timeout):
            self.stop()
            return self.problem or "the input method engine did not start"
        return None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.ready.is_set()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            name = event.get("event")
            if name == "ready":
                self._users_engine(str(event.get("previous", "")), at_start=True)
                self.ready.set()
            elif name == "begun":
                self._users_engine(str(event.get("previous", "")))
            elif name == "restored" and event.get("ok") and event.get("at") != "start":
                self.restored.set()
            elif name == "unavailable":
                self.problem = str(event.get("why", "the input method is unavailable"))
            elif name in ("front", "selected", "replaced"):
                self._answered(str(name), event)
            self.on_event(event)
        was_ready = self.ready.is_set()
        self.ready.clear()
        with self._answers:
            self._answers.notify_all()  # no answer comes any more
        if was_ready and not self.restored.is_set():
            self.restore()
        self.on_event({"event": "exited"})

    def _users_engine(self, name: str, *, at_start: bool = False) -> None:
        """Remembers the user's engine; at start, when none (or Dictate's) is active, the one
        remembered is put back (the engine does it: `user`)."""
        if name and name != NAME:
            self.user = name
            if self._remembered() != name:
                with contextlib.suppress(OSError):
                    self.memory.parent.mkdir(parents=True, exist_ok=True)
                    self.memory.write_text(name + "\n")
        elif at_start:
            self.user = self._remembered()
            if self.user:
                self.send("user", self.user)

    def _remembered(self) -> str:
        try:
            return self.memory.read_text().strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def restore(self) -> bool:
        """Puts the user's engine back after the engine process died without doing it."""
        python = system_python()
        if not self.user or python is None:
            return False
        try:
            command = [python, str(ENGINE), "--restore", self.user]
            done = subprocess.run(command, env=self._env, capture_output=True, text=True,
                                  timeout=15, check=False)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return False
        if done.returncode == 0:
            self.restored.set()
        return done.returncode == 0

    def send(self, op: str, text: str = "") -> bool:
        """Sends one command; False when the engine is gone. `begin` asks which field is in
        front (`front()` takes the answer), `select` for the selected text; `end` closes both
        questions (an answer that comes later is dropped)."""
        command: dict[str, object] = {"op": op, "text": text}
        with self._lock:
            if self.proc is None or self.proc.stdin is None or self.proc.poll() is not None:
                return False
            with self._answers:
                if op in ("begin", "select", "replace", "end"):
                    self._asked += 1
                    kind = {"begin": "front", "select": "selected", "replace": "replaced"}
                    self._open = dict.fromkeys(("front", "selected", "replaced"), 0)
                    if op in kind:
                        self._open[kind[op]] = command["id"] = self._asked
                        self._answer.pop(kind[op], None)
                    self._answers.notify_all()
            try:
                self.proc.stdin.write(json.dumps(command) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return False
        return True

    def _answered(self, kind: str, event: dict[str, Any]) -> None:
        with self._answers:
            wanted = self._open.get(kind, 0)
            if wanted and event.get("id", wanted) == wanted:
                self._answer[kind] = event
                self._answers.notify_all()

    def _wait(self, kind: str, timeout: float) -> dict[str, Any] | None:
        """The answer to the open question of this kind, None when none came in time (or
        the question was closed: `end`, another `begin`)."""
        with self._answers:
            wanted = self._open.get(kind, 0)
            if not wanted:
                return None
            self._answers.wait_for(
                lambda: kind in self._answer or self._open.get(kind) != wanted or not self.alive,
                timeout,
            )
            if self._open.get(kind) != wanted:
                return None
            return self._answer.get(kind)

    def front(self, timeout: float = FRONT_WAIT_S) -> Front | None:
        """Blocking: the field the last `begin` found focused; None when the engine did not
        say in time (a client that never focuses) or the dictation ended first."""
        found = self._wait("front", timeout)
        if found is None:
            return None
        return Front(str(found.get("client", "")), bool(found.get("field")),
                     int(found.get("purpose", 0) or 0))  # fmt: skip

    def select(self, timeout: float = SELECT_WAIT_S) -> Selected | None:
        """Blocking: sends `select` and returns the focused field's selected text; None when
        the engine is gone or did not answer in time. Dictate's engine stays active until
        `end` (a good answer is committed over the selection first: `replace`)."""
        if not self.send("select"):
            return None
        found = self._wait("selected", timeout)
        if found is None:
            return None
        return Selected(str(found.get("text", "")), bool(found.get("offered")),
                        str(found.get("client", "")), bool(found.get("field")))  # fmt: skip

    def replace(self, text: str, timeout: float = SELECT_WAIT_S) -> bool:
        """Blocking: commits `text` over the selection the last `select` found; whether a
        field took it."""
        if not self.send("replace", text):
            return False
        found = self._wait("replaced", timeout)
        return bool(found and found.get("ok"))

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        self.send("quit")
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        deadline = time.monotonic() + 6
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # pacing: the engine puts the user's engine back, then exits
        if proc.poll() is None:
            proc.kill()
            proc.wait(3)
        self.proc = None
