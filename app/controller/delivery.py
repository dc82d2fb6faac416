"""Delivers the dictation into the app the user is typing in, on the GUI thread's terms.

The Qt side of `app.delivery`: follows the controller's phases and text; with the input method
the live words are the preedit at the caret and each settled segment is committed as it
settles; with the other methods the final text is delivered once, off the GUI thread, or in
continuous mode each settled sentence as it settles (in order, on one delivery thread that
`DeliveryWorker` owns with all the state it touches). What goes out is the dictation's own
(`app.dictation`, handed over by `on_started`): its options taken at press, the window
captured at press, and what its live text says is new since the last delivery (appended,
never a diff of two renderings). Every delivery ends in an `Outcome`, reported through
`delivered` (shown as a notice and in the overlay) and logged at INFO.

Where the text goes is decided once per dictation, when it starts, and said with `routed`:
the overlay shows the live words only when they are not at the caret already. It learns that
from this signal, never from which part happened to handle the phase change first.

Signals: `delivered(Outcome)`; `cancel_requested()` (Escape at the caret during a dictation);
`routed(str method, bool at_caret)` when a dictation starts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication

from app.controller.delivery_worker import DeliveryWorker, EngineSession, said, stamp
from app.core.phases import Phase, recording
from app.delivery import chain
from app.delivery.chain import Environment, Outcome
from app.delivery.ibus import IBusSession
from app.dictation import target
from app.dictation.dictation import Dictation
from app.dictation.options import DictationOptions
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource

log = logging.getLogger(__name__)


class Delivery(QObject):
    """Signals: `delivered(object Outcome)`, `cancel_requested()`,
    `routed(str method, bool at_caret)`."""

    delivered = Signal(object)  # Outcome
    cancel_requested = Signal()  # Escape at the caret during a dictation
    routed = Signal(str, bool)  # this dictation's method; are its live words at the caret?
    _engine_event = Signal(object)
    _copy = Signal(str)
    _ibus_started = Signal(str)

    def __init__(self, settings: SettingsSource, env: Environment | None = None) -> None:
        super().__init__()
        self.source = settings
        self.env = env or Environment.detect()
        self.session: EngineSession | None = None  # the input method's engine process
        self._ibus: IBusSession | None = None  # ...when this object started it
        self.method = self._choose()
        # This dictation, on the GUI thread only (the delivery thread's is the worker's):
        self.active = False  # a dictation is under way
        self.ime = False  # ...and goes through the input method
        self.cancelled = False
        self.dictation = Dictation(0)  # the current one: options, target, live text
        self._next: Dictation | None = None  # handed over at press, taken at the first phase
        self._instruction = False  # the current dictation is command mode's instruction
        self._failure = ""  # why this dictation failed (the controller's error phase)
        self._committed = False  # the input method committed some of this dictation's words
        self._started = False
        self._stopped = False
        self._engine_event.connect(self._on_engine_event)
        self._copy.connect(self._set_clipboard)
        self._ibus_started.connect(self._on_ibus_started)
        self.worker = DeliveryWorker(self.delivered.emit, self._copy.emit)
        settings.subscribe(self._reconsider, "delivery", "auto_paste")

    @property
    def settings(self) -> Settings:
        return self.source.current

    def _reconsider(self, _settings: Settings) -> None:
        """Another method chosen in Settings: it applies from the next dictation, and the
        input method's engine starts now if the new choice may use it."""
        if self.active:
            return
        self.method = self._choose()
        if self._started and self.session is None:
            self.start()
        else:
            self._announce()

    def _choose(self) -> str:
        return chain.choose(self.settings.delivery, self.env, prefer_paste=self.settings.auto_paste)

    # --- the input method's engine process -------------------------------------------------

    def start(self) -> None:
        """Starts the input method engine when the chain may use it (in the background)."""
        self._started = True
        if not self.env.ibus or self.method != chain.INPUT_METHOD:
            self._announce()
            return
        session = IBusSession(self._engine_event.emit)
        self.session = self._ibus = session
        threading.Thread(
            target=lambda: self._ibus_started.emit(session.start() or ""), daemon=True
        ).start()

    @property
    def input_method(self) -> IBusSession | None:
        """The engine process this object started (command mode reads selections with it)."""
        return self._ibus

    @Slot(str)
    def _on_ibus_started(self, problem: str) -> None:
        if problem:
            self.session = self._ibus = None
            self.env = replace(self.env, ibus=False)
            self.method = self._choose()
        self._announce(problem)

    def _announce(self, problem: str = "") -> None:
        log.info("%s", f"delivery method: {self.method} {problem}".strip())

    def stop(self) -> None:
        self.active = False  # what still arrives from the controller is not delivered
        if self._ibus is not None:
            self._ibus.stop()
        self.session = self._ibus = None
        self.worker.shutdown()
        self._stopped = True  # the engine's last events (ended, exited) are not judged

    @Slot(object)
    def _on_engine_event(self, event: dict[str, Any]) -> None:
        if self._stopped:
            return
        name = event.get("event")
        if name == "escape" and self.ime and not self.cancelled:
            self.cancelled = True
            self.worker.cancel()
            self.cancel_requested.emit()
        elif name == "ended":
            refused = str(event.get("refused", ""))
            self.worker.engine_ended(str(event.get("undelivered", "")), refused, self.env)
        elif name == "exited":
            self.worker.engine_exited()

    # --- the controller's signals ----------------------------------------------------------

    @Slot(object)
    def on_started(self, dictation: Dictation) -> None:
        """The controller's dictation, before its first phase."""
        self._next = dictation
        self._instruction = dictation.options.command  # command mode: nothing delivered

    def find_target(self) -> target.Target:
        """Blocking: the window the user is typing in now (run at press, off this thread)."""
        return target.capture(self.env.x11)

    @Slot(object, str)
    def on_phase(self, phase: Phase, detail: str) -> None:
        if self._instruction:
            return  # an instruction for command mode (app.controller.command_mode)
        if recording(Phase(phase)) and not self.active:
            self._begin()
        elif phase == Phase.ERROR and self.active:
            self._failure = detail  # said as the status line says it, not "nothing heard"

    def _begin(self) -> None:
        self.active, self.cancelled = True, False
        self._failure, self._committed = "", False
        dictation, self._next = self._next, None
        if dictation is None:  # driven without a controller: the settings now, found now
            options = DictationOptions.snapshot(self.source)
            dictation = Dictation.start(0, options, target.TargetCapture(self.find_target))
        self.dictation = dictation
        options = dictation.options
        self.method = chain.choose(options.delivery, self.env, prefer_paste=options.prefer_paste)
        session = self.session
        self.ime = self.method == chain.INPUT_METHOD and session is not None and session.alive
        if self.method == chain.INPUT_METHOD and not self.ime:  # the engine is not (yet) there
            self.method = self._without_input_method(options)
        if self.ime:  # the engine says which field is in front (the target on Wayland)
            dictation.target.expect_input_method()
        self.worker.begin(session if self.ime else None, dictation.target)
        self.routed.emit(self.method, self.ime)

    @Slot(object)
    def on_profile(self, options: DictationOptions) -> None:
        """The app in front chose a per-app profile (before any text): its options from now
        on, and its delivery method. A profile that names another method than the input
        method takes the dictation from it while nothing is committed yet (the live words
        leave the field, the user's engine comes back); once words are in, it stays."""
        log.info("profile: %s", options.profile)
        if not self.active or self._instruction:
            return
        self.dictation = replace(self.dictation, options=options)
        others = options.delivery not in (chain.AUTO, chain.INPUT_METHOD)
        if self.ime and others and not self._committed:
            self.ime = False
            self.worker.leave_input_method()
        if not self.ime and options.delivery != chain.AUTO:
            self.method = self._without_input_method(options)
            self.routed.emit(self.method, self.ime)

    def _without_input_method(self, options: DictationOptions) -> str:
        """The method `options` ask for where the input method does not carry it."""
        without = replace(self.env, ibus=False)
        return chain.choose(options.delivery, without, prefer_paste=options.prefer_paste)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until the delivery thread has done what was asked so far (tests, benchmarks)."""
        self.worker.flush(timeout)

    @Slot(str, str)
    def on_text(self, final: str, live: str) -> None:
        if not self.active or self.cancelled:
            return
        if self.ime:
            if self.dictation.options.hold_commits:  # cleanup: all preedit, one commit at the end
                self.worker.ime_text("", " ".join(f"{final} {live}".split()))
            else:
                new = self.dictation.live.take_new()
                self._committed = self._committed or bool(new)
                self.worker.ime_text(new, live)
        elif self._continuous():
            self._deliver_settled()

    def _continuous(self) -> bool:
        options = self.dictation.options
        return (options.continuous and not options.hold_commits
                and self.method in (chain.TYPING, chain.PASTE))  # fmt: skip

    def _deliver_settled(self) -> None:
        """Continuous mode: each newly settled piece goes out now, after the ones before it."""
        piece = self.dictation.live.take_new()
        if not piece:
            return
        stamp("segment committed")
        self.worker.piece(self.method, piece, self.dictation.options.restore)

    @Slot(str, int)
    def on_finished(self, text: str, _row: int) -> None:
        if not self.active:
            return
        self.active = False
        stamp("final text")
        options, rest = self.dictation.options, self.dictation.live.rest(text)
        if options.auto_copy and text:
            self._set_clipboard(text)
        if self.ime:
            self.ime = False
            self.worker.ime_finish(text, rest, self.cancelled, self._failure)
        elif self._failure and not text:
            self._done(Outcome(self.method, False, f"failed: {self._failure}"))
        elif self.cancelled or not text:
            self._done(Outcome(self.method, False, "cancelled" if text else "nothing heard"))
        else:
            self.worker.final(self.method, text, rest, options.restore)

    def _done(self, outcome: Outcome) -> None:
        said(outcome)
        self.delivered.emit(outcome)

    @Slot(str)
    def _set_clipboard(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
