"""`dictate listen`: live dictation in the terminal, from the microphone.

On a terminal the live text rewrites one line; the whole transcript, after the user's words
(`core.text`, as in the app), comes at the end. Ctrl-C or `--seconds` stops: the microphone
is drained and the last words committed before anything closes, so nothing said is cut off.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from app.commands.transcribe import add_backend_arguments, note, open_client
from app.core.errors import AudioInputError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("listen", help="dictate from the microphone in the terminal")
    p.add_argument("--device", help="microphone name (see `dictate devices`)")
    p.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    add_backend_arguments(p)
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.audio.capture import MicrophoneSource

    opened = open_client(args, "listen")
    if isinstance(opened, int):
        return opened
    backend, client, printer = opened
    try:
        stopped = threading.Event()
        source = MicrophoneSource(
            args.device,
            on_warning=lambda message: note(f"warning: {message}"),
            on_error=lambda _error: stopped.set(),
        )
        try:
            source.start(client.send_audio)
        except AudioInputError as exc:
            note(f"dictate listen: {exc}")
            return exc.exit_code
        client.start()
        assert source.device is not None
        note(f"listening on {source.device.name} ({source.rate:.0f} Hz); Ctrl-C stops")
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait(args.seconds)
        source.stop()
        result = client.finish()
        printer.finish(result)
        dropped = source.dropped_blocks + result.dropped_frames
        if dropped:
            note(f"warning: {dropped} audio block(s) were dropped (the computer was too busy)")
        error = source.error or result.error
        if error is not None:
            note(f"dictate listen: {error}")
            return error.exit_code
        return 0
    finally:
        backend.close()
