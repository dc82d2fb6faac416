"""One dictation's worker-side life: open the microphone, connect, stream, finish, save.

Plain Python on background threads; it talks to the GUI only through `post`. The microphone
opens first and its frames are held until the client exists, so words spoken while the
engine loads or the connection opens are kept. When the server gives up on the dictation
(a refused key, a server error, a connection that cannot be restored) the microphone goes on
until the user stops, and its frames are held again, after the client's: nothing said is
lost. `finish` always ends with a saved history row: the text when there is one, else all
the audio marked failed with the reason, ready for Retry. The run uses the options taken at
press (`DictationOptions`), and its text is the one `finalize()` makes; so does `retry`.
With cleanup on, `finalize()` runs the language model's cleanup after the user's words
(bounded by its timeout; a terminal target asks for one line), and the history keeps the
raw, the rendered and the cleaned text, and which one was delivered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.backends import Backend, realtime_client, stream_pcm
from app.core.errors import AudioInputError, DictationError
from app.core.notices import Notice
from app.core.text import prepare
from app.core.words import Words, vocabulary_prompt
from app.dictation import cleanup
from app.dictation.finalize import Final, PostProcessor, finalize, finalize_text
from app.dictation.options import DictationOptions
from app.dictation.target import TargetCapture
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent, DictationResult, Fatal
from app.storage.history import History, HistoryError

Connect = Callable[[ClientConfig, Callable[[ClientEvent], None] | None], RealtimeClient]
"""Makes the client for a config (the network: tests give a scripted recognizer)."""


class Source(Protocol):
    def start(self, sink: Callable[[bytes], None]) -> None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class RunEvent:
    """Something a dictation's threads saw, tagged with the dictation's number."""

    number: int
    event: object


@dataclass(frozen=True)
class RunFinished:
    """`final` is the dictation's text from `finalize()`; `result.text` is the client's."""

    number: int
    result: DictationResult
    row: int
    save_error: str
    backend: str
    final: Final

    @property
    def text(self) -> str:
        return self.final.text


@dataclass(frozen=True)
class MicOpened:
    device: str


@dataclass(frozen=True)
class ProfileChosen:
    """The app captured at press chose a profile: these options apply from now on."""

    options: DictationOptions


PROFILE_WAIT_S = 2.0  # a window manager (or input method) silent by then: no profile


@dataclass(frozen=True)
class BackendReady:
    """The local engine finished loading: the status line can name its address."""


class DictationRun:
    def __init__(
        self,
        number: int,
        backend: Backend,
        source_factory: Callable[[], Source],
        post: Callable[[object], None],
        history: History | None,
        options: DictationOptions,
        *,
        connect: Connect = realtime_client,
        target: TargetCapture | None = None,
    ) -> None:
        self.number = number
        self.target = target or TargetCapture()
        self.backend = backend
        self.source_factory = source_factory
        self.post = post
        self.history = history
        self.options = options
        self.words = options.words
        self.connect = connect
        self.started_at = time.time()
        self.opened = threading.Event()
        self.source: Source | None = None
        self.client: RealtimeClient | None = None
        self.error: DictationError | None = None
        self._lock = threading.Lock()
        self._held: list[bytes] = []  # before the client exists, and after it gave up
        self._given_up = False  # the client reported a fatal error: it takes no more audio

    def _tell(self, event: object) -> None:
        self.post(RunEvent(self.number, event))

    def _route(self, frame: bytes) -> None:
        with self._lock:
            if self.client is not None and not self._given_up:
                self.client.send_audio(frame)
            else:
                self._held.append(frame)

    def open(self) -> None:
        """Background: microphone first, then the backend and the connection."""
        try:
            self.source = self.source_factory()
            self.source.start(self._route)
            self._tell(MicOpened(getattr(getattr(self.source, "device", None), "name", "")))
            self._choose_profile()
            prepare(self.words)
            if self.options.cleanup is not None:
                cleanup.prepare()
            self.backend.wait_ready()
            config = self.backend.client_config(
                language=self.options.language,
                turn_detection=self.options.turn_detection,
                prompt=vocabulary_prompt(self.words.vocabulary).prompt or None,
            )
            client = self.connect(config, self._on_client_event)
            client.start()
            with self._lock:
                if not self._given_up:  # else the held frames stay here, in order
                    for frame in self._held:
                        client.send_audio(frame)
                    self._held.clear()
                self.client = client
        except AudioInputError as exc:
            self.error = exc
            self._tell(exc)
        except (RuntimeError, TimeoutError) as exc:
            self.error = DictationError(f"the local engine is not available: {exc}")
            self._tell(self.error)
        finally:
            self.opened.set()

    def _choose_profile(self) -> None:
        """The app captured at press (waited for here, off the GUI thread) may choose a
        profile: its language and vocabulary go to the recognizer, its words to the text."""
        chosen = self.options.for_target(self.target.result(PROFILE_WAIT_S))
        if chosen is not self.options:
            self.options, self.words = chosen, chosen.words
            self._tell(ProfileChosen(chosen))

    def _on_client_event(self, event: ClientEvent) -> None:
        """The client's thread: after a fatal error the microphone's frames stay here."""
        if isinstance(event, Fatal):
            with self._lock:
                self._given_up = True
        self._tell(event)

    def finish(self) -> RunFinished:
        """Background: drain the microphone, get the final text, save it."""
        self.opened.wait(180)
        if self.source is not None:
            self.source.stop()
            source_error = getattr(self.source, "error", None)
            if source_error is not None and self.error is None:
                self.error = source_error
            dropped = getattr(self.source, "dropped_blocks", 0)
            if dropped:
                self.post(Notice(f"{dropped} audio block(s) were dropped: the computer was busy"))
        if self.client is not None:
            result = self.client.finish()
        else:
            result = DictationResult("", (), b"", self.error, 0, 0)
        with self._lock:  # what came after the client gave up (or before it existed)
            held = b"".join(self._held)
            self._held.clear()
        error = result.error or self.error
        if held or error is not result.error:
            result = DictationResult(
                result.text, result.segments, result.audio + held, error,
                result.reconnects, result.dropped_frames,
            )  # fmt: skip
        final = finalize(result.segments, self.words, self.post_processors())
        row, save_error = self._save(result, final)
        return RunFinished(self.number, result, row, save_error, self.backend.describe(), final)

    def post_processors(self) -> list[PostProcessor]:
        """After the user's words: the cleanup, when on (and not turned off by the app's
        profile; one line for a terminal or a one-line profile)."""
        if self.options.cleanup is None or self.options.command:
            return []  # off; or command mode's instruction, which the editor reads as said
        one_line = self.options.words.one_line or self.target.result(PROFILE_WAIT_S).terminal
        return list(cleanup.steps(self.options.cleanup, one_line=one_line))

    def _save(self, result: DictationResult, final: Final) -> tuple[int, str]:
        if self.history is None or (not result.text and not result.audio):
            return 0, ""
        failed = result.error is not None
        keep = failed or self.options.keep_audio
        try:
            row = self.history.add(
                final.text,
                raw=final.raw,
                rendered=final.rendered,
                cleaned=final.cleaned,
                note=final.note,
                started_at=self.started_at,
                duration_s=len(result.audio) / 32000,
                backend=self.backend.name,
                model=self.backend.model,
                status="failed" if failed else "ok",
                error=str(result.error) if failed else "",
                audio=result.audio if keep else None,
            )
        except HistoryError as exc:
            return 0, str(exc)
        return row, ""


@dataclass(frozen=True)
class Retried:
    """Saved audio transcribed again: the client's result and its final text."""

    result: DictationResult
    final: Final


