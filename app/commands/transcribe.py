"""`dictate transcribe FILE`: stream a recording through the realtime protocol.

On a terminal the live partial rewrites one line and each final segment gets its own;
`--json` prints every event as a JSON line instead. Errors print one clear sentence and
exit non-zero (codes in `app.core.errors`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
from typing import TYPE_CHECKING, TextIO

from app.backends import BACKENDS
from app.realtime.events import (
    ClientEvent,
    Fatal,
    SegmentCompleted,
    TextChanged,
)

if TYPE_CHECKING:
    from app.backends import Backend
    from app.realtime.client import RealtimeClient


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "transcribe",
        help="transcribe a recording through the realtime protocol",
        description="Stream FILE (WAV, FLAC, MP3...; '-' reads raw 16 kHz mono s16le from "
        "stdin) to the backend and print the transcript.",
    )
    p.add_argument("file")
    add_backend_arguments(p)
    p.add_argument(
        "--pace",
        choices=("realtime", "fast"),
        default="fast",
        help="send at real time (like a microphone) or as fast as possible",
    )
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.set_defaults(run=run)


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend", choices=BACKENDS, help="default: together with a key, else the local engine"
    )
    p.add_argument("--url", help="a server speaking the protocol (implies --backend custom)")
    p.add_argument("--model", help="model id (default depends on the backend)")
    p.add_argument("--language", help="ISO-639-1 code, e.g. en")
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help=(
            "the key the server wants (a team's `dictate serve --token`); default: "
            "$DICTATE_API_KEY or the key saved in Settings for a custom server, and "
            "$TOGETHER_API_KEY or the saved Together key for Together. Prefer the "
            "environment: a command line is visible to other users"
        ),
    )


class Printer:
    """Renders client events on a terminal, a pipe, or as JSON lines."""

    def __init__(self, out: TextIO, *, as_json: bool, live: bool) -> None:
        self.out, self.as_json, self.live = out, as_json, live
        self._lock = threading.Lock()
        self._partial_shown = False

    def __call__(self, event: ClientEvent) -> None:
        with self._lock:
            if self.as_json:
                self._json(event)
            elif isinstance(event, SegmentCompleted):
                self._clear_partial()
                self.out.write(event.text + "\n")
            elif isinstance(event, TextChanged) and self.live and event.live:
                width = 100
                text = event.live if len(event.live) < width else "…" + event.live[-width:]
                self.out.write("\r\033[K" + text)
                self._partial_shown = True
            self.out.flush()

    def _clear_partial(self) -> None:
        if self._partial_shown:
            self.out.write("\r\033[K")
            self._partial_shown = False

    def _json(self, event: ClientEvent) -> None:
        if isinstance(event, Fatal):
            data = {
                "event": "error",
                "message": str(event.error),
                "kind": type(event.error).__name__,
            }
        else:
            data = {"event": type(event).__name__, **dataclasses.asdict(event)}
        self.out.write(json.dumps(data) + "\n")

    def finish(self) -> None:
        with self._lock:
            self._clear_partial()
            self.out.flush()


def note(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def open_client(
    args: argparse.Namespace, command: str
) -> tuple[Backend, RealtimeClient, Printer] | int:
    """The backend the arguments ask for and a client for it, or an exit code (said why)."""
    from app.backends import choose_backend
    from app.realtime.client import RealtimeClient

    try:
        backend = choose_backend(args.backend, url=args.url, model=args.model,
                                 api_key=args.api_key)  # fmt: skip
    except ValueError as exc:
        note(f"dictate {command}: {exc}")
        return 2
    try:
        config = backend.client_config(language=args.language)
    except (RuntimeError, TimeoutError) as exc:
        backend.close()
        note(f"dictate {command}: {exc}")
        return 6
    note(f"backend: {backend.describe()}")
    printer = Printer(sys.stdout, as_json=args.json, live=sys.stdout.isatty())
    return backend, RealtimeClient(config, printer), printer


def run(args: argparse.Namespace) -> int:
    from app.audio.files import AudioFileError, read_pcm16k
    from app.backends import stream_pcm

    try:
        pcm = read_pcm16k(args.file)
    except AudioFileError as exc:
        note(f"dictate transcribe: {exc}")
        return 2
    opened = open_client(args, "transcribe")
    if isinstance(opened, int):
        return opened
    backend, client, printer = opened
    try:
        result = stream_pcm(client, pcm, realtime=args.pace == "realtime")
        printer.finish()
        if result.error is not None:
            note(f"dictate transcribe: {result.error}")
            return result.error.exit_code
        return 0
    finally:
        backend.close()
