"""The one crossing from worker threads onto the Qt main thread.

Workers call `post(payload)` with an immutable payload; the signal is emitted from their
thread and, because the bridge lives on the main thread, Qt queues it to the main thread's
event loop. Receivers are `@Slot` methods of main-thread objects, never lambdas.
`run_in_background` runs a function on a daemon thread and posts its result (or error).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class TaskDone:
    """A background task's outcome, delivered on the main thread."""

    tag: str
    result: Any
    error: BaseException | None


class Bridge(QObject):
    """Signals: `posted(object)` carries every payload to the main thread."""

    posted = Signal(object)

    def post(self, payload: object) -> None:
        self.posted.emit(payload)

    def run_in_background(self, tag: str, fn: Callable[[], Any]) -> threading.Thread:
        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:
                self.post(TaskDone(tag, None, exc))
            else:
                self.post(TaskDone(tag, result, None))

        thread = threading.Thread(target=work, name=f"task-{tag}", daemon=True)
        thread.start()
        return thread