def retry(
    backend: Backend,
    audio: bytes,
    language: str | None,
    words: Words,
    *,
    connect: Connect = realtime_client,
    post: list[PostProcessor] | None = None,
) -> Retried:
    """Transcribe saved audio again (fast, not paced), with the user's vocabulary; the text
    is `finalize()`'s, as a dictation's. Blocking: call it off the GUI thread."""
    backend.wait_ready()
    prompt = vocabulary_prompt(words.vocabulary).prompt or None
    # The audio is in hand: the client need not keep a copy of it to give back.
    config = backend.client_config(language=language, prompt=prompt, return_audio=False)
    client = connect(config, None)
    result = stream_pcm(client, audio, realtime=False)
    return Retried(result, finalize(result.segments, words, post or ()))


def clean_again(history: History, row: int, options: cleanup.CleanupOptions) -> Final:
    """History's *Clean again*: the row's rendered text through the cleanup once more; the
    new cleaned text (or why not) is kept beside it and becomes the row's text when used.
    Blocking (the network): call it off the GUI thread."""
    found = history.get(row)
    if found is None:
        raise HistoryError("that dictation is no longer in the history")
    final = finalize_text(found.raw, found.rendered or found.text, cleanup.steps(options))
    history.set_cleaned(row, final.cleaned, final.note, deliver=bool(final.cleaned))
    return final
