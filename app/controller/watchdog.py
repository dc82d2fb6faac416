"""Notices when the GUI thread stops running, and writes where it is to the log.

A heartbeat `QTimer` on the main thread stamps the time every 100 ms; a plain thread checks
the stamp. When the main thread has not run for `threshold_s`, the watchdog logs a warning
with the main thread's Python stack at that moment, once per stall, and how long the stall
lasted when it ends. Users then send it with "Copy diagnostics"; the soak test reads it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)


class StallWatchdog(QObject):
    def __init__(self, threshold_s: float = 1.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold_s = threshold_s
        self.longest_s = 0.0
        self._beat = time.monotonic()
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._heartbeat)
        self._thread = threading.Thread(target=self._watch, name="gui-watchdog", daemon=True)

    def start(self) -> None:
        self._beat = time.monotonic()
        self._timer.start()
        self._thread.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    @Slot()
    def _heartbeat(self) -> None:
        self._beat = time.monotonic()

    def _watch(self) -> None:
        stalled_since: float | None = None
        while not self._stop.wait(0.2):
            beat = self._beat
            silent = time.monotonic() - beat
            if silent >= self.threshold_s and stalled_since != beat:
                stalled_since = beat
                frame = sys._current_frames().get(self._main or 0)
                where = "".join(traceback.format_stack(frame)) if frame else "(no stack)"
                log.warning("the GUI thread has not run for %.1f s; it is at:\n%s", silent, where)
            elif stalled_since is not None and beat != stalled_since:
                lasted = beat - stalled_since
                self.longest_s = max(self.longest_s, lasted)
                log.warning("the GUI thread ran again after %.1f s", lasted)
                stalled_since = None
