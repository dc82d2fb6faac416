"""The dictation controller: press/release (or toggle) in, phases and text out.

Lives on the main thread and never waits: opening the microphone, connecting, finishing and
saving run on background threads (`DictationRun`), whose events come back through the
`Bridge`. Only the current dictation's events are applied; a late event of an earlier one is
dropped. Signals:

- `phase_changed(str phase, str detail)`: idle, loading model, connecting, listening,
  finishing, error; detail names the backend.
- `text_changed(str final, str live)`: the current dictation's settled text and partial,
  both after the user's words (`core.text`), so what is shown is what will be delivered.
- `level_changed(float rms_dbfs)`
- `problem(str message, str action)`: what went wrong, and the button that fixes it.
- `notice(str message)`: a warning that needs no action (microphone fallback...).
- `finished(str text, int row)`: the final text (also on the clipboard) and its history row.
- `retried(int row, str text, str error)`
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.audio.levels import Level
from app.backends import Backend
from app.controller.bridge import Bridge, TaskDone
from app.controller.run import (
    BackendReady,
    DictationRun,
    MicOpened,
    Notice,
    RunEvent,
    RunFinished,
    Source,
    retry_transcription,
)
from app.core.errors import AuthError, DictationError
from app.core.phases import Phase, allowed, recording
from app.core.text import raw_text, render, render_live, segments_of
from app.core.words import Words, vocabulary_prompt
from app.realtime.events import DictationResult, Fatal, SegmentCompleted, Status, TextChanged
from app.realtime.protocol import TurnDetection
from app.storage.history import History
from app.storage.settings import Settings


class DictationController(QObject):
    phase_changed = Signal(str, str)
    text_changed = Signal(str, str)
    level_changed = Signal(float)
    problem = Signal(str, str)
    notice = Signal(str)
    finished = Signal(str, int)
    retried = Signal(int, str, str)

    def __init__(
        self,
        bridge: Bridge,
        backend: Backend,
        source_factory: Callable[[], Source],
        history: History | None,
        settings: Settings,
        sounds: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.backend = backend
        self.source_factory = source_factory
        self.history = history
        self.settings = settings
        self._play = sounds or (lambda _name: None)
        self.phase = Phase.IDLE
        self.last_failed_row = 0
        self._number = 0
        self._run: DictationRun | None = None
        self._finishing: threading.Thread | None = None
        self._words = Words()  # the current dictation's, taken from the settings at press
        self._segments: list[str] = []
        bridge.posted.connect(self._on_posted)

    # --- intents (main thread) ---------------------------------------------------------

    @Slot()
    def press(self) -> None:
        if recording(self.phase) or self.phase == Phase.FINISHING:
            return
        self._number += 1
        td = self._turn_detection()
        self._words = self.settings.words()
        self._segments = []
        note = vocabulary_prompt(self._words.vocabulary).note
        if note:
            self.notice.emit(note)
        self._run = DictationRun(
            self._number,
            self.backend,
            self.source_factory,
            self.bridge.post,
            self.history,
            language=self.settings.language or None,
            turn_detection=td,
            keep_audio=self.settings.history_audio,
            words=self._words,
        )
        self.text_changed.emit("", "")
        ready = self.backend.engine is None or bool(self.backend.url)
        self._move(Phase.CONNECTING if ready else Phase.LOADING)
        self._sound("start")
        self.bridge.run_in_background("open", self._run.open)

    @Slot()
    def release(self) -> None:
        if not recording(self.phase) or self._run is None:
            return
        self._move(Phase.FINISHING)
        self._sound("stop")
        self._finishing = self.bridge.run_in_background("finish", self._run.finish)

    @Slot()
    def toggle(self) -> None:
        if recording(self.phase):
            self.release()
        else:
            self.press()

    def wait_finished(self, timeout: float) -> None:
        """At shutdown: let a dictation that is finishing save its text and audio."""
        if self._finishing is not None:
            self._finishing.join(timeout)

    @Slot(int)
    def retry(self, row: int) -> None:
        """Transcribe a saved dictation's audio again, with the current backend."""
        if self.history is None:
            return
        history, backend, language = self.history, self.backend, self.settings.language
        words = self.settings.words()

        def work() -> tuple[int, DictationResult | None, str]:
            audio = history.audio(row)
            if not audio:
                return row, None, ""
            result = retry_transcription(backend, audio, language or None, words)
            text = render(result.segments, words)
            if result.error is None:
                history.update(row, text, backend=backend.name, model=backend.model,
                               raw=raw_text(result.segments))  # fmt: skip
            return row, result, text

        self.bridge.run_in_background("retry", work)

    @Slot()
    def rerender_history(self) -> None:
        """After a rule change: every saved dictation rendered again with today's words."""
        if self.history is None:
            return
        history, words = self.history, self.settings.words()
        self.bridge.run_in_background(
            "rerender", lambda: history.rerender(lambda raw: render(segments_of(raw), words))
        )

    def _sound(self, name: str) -> None:
        if self.settings.sounds:  # read each time: the settings dialog may switch it
            self._play(name)

    def _turn_detection(self) -> TurnDetection:
        s = self.settings
        return TurnDetection(
            threshold=s.vad_threshold,
            min_silence_duration_ms=s.vad_min_silence_ms,
            speech_pad_ms=s.vad_speech_pad_ms,
        )

    def _move(self, phase: Phase, detail: str = "") -> None:
        if phase == self.phase or not allowed(self.phase, phase):
            return
        self.phase = phase
        self.phase_changed.emit(phase.value, detail or self.backend.describe())

    # --- events from the worker threads (main thread) ----------------------------------

    @Slot(object)
    def _on_posted(self, payload: object) -> None:
        if isinstance(payload, RunEvent):
            if payload.number == self._number:
                self._on_run_event(payload.event)
        elif isinstance(payload, TaskDone):
            self._on_task_done(payload)
        elif isinstance(payload, Level):
            if recording(self.phase):
                self.level_changed.emit(payload.rms_db)
        elif isinstance(payload, Notice):
            self.notice.emit(payload.message)
        elif isinstance(payload, BackendReady):
            self.notice.emit(f"{self.backend.describe()} ready")
            self.phase_changed.emit(self.phase.value, self.backend.describe())

    def _on_run_event(self, event: object) -> None:
        if isinstance(event, MicOpened):
            self._move(Phase.LISTENING)  # audio is captured from now on, connected or not
            if (
                event.device
                and self.settings.microphone
                and event.device != self.settings.microphone
            ):
                self.notice.emit(
                    f"microphone '{self.settings.microphone}' is not connected; "
                    f"using '{event.device}'"
                )
        elif isinstance(event, SegmentCompleted):
            self._segments.append(event.text)
        elif isinstance(event, TextChanged):
            self.text_changed.emit(*render_live(self._segments, event.live, self._words))
        elif isinstance(event, Status):
            if event.state == "reconnecting" and self.phase == Phase.LISTENING:
                self.notice.emit(f"reconnecting: {event.detail}")
        elif isinstance(event, Fatal | DictationError):
            # Nothing more can be heard: stop now, so the audio is saved and the error shown.
            self.release()

    def _on_task_done(self, done: TaskDone) -> None:
        if done.tag == "finish" and isinstance(done.result, RunFinished):
            self._finished(done.result)
        elif done.tag == "finish" and done.error is not None:
            self._show_problem(DictationError(f"the dictation could not finish: {done.error}"))
            self._move(Phase.ERROR)
        elif done.tag == "rerender":
            if done.error is not None:
                self.notice.emit(f"could not render the history again: {done.error}")
            else:
                self.notice.emit(f"{done.result} dictation(s) rendered again with your words")
        elif done.tag == "retry":
            row, result, text = done.result if done.error is None else (0, None, "")
            if result is None:
                self.retried.emit(row, "", "no audio saved for this dictation")
            elif result.error is not None:
                self.retried.emit(row, "", str(result.error))
            else:
                self.retried.emit(row, text, "")
                if row == self.last_failed_row:
                    self.last_failed_row = 0

    def _finished(self, done: RunFinished) -> None:
        if done.number != self._number:
            return
        result = done.result
        self.text_changed.emit(done.text, "")
        if result.error is not None:
            self.last_failed_row = done.row
            self._show_problem(result.error, saved=done.row > 0 and bool(result.audio))
            self._move(Phase.ERROR, str(result.error))
        else:
            self._move(Phase.IDLE)
        if done.save_error:
            self.notice.emit(done.save_error)
        self.finished.emit(done.text, done.row)

    def _show_problem(self, error: DictationError, *, saved: bool = False) -> None:
        action = error.action
        if isinstance(error, AuthError):
            action = "Set API key..."
        message = str(error)
        if saved:
            message += " — the audio is saved; Retry transcribes it again"
        self.problem.emit(message, action)
