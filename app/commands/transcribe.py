"""`dictate transcribe FILE`: stream a recording through the realtime protocol.

The text goes through the user's words (`core.text`: vocabulary, rules, spoken commands,
fillers) exactly as in the app, with the app's settings unless flags override them. On a
terminal the live text rewrites one line while it streams; the final text is printed at the
end (a "scratch that" may still remove what came before, so nothing is printed early).
`--json` prints every event as a JSON line instead, and a last `Final` event with the text.
`--cleanup [STYLE]` cleans the final text with a language model (`commands.cleanup_args`);
when the cleanup cannot be used the text as heard is printed and the reason goes to stderr.
Errors print one clear sentence and exit non-zero (codes in `app.core.errors`; 2 for a
file that cannot be read, 8 when a recording read to its end holds no speech). The file is
decoded while it is sent, a block at a time, and the client keeps only the audio not yet
answered (`ClientConfig.return_audio`), so memory does not grow with its length.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
from typing import TYPE_CHECKING, TextIO

from app.backends import BACKENDS
from app.commands import cleanup_args
from app.core.words import RulesError, Words, parse_rules, parse_vocabulary, vocabulary_prompt
from app.dictation import cleanup
from app.dictation.finalize import finalize
from app.dictation.live import LiveText
from app.realtime.events import (
    ClientEvent,
    Fatal,
    SegmentCompleted,
    TextChanged,
)

NO_SPEECH = 8  # the recording was read to its end and the engine heard no words in it

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from app.backends import Backend
    from app.realtime.client import RealtimeClient
    from app.realtime.events import DictationResult


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
    words = p.add_argument_group("your words (default: the app's settings)")
    words.add_argument(
        "--vocabulary", metavar='"A, B"', help="names and terms to recognize (replaces the list)"
    )
    words.add_argument(
        "--rules", metavar="FILE", help="replacements file: 'spoken words = written text'"
    )
    words.add_argument("--no-commands", action="store_true", help="no spoken commands")
    words.add_argument("--keep-fillers", action="store_true", help="keep um, uh and stutters")
    cleanup_args.add_arguments(p)


def words_from(args: argparse.Namespace, command: str) -> Words | int:
    """The app's settings with the command line's overrides, or an exit code (said why)."""
    from app import paths
    from app.storage import settings as settings_store

    words = settings_store.load(paths.config_dir()).words()
    changes: dict[str, object] = {}
    if args.vocabulary is not None:
        changes["vocabulary"] = tuple(parse_vocabulary(args.vocabulary))
    if args.rules:
        try:
            with open(args.rules, encoding="utf-8") as f:
                changes["rules"] = tuple(parse_rules(f.read()))
        except (OSError, RulesError) as exc:
            note(f"dictate {command}: {args.rules}: {exc}")
            return 2
    if args.no_commands:
        changes["commands"] = False
    if args.keep_fillers:
        changes["remove_fillers"] = False
    return dataclasses.replace(words, **changes)  # type: ignore[arg-type]


class Printer:
    """Renders client events on a terminal, a pipe, or as JSON lines: the live line from the
    dictation's `LiveText`, the final text from `finalize()`, as in the app. `on_fatal` is
    called when the client gives up (a file stops sending then, instead of waiting on it)."""

    def __init__(
        self,
        out: TextIO,
        *,
        as_json: bool,
        live: bool,
        words: Words,
        cleaning: cleanup.CleanupOptions | None = None,
    ) -> None:
        self.out, self.as_json, self.live, self.words = out, as_json, live, words
        self.cleaning = cleaning
        self.on_fatal: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._partial_shown = False
        self._text = LiveText(words)

    def __call__(self, event: ClientEvent) -> None:
        if isinstance(event, Fatal):
            self.on_fatal()
        with self._lock:
            if isinstance(event, SegmentCompleted):
                self._text.settle(event.text)
            if self.as_json:
                self._json(event)
            elif isinstance(event, TextChanged) and self.live:
                self._text.hear(event.live)
                final, live = self._text.shown()
                shown = " ".join(f"{final} {live}".split())
                width = 100
                text = shown if len(shown) < width else "…" + shown[-width:]
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

    def finish(self, result: DictationResult) -> str:
        """Print the final text (after the user's words) and return it."""
        final = finalize(result.segments, self.words, cleanup.steps(self.cleaning))
        text = final.text
        if final.note:
            note(f"warning: {final.note}; the text as heard is printed")
        with self._lock:
            self._clear_partial()
            if self.as_json:
                data = {"event": "Final", "text": text, "raw": final.raw,
                        "rendered": final.rendered, "cleaned": final.cleaned,
                        "note": final.note}  # fmt: skip
                self.out.write(json.dumps(data) + "\n")
            elif text:
                self.out.write(text + "\n")
            self.out.flush()
        return text


def note(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def open_client(
    args: argparse.Namespace, command: str, *, return_audio: bool = True
) -> tuple[Backend, RealtimeClient, Printer] | int:
    """The backend the arguments ask for and a client for it, or an exit code (said why).
    `return_audio=False` for a file: the client lets confirmed audio go (ClientConfig)."""
    from app.backends import choose_backend, realtime_client

    words = words_from(args, command)
    if isinstance(words, int):
        return words
    vocabulary = vocabulary_prompt(words.vocabulary)
    if vocabulary.note:
        note(f"warning: {vocabulary.note}")
    try:
        backend = choose_backend(args.backend, url=args.url, model=args.model,
                                 api_key=args.api_key)  # fmt: skip
    except ValueError as exc:
        note(f"dictate {command}: {exc}")
        return 2
    try:
        config = backend.client_config(language=args.language, prompt=vocabulary.prompt or None,
                                       return_audio=return_audio)  # fmt: skip
    except (RuntimeError, TimeoutError) as exc:
        backend.close()
        note(f"dictate {command}: {exc}")
        return 6
    note(f"backend: {backend.describe()}")
    printer = Printer(sys.stdout, as_json=args.json, live=sys.stdout.isatty(), words=words,
                      cleaning=cleanup_args.cleanup_from(args))  # fmt: skip
    return backend, realtime_client(config, printer), printer


def run(args: argparse.Namespace) -> int:
    from app.audio.files import AudioFileError, open_audio

    try:
        audio = open_audio(args.file)
    except AudioFileError as exc:
        note(f"dictate transcribe: {exc}")
        return 2
    try:
        opened = open_client(args, "transcribe", return_audio=False)  # the file has it
        if isinstance(opened, int):
            return opened
        return transcribe(args, audio.blocks, *opened)
    finally:
        audio.close()


def transcribe(
    args: argparse.Namespace,
    blocks: Iterator[bytes],
    backend: Backend,
    client: RealtimeClient,
    printer: Printer,
) -> int:
    """Stream the blocks as they are decoded, print the text; the exit code says how it went."""
    from app.audio.files import FileSource
    from app.backends import stream_source

    try:
        source = FileSource(blocks, realtime=args.pace == "realtime")
        printer.on_fatal = source.stop
        result = stream_source(client, source)
        printer.finish(result)
        if result.error is not None:
            note(f"dictate transcribe: {result.error}")
            return result.error.exit_code
        if source.error is not None:
            note(f"dictate transcribe: {source.error}")
            return 2
        if source.stalled:
            note(
                f"dictate transcribe: the connection stopped taking audio after "
                f"{clock(source.seconds)}; the text is of the audio before that"
            )
            return 5
        if not result.segments:
            what = "stdin" if args.file == "-" else args.file
            length = clock(source.seconds)
            note(f"dictate transcribe: no speech found in {what} ({length} of audio)")
            return NO_SPEECH
        return 0
    finally:
        backend.close()


def clock(seconds: float) -> str:
    """1:05:09, 2:03 or 0:04: a length as people read it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
