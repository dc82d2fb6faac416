"""The app's side of the IBus engine (`engine.py`): starts it, sends it text, hears its events.

The engine runs under the system python3 (which has `gi`; the app's own interpreter may be a
virtual environment or a frozen bundle without it) and talks JSON lines over its stdin and
stdout. Qt-free: events arrive on a reader thread and are handed to `on_event`, which the
caller marshals to its own thread.

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
            self.on_event(event)
        was_ready = self.ready.is_set()
        self.ready.clear()
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
        """Sends one command; False when the engine is gone."""
        with self._lock:
            if self.proc is None or self.proc.stdin is None or self.proc.poll() is not None:
                return False
            try:
                self.proc.stdin.write(json.dumps({"op": op, "text": text}) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return False
        return True

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
