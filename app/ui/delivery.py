"""Delivers the dictation into the app the user is typing in, on the GUI thread's terms.

The Qt side of `app.delivery`: follows the controller's phases and text; with the input method
the live words are the preedit at the caret and each settled segment is committed as it
settles; with the other methods the final text is delivered once, off the GUI thread, or in
continuous mode each settled sentence as it settles (in order, on one delivery thread). What
goes out is the dictation's own (`app.dictation`, handed over by `on_started`): its options
taken at press, the window captured at press, and what its live text says is new since the
last delivery (appended, never a diff of two renderings). Every
delivery ends in an `Outcome`, reported through `delivered` (shown as a notice and in the
overlay) and, for the tests and benchmarks, printed when DICTATE_STARTUP_REPORT is set.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication

from app.core.phases import Phase, recording
from app.delivery import chain, xtest
from app.delivery.chain import Environment, Outcome
from app.delivery.ibus import IBusSession
from app.dictation import target
from app.dictation.dictation import Dictation
from app.dictation.options import DictationOptions
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource


@dataclass(frozen=True)
class _Closing:
    text: str
    committed: str
    cancelled: bool
    vanished: bool
    target: xtest.Window | None
    failure: str = ""


class Delivery(QObject):
    delivered = Signal(object)  # Outcome
    cancel_requested = Signal()  # Escape at the caret during a dictation
    method_changed = Signal(str)
    _engine_event = Signal(object)
    _copy = Signal(str)
    _ibus_started = Signal(str)

    def __init__(self, settings: SettingsSource, env: Environment | None = None) -> None:
        super().__init__()
        self.source = settings
        self.env = env or Environment.detect()
        self.session: IBusSession | None = None
        self.method = self._choose()
        self.active = False  # a dictation is under way
        self.ime = False  # ...and goes through the input method
        self.target: xtest.Window | None = None
        self.committed = ""
        self.cancelled = False
        self.dictation = Dictation(0)  # the current one: options, target, live text
        self._next: Dictation | None = None  # handed over at press, taken at the first phase
        self._final = ""
        self._failure = ""  # why this dictation failed (the controller's error phase)
        self._vanished = False
        self._closing: _Closing | None = None  # a finished dictation awaiting the engine's end
        self._report = bool(os.environ.get("DICTATE_STARTUP_REPORT"))
        self._engine_event.connect(self._on_engine_event)
        self._copy.connect(self._set_clipboard)
        self._ibus_started.connect(self._on_ibus_started)
        self._serial = ThreadPoolExecutor(1, thread_name_prefix="deliver")  # pieces in order
        self._started = False
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
        self.session = session
        threading.Thread(
            target=lambda: self._ibus_started.emit(session.start() or ""), daemon=True
        ).start()

    @Slot(str)
    def _on_ibus_started(self, problem: str) -> None:
        if problem:
            self.session = None
            self.env = Environment(**{**self.env.__dict__, "ibus": False})
            self.method = self._choose()
        self._announce(problem)

    def _announce(self, problem: str = "") -> None:
        self.method_changed.emit(self.method)
        if self._report:
            print(f"delivery method: {self.method} {problem}".strip(), flush=True)

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session = None
        self._serial.shutdown(wait=True)
        self.active = False  # what still arrives from the controller is not delivered

    @Slot(object)
    def _on_engine_event(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name == "escape" and self.ime and not self.cancelled:
            self.cancelled = True
            self.session and self.session.send("preedit", "")
            self.cancel_requested.emit()
        elif name == "ended":
            self._ime_ended(str(event.get("undelivered", "")))
        elif name == "exited" and self._closing is not None:
            # The engine died before it said what it did.
            self._ime_ended(self._closing.text, "the input method stopped: ")

    # --- the controller's signals ----------------------------------------------------------

    @Slot(object)
    def on_started(self, dictation: Dictation) -> None:
        """The controller's dictation, before its first phase."""
        self._next = dictation

    def find_target(self) -> target.Target:
        """Blocking: the window the user is typing in now (run at press, off this thread)."""
        return target.capture(self.env.x11)

    @Slot(object, str)
    def on_phase(self, phase: Phase, detail: str) -> None:
        if recording(Phase(phase)) and not self.active:
            self._begin()
        elif phase == Phase.ERROR and self.active:
            self._failure = detail  # said as the status line says it, not "nothing heard"

    def _begin(self) -> None:
        self.active, self.cancelled, self._final = True, False, ""
        self._failure = ""
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
            without = Environment(**{**self.env.__dict__, "ibus": False})
            self.method = chain.choose(options.delivery, without,
                                       prefer_paste=options.prefer_paste)  # fmt: skip
        # Everything that talks to X or to the engine process runs on the delivery thread, in
        # the order it was asked for: the GUI thread never waits on xdotool or a pipe.
        self._serial.submit(self._open_target, self.ime, dictation.target)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until the delivery thread has done what was asked so far (tests, benchmarks)."""
        self._serial.submit(lambda: None).result(timeout)

    def _open_target(self, ime: bool, found: target.TargetCapture) -> None:
        """Delivery thread: this dictation's state, and the window it types into (captured
        at press; Dictate's own window is none: the text shows there already)."""
        self.committed, self._vanished = "", False
        self.target = found.result().typing_window
        if ime and self.session is not None:
            self.session.send("begin")

    @Slot(str, str)
    def on_text(self, final: str, live: str) -> None:
        if not self.active or self.cancelled:
            return
        if not self.ime:
            if self._continuous():
                self._deliver_settled()
            return
        if self.dictation.options.hold_commits:  # cleanup: all preedit, one commit at the end
            self._serial.submit(self._ime_text, "", " ".join(f"{final} {live}".split()))
            return
        self._serial.submit(self._ime_text, self.dictation.live.take_new(), live)

    def _ime_text(self, new: str, live: str) -> None:
        """Delivery thread: newly settled words committed at the caret, the rest as preedit."""
        session = self.session
        if session is None or self._vanished or self.cancelled:
            return
        if new:
            if self.target is not None and not xtest.window_exists(self.target):
                self._vanished = True  # commits from now on would land in another window
                session.send("preedit", "")
                return
            self._stamp("segment committed")  # before: the entry may have it before the print
            session.send("commit", new)
            self.committed += new
        session.send("preedit", live)

    def _continuous(self) -> bool:
        options = self.dictation.options
        return (options.continuous and not options.hold_commits
                and self.method in (chain.TYPING, chain.PASTE))  # fmt: skip

    def _deliver_settled(self) -> None:
        """Continuous mode: each newly settled piece goes out now, after the ones before it."""
        piece = self.dictation.live.take_new()
        if not piece:
            return
        restore = self.dictation.options.restore
        self._stamp("segment committed")
        self._serial.submit(self._deliver_piece, self.method, piece, restore)

    def _deliver_piece(self, method: str, piece: str, restore: bool) -> None:
        """Delivery thread; a piece that could not be typed is reported (and copied)."""
        outcome = chain.deliver(method, piece, self.target, self._copy.emit, restore=restore)
        if not outcome.delivered:
            self._done(outcome)

    @Slot(str, int)
    def on_finished(self, text: str, _row: int) -> None:
        if not self.active:
            return
        self.active = False
        self._final = text
        self._stamp("final text")
        options, rest = self.dictation.options, self.dictation.live.rest(text)
        if options.auto_copy and text:
            self._set_clipboard(text)
        if self.ime and self.session is not None:
            self.ime = False
            self._serial.submit(self._ime_finish, text, rest, self.cancelled, self._failure)
        elif self._failure and not text:
            self._done(Outcome(self.method, False, f"failed: {self._failure}"))
        elif self.cancelled or not text:
            self._done(Outcome(self.method, False, "cancelled" if text else "nothing heard"))
        else:
            self._serial.submit(self._deliver_final, self.method, text, rest, options.restore)

    def _deliver_final(self, method: str, text: str, rest: str, restore: bool) -> None:
        """Delivery thread: the whole text, or in continuous mode the part not yet sent."""
        target = self.target
        if target is None and method in (chain.TYPING, chain.PASTE):
            method = chain.CLIPBOARD
        rest = rest if method != chain.CLIPBOARD else text
        if not rest:
            self._done(Outcome(method, True, f"delivered as you spoke ({method})"))
            return
        self._done(chain.deliver(method, rest, target, self._copy.emit, restore=restore))

    def _ime_finish(self, text: str, rest: str, cancelled: bool, failure: str = "") -> None:
        """Delivery thread: the rest of the text committed and the user's engine back; the
        outcome comes with the engine's `ended` (in order after every commit), judged on this
        dictation's state."""
        session = self.session
        if session is None:
            return
        if not cancelled and not self._vanished and self.target is not None:
            self._vanished = not xtest.window_exists(self.target)
        if cancelled or self._vanished:
            rest = ""
        self._closing = _Closing(text, self.committed + rest, cancelled, self._vanished,
                                 self.target, failure)  # fmt: skip
        sent = session.send("preedit", "")
        if rest:
            sent = sent and session.send("commit", rest)
        if not (sent and session.send("end")):  # the engine process is gone
            self._ime_ended(rest or text, "the input method stopped: ")

    def _ime_ended(self, undelivered: str, why: str = "no text field had the focus: ") -> None:
        closing, self._closing = self._closing, None
        if closing is None:
            return
        text, target = closing.text, closing.target
        if closing.cancelled:
            done = "the words before it stay typed" if closing.committed else "nothing typed"
            self._done(Outcome(chain.INPUT_METHOD, False, f"cancelled: {done}"))
        elif closing.vanished and target is not None:
            self._done(chain.copied(f"{target.label} closed: ", self._copy.emit, text))
        elif undelivered:
            self._done(chain.copied(why, self._copy.emit, text))
        elif text:
            where = f"into {target.label}" if target is not None else "at the caret"
            self._done(Outcome(chain.INPUT_METHOD, True, f"typed {where}"))
        elif closing.failure:
            self._done(Outcome(chain.INPUT_METHOD, False, f"failed: {closing.failure}"))
        else:
            self._done(Outcome(chain.INPUT_METHOD, False, "nothing heard"))

    def _stamp(self, what: str) -> None:
        if self._report:  # for bench/delivery.py: the same clock as the target app's
            print(f"{what} @{time.monotonic():.6f}", flush=True)

    def _done(self, outcome: Outcome) -> None:
        """From any thread: reports the outcome (the signal is queued to the GUI thread)."""
        if self._report:
            stamp = f"{time.monotonic():.6f}"
            print(f"delivered: {outcome.delivered} {outcome.method} @{stamp} {outcome.message}",
                  flush=True)  # fmt: skip
        self.delivered.emit(outcome)

    @Slot(str)
    def _set_clipboard(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
