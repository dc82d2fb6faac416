"""Model downloads for the app: `app.models.download.Pull` on worker threads, reported on
the main thread through the one Bridge, so the picker and the tray can show progress.

A download outlives the settings dialog that started it (this object belongs to the app's
actions), and never touches the engine: the engine keeps serving while bytes arrive.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from app.controller.bridge import Bridge
from app.models.download import DownloadError, Progress, Pull

REPORT_EVERY_S = 0.1  # progress reaches the GUI at most this often (plus the last one)


@dataclass(frozen=True)
class DownloadDone:
    name: str
    error: str  # "" when the model is installed


class ModelDownloads(QObject):
    """Signals: `progress(object Progress)`, `finished(str name, str error)`."""

    progress = Signal(object)
    finished = Signal(str, str)

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge
        self._pulls: dict[str, Pull] = {}
        bridge.posted.connect(self._on_posted)

    def running(self, name: str | None = None) -> bool:
        return bool(self._pulls) if name is None else name in self._pulls

    def start(self, name: str) -> None:
        """Start pulling `name` (a catalogue name or org/repo); a second start is ignored."""
        last = [0.0]

        def report(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= REPORT_EVERY_S or p.done >= p.total:
                last[0] = now
                self.bridge.post(p)

        try:
            pull = Pull(name, report)
        except DownloadError as exc:
            self.finished.emit(name, str(exc))
            return
        if pull.name in self._pulls:
            return
        self._pulls[pull.name] = pull

        def work() -> None:
            try:
                pull.run()
            except DownloadError as exc:
                self.bridge.post(DownloadDone(pull.name, str(exc)))
            except Exception as exc:  # a bug must still end the download in the GUI
                self.bridge.post(DownloadDone(pull.name, f"{type(exc).__name__}: {exc}"))
            else:
                self.bridge.post(DownloadDone(pull.name, ""))

        threading.Thread(target=work, name=f"pull-{pull.name}", daemon=True).start()

    def cancel(self, name: str) -> None:
        pull = self._pulls.get(name)
        if pull is not None:
            pull.cancel()

    @Slot(object)
    def _on_posted(self, payload: object) -> None:
        if isinstance(payload, Progress) and payload.name in self._pulls:
            self.progress.emit(payload)
        elif isinstance(payload, DownloadDone):
            self._pulls.pop(payload.name, None)
            self.finished.emit(payload.name, payload.error)
