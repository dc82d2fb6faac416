"""`dictate devices`: list microphones; `--test [NAME]` shows a live level meter."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import TYPE_CHECKING

from app.core.errors import AudioInputError

if TYPE_CHECKING:
    from app.audio.levels import Level

METER_WIDTH = 40


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("devices", help="list microphones, or test one with a level meter")
    p.add_argument(
        "--test",
        nargs="?",
        const="",
        metavar="NAME",
        help="show a live level meter for NAME (default: the default input)",
    )
    p.add_argument("--seconds", type=float, default=5.0, help="how long --test runs")
    p.set_defaults(run=run)


def meter_line(level: Level) -> str:
    from app.audio.levels import FLOOR_DB

    filled = round((max(level.rms_db, FLOOR_DB / 2) - FLOOR_DB / 2) / (-FLOOR_DB / 2) * METER_WIDTH)
    bar = "#" * filled + "-" * (METER_WIDTH - filled)
    return f"[{bar}] rms {level.rms_db:6.1f} dBFS  peak {level.peak_db:6.1f} dBFS"


def run(args: argparse.Namespace) -> int:
    from app.audio.devices import list_inputs

    try:
        if args.test is None:
            inputs = list_inputs()
            if not inputs:
                print("no microphone found")
                return 1
            for device in inputs:
                print(device.describe())
            return 0
        return level_test(args.test or None, args.seconds)
    except AudioInputError as exc:
        sys.stderr.write(f"dictate devices: {exc}\n")
        return exc.exit_code


def level_test(name: str | None, seconds: float) -> int:
    from app.audio.capture import MicrophoneSource

    tty = sys.stdout.isatty()
    lock = threading.Lock()

    def show(level: Level) -> None:
        with lock:
            line = meter_line(level)
            sys.stdout.write(("\r\033[K" + line) if tty else line + "\n")
            sys.stdout.flush()

    def warn(message: str) -> None:
        with lock:
            sys.stderr.write(("\n" if tty else "") + f"warning: {message}\n")

    source = MicrophoneSource(name, on_level=show, on_warning=warn)
    source.start(lambda _frame: None)
    assert source.device is not None
    sys.stderr.write(
        f"testing {source.device.name} at {source.rate:.0f} Hz, {source.channels} ch\n"
    )
    with contextlib.suppress(KeyboardInterrupt):
        source.wait(seconds)
    source.stop()
    if tty:
        sys.stdout.write("\n")
    if source.cold_start_s is not None:
        sys.stderr.write(f"first audio {source.cold_start_s * 1000:.0f} ms after opening\n")
    if source.error is not None:
        sys.stderr.write(f"dictate devices: {source.error}\n")
        return source.error.exit_code
    return 0
