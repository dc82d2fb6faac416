"""Drives the real app the way a user does, many dictations in a row, and measures it.

The app runs as its own process (`python -m app`) on a real X server (Xvfb), records from
the PulseAudio virtual microphone and transcribes with the embedded engine; each dictation
is `dictate ptt start`, a spoken phrase, `dictate ptt stop`, exactly what a desktop shortcut
runs. After each stop the driver waits for the new history row and for the same text on the
X clipboard (read by `xclip`, another client, as a paste would). What the app says about
itself (engine ready, the interpreter's singletons, each delivery) is read from its log, as
`dictate --log-level info` writes it (`tests.app_log`). The soak test asserts on what this
returns; `bench/soak.py` prints it as a table.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.app_log import AppLog, log_path
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic

# Phrases tiny.en hears the same way through the virtual microphone every time: the soak is
# about the app staying up and delivering, not about the model ("fox" comes back as "round-
# fark stump" or "silver-valazy dog" depending on a few milliseconds of the recording).
PHRASES = ("thanks", "weather", "meeting")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Dictation:
    phrase: str
    text: str
    delivered_s: float  # `dictate ptt stop` returned -> history row and clipboard both there
    rss_mb: float


@dataclass
class SoakResult:
    dictations: list[Dictation] = field(default_factory=list)
    singletons_start: dict[str, int] = field(default_factory=dict)
    singletons_exit: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    stderr: str = ""
    log: str = ""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _singletons(line: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


class SoakDriver:
    """One app process on one X display with one virtual microphone."""

    def __init__(self, display: str, mic: VirtualMic) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="dictate-soak-"))
        (self.home / "config").mkdir()
        (self.home / "config" / "settings.json").write_text(  # a user who has set it up
            json.dumps({"version": 1, "settings": {"first_run_done": True}})
        )
        self.mic = mic
        self.env = dict(
            os.environ,
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            DICTATE_HOME=str(self.home),
            TOGETHER_API_KEY="",
            XDG_RUNTIME_DIR=str(mic.runtime),
            PYTHONUNBUFFERED="1",
        )
        self.prefix: list[str] = []  # e.g. to run the app as another user
        self.program = [sys.executable, "-m", "app"]  # or an installed `dictate`
        self.result = SoakResult()
        self.proc: subprocess.Popen[str] | None = None
        self.log = AppLog(log_path(self.home), self.alive)
        self._stderr: list[str] = []
        self._readers: list[threading.Thread] = []

    # --- the app process ---------------------------------------------------------------

    def start(self, timeout: float = 120) -> None:
        self.proc = subprocess.Popen(
            [*self.prefix, *self.program, "--log-level", "info"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stream in (self.proc.stdout, self.proc.stderr):
            reader = threading.Thread(target=self._drain, args=(stream,), daemon=True)
            reader.start()
            self._readers.append(reader)
        self.log.wait_line("engine ready", timeout)
        self.result.singletons_start = _singletons(self.log.wait_line("singletons at start", 5))

    def _drain(self, stream: IO[str] | None) -> None:
        """Kept, so that a chatty library never blocks the app on a full pipe."""
        assert stream is not None
        for line in stream:
            self._stderr.append(line)

    def ptt(self, action: str) -> None:
        done = subprocess.run(
            [*self.prefix, *self.program, "ptt", action],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            state = "alive" if self.alive() else f"dead ({self.proc and self.proc.returncode})"
            crash = self.home / "state" / "crash.log"
            raise AssertionError(
                f"dictate ptt {action} failed ({done.returncode}), the app is {state}: "
                f"{done.stderr.strip()}\n{crash.read_text() if crash.exists() else ''}"
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def quit(self, timeout: float = 60) -> None:
        assert self.proc is not None
        self.ptt("quit")
        self.result.exit_code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(10)
        self.log.stop()  # everything the app wrote before it exited is read
        self.result.stderr = "".join(self._stderr)
        with contextlib.suppress(AssertionError):
            self.result.singletons_exit = _singletons(self.log.wait_line("singletons at exit", 0))
        log = log_path(self.home)
        self.result.log = log.read_text() if log.exists() else ""

    # --- one dictation -----------------------------------------------------------------

    def history_count(self) -> int:
        path = self.home / "data" / "history.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT COUNT(*) FROM dictations").fetchone()[0])

    def newest_text(self) -> str:
        path = self.home / "data" / "history.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT text FROM dictations ORDER BY id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""

    def clipboard(self) -> str:
        done = subprocess.run(
            ["xclip", "-o", "-selection", "clipboard"],
            env=self.env, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        return done.stdout if done.returncode == 0 else ""

    def dictate(self, phrase: str, deadline_s: float = 15) -> Dictation:
        """`ptt start`, speak, `ptt stop`; then wait for the history row and the clipboard."""
        assert self.proc is not None
        before = self.history_count()
        self.ptt("start")
        # The microphone opens on the start command; the lead-in silence is what a person
        # leaves before the first word.
        self.mic.play(silence(0.6) + pcm(phrase) + silence(0.3))
        spoken_by = time.monotonic() + 30
        while not self.mic.idle and time.monotonic() < spoken_by:
            time.sleep(0.02)  # pacing: the microphone speaks in real time
        self.ptt("stop")
        stopped = time.monotonic()
        text = ""
        while time.monotonic() - stopped < deadline_s:
            if self.history_count() > before:
                text = self.newest_text()
                if text and self.clipboard() == text:
                    break
            time.sleep(0.01)  # pacing: the app writes the row and the clipboard on its own
        else:
            raise AssertionError(f"dictation of {phrase!r} not delivered in {deadline_s} s")
        delivered = time.monotonic() - stopped
        entry = Dictation(phrase, text, delivered, rss_mb(self.proc.pid))
        self.result.dictations.append(entry)
        return entry

    def cleanup(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)
        self.log.stop()
