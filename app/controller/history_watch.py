"""The history's health on screen: a history that cannot be written is said at start, with
its folder and the reason, and stays said while it lasts; it is tried again every
`RETRY_MS` (and at each dictation, by `History.add`) until the dictations kept in memory are
written, which is said too.

Signals: `notice(Notice)`, `notice_ended(str topic)` (the window's `on_notice` and
`on_notice_ended`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.controller.bridge import Bridge
from app.core.notices import HISTORY_UNWRITABLE, Notice
from app.storage.history import History

RETRY_MS = 30_000


class HistoryWatch(QObject):
    notice = Signal(object)
    notice_ended = Signal(str)

    def __init__(self, history: History, bridge: Bridge) -> None:
        super().__init__()
        self.history, self.bridge = history, bridge
        self.timer = QTimer(self)
        self.timer.setInterval(RETRY_MS)
        self.timer.timeout.connect(self.retry)
        self.shown = ""  # the problem on screen now
        self._trying = False

    @Slot()
    def check(self) -> None:
        """Say the history's problem, or that it is over (at start, after each dictation)."""
        problem = self.history.problem
        if problem:
            if problem != self.shown:
                self.shown = problem
                self.notice.emit(Notice(
                    f"{problem}; your dictations are kept in memory until it can be",
                    HISTORY_UNWRITABLE,
                ))  # fmt: skip
            if not self.timer.isActive():
                self.timer.start()
        elif self.shown:
            self.shown = ""
            self.timer.stop()
            self.notice_ended.emit(HISTORY_UNWRITABLE)
            self.notice.emit(Notice(
                f"the history in {self.history.path.parent} can be written again: "
                "the dictations kept in memory are saved"
            ))  # fmt: skip

    @Slot()
    def retry(self) -> None:
        """Off the GUI thread: reopen the history and write what was kept."""
        if self._trying:
            return
        self._trying = True
        self.bridge.run(self.history.write_pending, self._tried, self._tried, name="history-retry")

    def _tried(self, _outcome: object) -> None:
        self._trying = False
        self.check()

    def stop(self) -> None:
        self.timer.stop()
