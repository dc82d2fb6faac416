"""The dictation controller: press/release (or toggle) in, phases and text out.

Lives on the main thread and never waits: opening the microphone, connecting, finishing and
saving run on background threads (`DictationRun`), whose events come back through the
`Bridge` to this object's own callbacks. Only the current dictation's events are applied; a
late event of an earlier one is dropped. Each press starts a `Dictation` (`app.dictation`):
the options taken from the `SettingsSource` at that moment, the target window captured off
this thread, and the one live text; a change saved meanwhile applies from the next press.
When the server fails (a refused key, a server error) the dictation goes on recording until
the user stops it, and says so; its end says the one reason everywhere: the phase's detail,
the banner, the history.
Signals:

- `started(Dictation)`: a dictation begins (before its first phase): delivery takes its
  options, target and live text from it.
- `phase_changed(Phase phase, str detail)`: detail names the backend.
- `text_changed(str final, str live)`: the current dictation's settled text and partial,
  both after the user's words, from its one live text (`app.dictation.live`).
- `level_changed(float rms_dbfs)`
- `problem(str message, Fix fix)`: what went wrong, and what fixes it.
- `notice(Notice)` / `notice_ended(str topic)`: a warning that needs no action, and the end
  of its condition (the microphone delivers sound again...).
- `finished(str text, int row)`: the final text and its history row.
- `retried(int row, str text, str error)`
- `auto_stopped(float seconds)`: a hands-free dictation stopped itself after silence.
- `history_changed()`: saved dictations were rendered again.
- `profile_chosen(DictationOptions)`: the app at press chose a profile; its options apply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.audio.levels import Level
from app.backends import Backend, realtime_client
from app.controller.bridge import Bridge
from app.core.errors import AudioInputError, AuthError, DictationError
from app.core.notices import (
    FAILED,
    MICROPHONE_FALLBACK,
    MICROPHONE_SILENT,
    RECONNECTING,
    Notice,
    NoticeEnded,
)
from app.core.phases import Phase, allowed, recording
from app.core.words import vocabulary_prompt
from app.dictation.cleanup import steps
from app.dictation.dictation import Dictation
from app.dictation.finalize import Final, finalize_raw
from app.dictation.options import DictationOptions, cleanup_of
from app.dictation.run import (
    BackendReady,
    Connect,
    DictationRun,
    MicOpened,
    ProfileChosen,
    RunEvent,
    RunFinished,
    Source,
    clean_again,
    retry,
)
from app.dictation.target import Target, TargetCapture
from app.realtime.events import DictationResult, Fatal, SegmentCompleted, Status, TextChanged
from app.storage.history import History
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource

RetryOutcome = tuple[int, DictationResult | None, str]


class DictationController(QObject):
    started = Signal(object)
    phase_changed = Signal(object, str)
    text_changed = Signal(str, str)
    level_changed = Signal(float)
    problem = Signal(str, object)
    notice = Signal(object)
    notice_ended = Signal(str)
    finished = Signal(str, int)
    retried = Signal(int, str, str)
    auto_stopped = Signal(float)
    history_changed = Signal()
    profile_chosen = Signal(object)

    def __init__(
        self,
        bridge: Bridge,
        backend: Backend,
        source_factory: Callable[[], Source] | None,
        history: History | None,
        settings: SettingsSource,
        sounds: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.backend = backend
        self.source_factory: Callable[[], Source] = source_factory or _no_source
        self.history = history
        self.source = settings
        self._play = sounds or (lambda _name: None)
        self.phase = Phase.IDLE
        self.last_failed_row = 0
        self.failed_backend = ""  # the backend of that dictation: whose key "Set API key" sets
        self._number = 0
        self._run: DictationRun | None = None
        self._finishing: threading.Thread | None = None
        self.dictation = Dictation(0)  # the current (or last) one
        # Finds the window the user is typing in (blocking; run off this thread at press).
        self.find_target: Callable[[], Target] | None = None
        self.open_client: Connect = realtime_client  # the recognizer's client (tests: scripted)
        self._hands_free = False  # started by toggle: may stop itself after silence
        self._failing = False  # the server gave up: recording goes on until the user stops
        self._last_speech = 0.0
        self._silence = QTimer(self)  # the hands-free auto-stop
        self._silence.setSingleShot(True)
        self._silence.timeout.connect(self._check_silence)
        # What the microphone and the worker threads report, queued to this thread.
        self.device_event: Callable[[object], None] = bridge.callback(self._on_device_event)
        self._run_event: Callable[[object], None] = bridge.callback(self._on_run_payload)

    @property
    def settings(self) -> Settings:
        """The settings in force now (the source's), read at each use."""
        return self.source.current

    # --- intents (main thread) ---------------------------------------------------------

    @Slot()
    def press(self) -> None:
        self.start(hands_free=False)

    def start(self, *, hands_free: bool, command: bool = False) -> None:
        """A dictation (hands-free: it may stop itself); `command`: command mode's."""
        if recording(self.phase) or self.phase == Phase.FINISHING:
            return
        self._number += 1
        options = DictationOptions.snapshot(self.source).for_command(command)
        target = TargetCapture(self.find_target) if self.find_target else TargetCapture()
        self.dictation = Dictation.start(self._number, options, target)
        self._hands_free = hands_free
        self._failing = False
        note = vocabulary_prompt(options.words.vocabulary).note
        if note:
            self.notice.emit(Notice(note))
        self._run = DictationRun(self._number, self.backend, self.source_factory,
                                 self._run_event, self.history, options,
                                 connect=self.open_client, target=target)  # fmt: skip
        self.started.emit(self.dictation)
        self.text_changed.emit("", "")
        ready = self.backend.engine is None or bool(self.backend.url)
        self._move(Phase.CONNECTING if ready else Phase.LOADING)
        self._sound("start")
        self.bridge.run(self._run.open, name="open")

    @Slot()
    def release(self) -> None:
        if not recording(self.phase) or self._run is None:
            return
        self._silence.stop()
        self._move(Phase.FINISHING)
        self._sound("stop")
        number = self._number
        self._finishing = self.bridge.run(
            self._run.finish,
            self._finished,
            lambda exc: self._finish_failed(number, exc),
            name="finish",
        )

    @Slot()
    def toggle(self) -> None:
        if recording(self.phase):
            self.release()
        else:
            self.start(hands_free=True)

    def wait_finished(self, timeout: float) -> None:
        """At shutdown: let a dictation that is finishing save its text and audio."""
        if self._finishing is not None:
            self._finishing.join(timeout)

    @Slot(int)
    def retry(self, row: int) -> None:
        """Transcribe a saved dictation's audio again, with the current backend."""
        if self.history is None:
            return
        history, backend, connect = self.history, self.backend, self.open_client
        options = DictationOptions.snapshot(self.source)

        def work() -> RetryOutcome:
            audio = history.audio(row)
            if not audio:
                return row, None, ""
            done = retry(backend, audio, options.language, options.words, connect=connect,
                         post=list(steps(options.cleanup)))  # fmt: skip
            if done.result.error is None:
                final = done.final
                history.update(row, final.text, backend=backend.name, model=backend.model,
                               raw=final.raw, rendered=final.rendered, cleaned=final.cleaned,
                               note=final.note)  # fmt: skip
            return row, done.result, done.final.text

        self.bridge.run(
            work, self._on_retried, lambda exc: self.retried.emit(row, "", str(exc)), name="retry"
        )

    @Slot(int)
    def clean_again(self, row: int) -> None:
        """History's *Clean again*, with the cleanup set in Settings (even while it is off)."""
        if self.history is None:
            return
        history, options = self.history, cleanup_of(replace(self.settings, cleanup=True))
        if options is None:
            self.notice.emit(Notice("choose a cleanup style other than verbatim first"))
            return

        def done(final: Final) -> None:
            self.notice.emit(Notice(final.note or "cleaned again: the cleaned text is in use"))
            self.history_changed.emit()

        self.bridge.run(lambda: clean_again(history, row, options), done,
                        lambda exc: self.notice.emit(Notice(f"could not clean again: {exc}")),
                        name="clean-again")  # fmt: skip

    @Slot()
    def rerender_history(self) -> None:
        """After a rule change: every saved dictation rendered again with today's words."""
        if self.history is None:
            return
        history, words = self.history, self.settings.words()

        def rendered(count: int) -> None:
            self.notice.emit(Notice(f"{count} dictation(s) rendered again with your words"))
            self.history_changed.emit()

        self.bridge.run(
            lambda: history.rerender(lambda raw: finalize_raw(raw, words).text),
            rendered,
            lambda exc: self.notice.emit(Notice(f"could not render the history again: {exc}")),
            name="rerender",
        )

    def _sound(self, name: str) -> None:
        if self.settings.sounds:
            self._play(name)

    def _move(self, phase: Phase, detail: str = "") -> None:
        if phase == self.phase or not allowed(self.phase, phase):
            return
        self.phase = phase
        self.phase_changed.emit(phase, detail or self.backend.describe())

    # --- hands-free ----------------------------------------------------------------------

    def _heard(self) -> None:
        """Speech arrived: the silence that stops a hands-free dictation starts again."""
        self._last_speech = time.monotonic()
        limit = self.settings.auto_stop_s
        if self._hands_free and limit > 0 and recording(self.phase) and not self._failing:
            self._silence.start(int(limit * 1000))

    @Slot()
    def _check_silence(self) -> None:
        limit = self.settings.auto_stop_s
        if not (self._hands_free and limit > 0 and recording(self.phase)) or self._failing:
            return
        quiet = time.monotonic() - self._last_speech
        if quiet + 0.05 < limit:  # the limit was raised meanwhile
            self._silence.start(int((limit - quiet) * 1000))
            return
        self.auto_stopped.emit(quiet)
        self.notice.emit(Notice(f"stopped after {limit} s without speech"))
        self.release()

    # --- events from the worker threads (main thread) ----------------------------------

    def _on_device_event(self, payload: object) -> None:
        """The microphone's level and warnings, and the engine's readiness."""
        if isinstance(payload, Level):
            if recording(self.phase):
                self.level_changed.emit(payload.rms_db)
        elif isinstance(payload, Notice):
            self.notice.emit(payload)
        elif isinstance(payload, NoticeEnded):
            self.notice_ended.emit(payload.topic)
        elif isinstance(payload, BackendReady):
            self.notice.emit(Notice(f"{self.backend.describe()} ready"))
            self.phase_changed.emit(self.phase, self.backend.describe())

    def _on_run_payload(self, payload: object) -> None:
        if isinstance(payload, RunEvent):
            if payload.number == self._number:
                self._on_run_event(payload.event)
        else:
            self._on_device_event(payload)

    def _on_run_event(self, event: object) -> None:
        if isinstance(event, MicOpened):
            self._move(Phase.LISTENING)  # audio is captured from now on, connected or not
            self._heard()
            self.notice_ended.emit(MICROPHONE_SILENT)  # a new stream: it says so again if so
            wanted = self.settings.microphone
            if event.device and wanted and event.device != wanted:
                self.notice.emit(Notice(
                    f"microphone '{wanted}' is not connected; using '{event.device}'",
                    MICROPHONE_FALLBACK,
                ))  # fmt: skip
            else:
                self.notice_ended.emit(MICROPHONE_FALLBACK)
        elif isinstance(event, ProfileChosen):  # before any text: the client comes after
            self.dictation = self.dictation.with_options(event.options)
            self.profile_chosen.emit(event.options)
        elif isinstance(event, SegmentCompleted):
            self.dictation.live.settle(event.text)
            self._heard()
        elif isinstance(event, TextChanged):
            if event.live:
                self._heard()
            self.dictation.live.hear(event.live)
            self.text_changed.emit(*self.dictation.live.shown())
        elif isinstance(event, Status):
            if event.state == "reconnecting" and self.phase == Phase.LISTENING:
                self.notice.emit(Notice(f"reconnecting: {event.detail}", RECONNECTING))
            elif event.state == "connected":
                self.notice_ended.emit(RECONNECTING)
        elif isinstance(event, AudioInputError):
            self.release()  # no microphone: nothing more can be recorded
        elif isinstance(event, Fatal | DictationError):
            self._failed_while_recording(event.error if isinstance(event, Fatal) else event)

    def _failed_while_recording(self, error: DictationError) -> None:
        """No more text can come, but the user is still speaking: the microphone goes on
        until they stop, and every word is saved for Retry (no auto-stop: no speech is
        detected without the server)."""
        if self._failing or not recording(self.phase):
            return
        self._failing = True
        self._silence.stop()
        self.notice_ended.emit(RECONNECTING)
        stop = "press again to stop" if self._hands_free else "release to stop"
        self.notice.emit(Notice(
            f"{error} — still recording: {stop}; everything you say is saved for Retry",
            FAILED,
        ))  # fmt: skip

    def _on_retried(self, outcome: RetryOutcome) -> None:
        row, result, text = outcome
        if result is None:
            self.retried.emit(row, "", "no audio saved for this dictation")
        elif result.error is not None:
            self.retried.emit(row, "", str(result.error))
        else:
            self.retried.emit(row, text, "")
            if row == self.last_failed_row:
                self.last_failed_row = 0

    def _finish_failed(self, number: int, exc: BaseException) -> None:
        if number != self._number:
            return
        self.notice_ended.emit(FAILED)
        error = DictationError(f"the dictation could not finish: {exc}")
        self._show_problem(error)
        self._move(Phase.ERROR, str(error))

    def _finished(self, done: RunFinished) -> None:
        if done.number != self._number:
            return
        result = done.result
        self.notice_ended.emit(FAILED)
        self.text_changed.emit(done.text, "")
        if result.error is not None:
            self.last_failed_row = done.row
            self.failed_backend = self._run.backend.name if self._run else self.backend.name
            self._show_problem(result.error, saved=done.row > 0 and bool(result.audio))
            self._move(Phase.ERROR, str(result.error))  # the same reason as the history's
        else:
            self._move(Phase.IDLE)
        if done.save_error:
            self.notice.emit(Notice(done.save_error))
        self.finished.emit(done.text, done.row)

    def _show_problem(self, error: DictationError, *, saved: bool = False) -> None:
        message = str(error)
        if saved and isinstance(error, AuthError):
            message += " — the audio is saved: set the key, then Retry transcribes it"
        elif saved:
            message += " — the audio is saved; Retry transcribes it again"
        self.problem.emit(message, error.action)


def _no_source() -> Source:
    raise RuntimeError("no microphone source was set up")
