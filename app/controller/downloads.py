"""Model downloads for the app: `app.models.download.Pull` on worker threads, reported on
the main thread through the one Bridge, so the picker and the tray can show progress.

A download outlives the settings dialog that started it (this object belongs to the app's
actions), and never touches the engine: the engine keeps serving while bytes arrive.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from app.controller.bridge import Bridge
from app.models.download import DownloadError, Progress, Pull

REPORT_EVERY_S = 0.1  # progress reaches the GUI at most this often (plus the last one)


class ModelDownloads(QObject):
    """Signals: `progress(object Progress)`, `finished(str name, str error)`."""

    progress = Signal(object)
    finished = Signal(str, str)

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge
        self._pulls: dict[str, Pull] = {}
        self._progress = bridge.callback(self._on_progress)

    def running(self, name: str | None = None) -> bool:
        return bool(self._pulls) if name is None else name in self._pulls

    def start(self, name: str) -> None:
        """Start pulling `name` (a catalogue name or org/repo); a second start is ignored."""
        last = [0.0]

        def report(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= REPORT_EVERY_S or p.done >= p.total:
                last[0] = now
                self._progress(p)

        try:
            pull = Pull(name, report)
        except DownloadError as exc:
            self.finished.emit(name, str(exc))
            return
        if pull.name in self._pulls:
            return
        self._pulls[pull.name] = pull

        def failed(exc: BaseException) -> None:  # a bug, too, must end the download in the GUI
            why = str(exc) if isinstance(exc, DownloadError) else f"{type(exc).__name__}: {exc}"
            self._done(pull.name, why)

        self.bridge.run(pull.run, lambda _r: self._done(pull.name, ""), failed, name="pull")

    def cancel(self, name: str) -> None:
        pull = self._pulls.get(name)
        if pull is not None:
            pull.cancel()

    def _on_progress(self, progress: Progress) -> None:
        if progress.name in self._pulls:
            self.progress.emit(progress)

    def _done(self, name: str, error: str) -> None:
        self._pulls.pop(name, None)
        self.finished.emit(name, error)
