"""Follows a running app's log (`dictate --log-level info`): the app's progress lines, as the
benchmarks and the process-level tests observe it (the window shown, the engine ready, each
delivery's method and outcome, the overlay shown and hidden, the interpreter's singletons).

A reader thread follows `dictate.log` as the app writes it (and again from its start when it
rotates) and keeps each line's message; `wait_line` waits on a condition with a deadline.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# "2026-01-02 10:11:12,345 INFO MainThread app.main: engine ready" -> "engine ready"
_LINE = re.compile(r"^\S+ \S+ [A-Z]+ .*? app(?:\.\w+)*: (.*)$")
POLL_S = 0.02  # how often the reader looks for what the app wrote since


def proc_alive(proc: subprocess.Popen[Any]) -> Callable[[], bool]:
    """`AppLog`'s `alive` for an app process: waiting ends early when it exits."""
    return lambda: proc.poll() is None


def log_path(home: Path) -> Path:
    """The log of an app started with DICTATE_HOME=`home`."""
    return home / "state" / "dictate.log"


class AppLog:
    def __init__(self, path: Path, alive: Callable[[], bool] = lambda: True) -> None:
        self.path, self.alive = path, alive
        self._lines: list[str] = []
        self._seen = threading.Condition()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._follow, name="app-log", daemon=True)
        self._reader.start()

    @property
    def lines(self) -> list[str]:
        """Every message so far, oldest first."""
        with self._seen:
            return list(self._lines)

    def wait_line(self, prefix: str, timeout: float) -> str:
        """The newest message that starts with `prefix`, once there is one."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                found = [line for line in self._lines if line.startswith(prefix)]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.alive():
                    raise AssertionError(f"the app never logged {prefix!r}: {self._lines}")
                self._seen.wait(min(remaining, 0.5))

    def stop(self) -> None:
        """Reads what is left (the app has exited) and stops following."""
        self._stop.set()
        self._reader.join(10)

    def _follow(self) -> None:
        inode, offset, partial = -1, 0, ""
        while True:
            stopping = self._stop.is_set()
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                stat = None
            if stat is not None:
                if stat.st_ino != inode or stat.st_size < offset:  # new, or rotated
                    inode, offset, partial = stat.st_ino, 0, ""
                if stat.st_size > offset:
                    with self.path.open("rb") as f:
                        f.seek(offset)
                        chunk = f.read()
                    offset += len(chunk)
                    *whole, partial = (partial + chunk.decode("utf-8", "replace")).split("\n")
                    self._add(whole)
            if stopping:
                return
            self._stop.wait(POLL_S)  # pacing: a file gives no event to wait on

    def _add(self, lines: list[str]) -> None:
        messages = [m.group(1) for line in lines if (m := _LINE.match(line))]
        with self._seen:
            self._lines.extend(messages)
            self._seen.notify_all()
