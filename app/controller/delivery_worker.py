"""The delivery thread and the state only it touches, for `controller.delivery.Delivery`.

Everything that talks to X or to the input method's engine process runs here, on one thread,
in the order the GUI thread asked for it: the GUI thread never waits on xdotool or a pipe.
What a dictation's delivery needs to remember while it runs (the window it types into, what
was committed at the caret, whether that window went away, the finished dictation waiting
for the engine's `ended`) belongs to this object and is read and written on its thread
only: the public methods queue work and return at once; the underscored ones run on the
thread. Each delivery ends in an `Outcome` handed to `report` (from this thread).

The progress lines (`segment committed`, `delivered: ...`, with a monotonic clock stamp the
target app's own stamps compare with) go to the log at INFO: `bench/delivery.py` and the
tests read them there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from app.delivery import chain, xtest
from app.delivery.chain import Environment, Outcome
from app.delivery.ibus import Front
from app.dictation.target import TargetCapture

log = logging.getLogger(__name__)


class EngineSession(Protocol):
    """The input method's engine process, as delivery uses it (`app.delivery.ibus.IBusSession`)."""

    @property
    def alive(self) -> bool: ...

    def send(self, op: str, text: str = "") -> bool: ...

    def front(self, timeout: float = ...) -> Front | None: ...


def stamp(what: str) -> None:
    """A progress line with the monotonic clock (the same clock as the target app's)."""
    log.info("%s @%.6f", what, time.monotonic())


def said(outcome: Outcome) -> None:
    log.info("delivered: %s %s @%.6f %s", outcome.delivered, outcome.method, time.monotonic(),
             outcome.message)  # fmt: skip


@dataclass(frozen=True)
class _Closing:
    text: str
    committed: str
    cancelled: bool
    vanished: bool
    target: xtest.Window | None
    failure: str = ""


