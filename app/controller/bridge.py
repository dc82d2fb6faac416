"""The one crossing from worker threads onto the Qt main thread.

Each background result goes to the caller that asked for it, typed, on the main thread:
`run(fn, on_done, on_error)` runs `fn` on a daemon thread and calls `on_done(result)` (or
`on_error(exc)`) on the main thread, like Anki's `taskman.run_in_background(on_done=...)`.
`callback(fn)` turns a main-thread function into one a worker may call with a value (levels,
a dictation's events): the call is queued to the main thread's event loop, because the bridge
lives there and its signal is emitted from the worker's thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

T = TypeVar("T")
log = logging.getLogger(__name__)


def _log_error(name: str, exc: BaseException) -> None:
    log.warning("background task %s failed: %s", name, exc, exc_info=exc)


class Bridge(QObject):
    _call = Signal(object)  # a Callable[[], None] to run on the main thread

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(self._on_call)

    def call_soon(self, fn: Callable[[], None]) -> None:
        """From any thread: run `fn` on the main thread's event loop. After the app has shut
        down (the bridge is gone) a late worker's result has nobody to go to: dropped."""
        try:
            self._call.emit(fn)
        except RuntimeError as exc:  # "Signal source has been deleted"
            log.debug("a result arrived after shutdown: %s", exc)

    def callback(self, fn: Callable[[T], None]) -> Callable[[T], None]:
        """A thread-safe stand-in for `fn`: each call runs `fn(value)` on the main thread."""
        return lambda value: self.call_soon(partial(fn, value))

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str,
    ) -> threading.Thread:
        """Run `fn` off the main thread; its result (or error) goes to this call's own
        `on_done` (or `on_error`, else the log), on the main thread."""

        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:
                self.call_soon(partial(on_error or partial(_log_error, name), exc))
            else:
                if on_done is not None:
                    self.call_soon(partial(on_done, result))

        thread = threading.Thread(target=work, name=f"task-{name}", daemon=True)
        thread.start()
        return thread

    @Slot(object)
    def _on_call(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except RuntimeError as exc:
            if "already deleted" not in str(exc):
                raise
            # The window or dialog this result was for was closed meanwhile: nobody to tell.
            log.debug("a background result arrived after its receiver was gone: %s", exc)