class DeliveryWorker:
    """No signals: outcomes go to `report` and text for the clipboard to `copy`, both called
    on the delivery thread (`Delivery` passes its queued signals' `emit`)."""

    def __init__(self, report: Callable[[Outcome], None], copy: Callable[[str], None]) -> None:
        self._report, self._copy = report, copy
        self._serial = ThreadPoolExecutor(1, thread_name_prefix="deliver")  # in order
        # The delivery thread's own: written and read there only.
        self._session: EngineSession | None = None
        self._target: xtest.Window | None = None
        self._committed = ""
        self._vanished = False
        self._closing: _Closing | None = None  # a finished dictation awaiting the engine's end

    # --- asked from the GUI thread: queued, in order ---------------------------------------

    def begin(self, session: EngineSession | None, found: TargetCapture) -> None:
        """A dictation starts: the window captured at press (waited for on this thread), and
        the engine told when `session` (the input method carries this dictation) is given."""
        self._serial.submit(self._begin, session, found)

    def ime_text(self, new: str, live: str) -> None:
        """`new`: what settled since the last delivery, committed; `live`: the preedit."""
        self._serial.submit(self._ime_text, new, live)

    def cancel(self) -> None:
        """Escape at the caret: the live words there go."""
        self._serial.submit(self._cancel)

    def leave_input_method(self) -> None:
        """The dictation goes on without the input method (a profile chose another method
        before any word was committed): the live words leave the field, the user's engine
        comes back; the engine's `ended` then finds no dictation waiting for it."""
        self._serial.submit(self._leave_input_method)

    def piece(self, method: str, piece: str, restore: bool) -> None:
        self._serial.submit(self._deliver_piece, method, piece, restore)

    def final(self, method: str, text: str, rest: str, restore: bool) -> None:
        """`text`: the final; `rest`: what of it was not delivered while it settled."""
        self._serial.submit(self._deliver_final, method, text, rest, restore)

    def ime_finish(self, text: str, rest: str, cancelled: bool, failure: str) -> None:
        self._serial.submit(self._ime_finish, text, rest, cancelled, failure)

    def engine_ended(self, undelivered: str, refused: str, env: Environment) -> None:
        """The engine's `ended`: it says what no text field took, and whether the focused
        field refuses dictation (`refused`: "password", "PIN")."""
        self._serial.submit(self._ime_ended, undelivered, "", refused, env)

    def engine_exited(self) -> None:
        """The engine process died: a dictation waiting for its `ended` is judged now."""
        self._serial.submit(self._engine_exited)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until this thread has done what was asked so far (tests, benchmarks)."""
        self._serial.submit(lambda: None).result(timeout)

    def shutdown(self) -> None:
        self._serial.shutdown(wait=True)

    # --- on the delivery thread ------------------------------------------------------------

    def _begin(self, session: EngineSession | None, found: TargetCapture) -> None:
        """`begin` goes first: on Wayland the target is what the engine's focus after it
        says (bounded), and nothing here needs the X window before it."""
        self._session = session
        self._committed, self._vanished = "", False
        if session is not None:
            session.send("begin")
            if found.expects_input_method:
                front = session.front()
                found.input_method(front.client if front else None,
                                   front.purpose if front else 0)  # fmt: skip
        target = found.result()
        log.info("target: %s", target.label)
        self._target = target.typing_window  # none if Dictate's own: shown there

    def _ime_text(self, new: str, live: str) -> None:
        """Newly settled words committed at the caret, the rest as preedit."""
        session = self._session
        if session is None or self._vanished:
            return
        if new:
            if self._target is not None and not xtest.window_exists(self._target):
                self._vanished = True  # commits from now on would land in another window
                session.send("preedit", "")
                return
            stamp("segment committed")  # before: the entry may have it before the log
            session.send("commit", new)
            self._committed += new
        session.send("preedit", live)

    def _leave_input_method(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.send("preedit", "")
            session.send("end")

    def _cancel(self) -> None:
        if self._session is not None:
            self._session.send("preedit", "")

    def _deliver_piece(self, method: str, piece: str, restore: bool) -> None:
        """Continuous mode; a piece that could not be typed is reported (and copied)."""
        outcome = chain.deliver(method, piece, self._target, self._copy, restore=restore)
        if not outcome.delivered:
            self._done(outcome)

    def _deliver_final(self, method: str, text: str, rest: str, restore: bool) -> None:
        """The whole text, or in continuous mode the part not yet sent."""
        target = self._target
        if target is None and method in (chain.TYPING, chain.PASTE):
            method = chain.CLIPBOARD
        rest = rest if method != chain.CLIPBOARD else text
        if not rest:
            self._done(Outcome(method, True, f"delivered as you spoke ({method})"))
            return
        self._done(chain.deliver(method, rest, target, self._copy, restore=restore))

    def _ime_finish(self, text: str, rest: str, cancelled: bool, failure: str) -> None:
        """The rest of the text committed and the user's engine back; the outcome comes with
        the engine's `ended` (in order after every commit), judged on this dictation's state."""
        session = self._session
        if session is None:
            return
        if not cancelled and not self._vanished and self._target is not None:
            self._vanished = not xtest.window_exists(self._target)
        if cancelled or self._vanished:
            rest = ""
        self._closing = _Closing(text, self._committed + rest, cancelled, self._vanished,
                                 self._target, failure)  # fmt: skip
        sent = session.send("preedit", "")
        if rest:
            sent = sent and session.send("commit", rest)
        if not (sent and session.send("end")):  # the engine process is gone
            self._ime_ended(rest or text, "the input method stopped: ")

    def _engine_exited(self) -> None:
        if self._closing is not None:  # the engine died before it said what it did
            self._ime_ended(self._closing.text, "the input method stopped: ")

    def _ime_ended(
        self, undelivered: str, why: str = "", refused: str = "", env: Environment | None = None
    ) -> None:
        """The dictation waiting for the engine's end is judged: what no field took (`env`
        given, the engine said so) is typed where typing works, else copied; `why` says the
        engine is gone."""
        closing, self._closing = self._closing, None
        if closing is None:
            return
        text, target = closing.text, closing.target
        if closing.cancelled:
            done = "the words before it stay typed" if closing.committed else "nothing typed"
            self._done(Outcome(chain.INPUT_METHOD, False, f"cancelled: {done}"))
        elif closing.vanished and target is not None:
            self._done(chain.copied(f"{target.label} closed: ", self._copy, text))
        elif undelivered and not why and env is not None:  # no field took it
            self._done(chain.not_taken(undelivered, env, target, self._copy, refused=refused))
        elif undelivered:
            self._done(chain.copied(why, self._copy, text))
        elif text:
            where = f"into {target.label}" if target is not None else "at the caret"
            self._done(Outcome(chain.INPUT_METHOD, True, f"typed {where}"))
        elif closing.failure:
            self._done(Outcome(chain.INPUT_METHOD, False, f"failed: {closing.failure}"))
        else:
            self._done(Outcome(chain.INPUT_METHOD, False, "nothing heard"))

    def _done(self, outcome: Outcome) -> None:
        said(outcome)
        self._report(outcome)
