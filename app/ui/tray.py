"""The system tray icon: start/stop, show, copy the last dictation, quit, and a model
download's progress in its tooltip. Absent when the desktop has no tray."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.core.phases import Phase, recording
from app.models.download import Progress, human_bytes


class Tray(QObject):
    """Signals: `toggle_requested`, `show_requested`, `copy_last_requested`,
    `diagnostics_requested`, `setup_requested` (the first-run setup again), `quit_requested`."""

    toggle_requested = Signal()
    show_requested = Signal()
    copy_last_requested = Signal()
    diagnostics_requested = Signal()
    setup_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Dictate")
        self.menu = QMenu()
        self.start_stop = QAction("Start dictation", self.menu)
        self.start_stop.triggered.connect(self.toggle_requested)
        show = QAction("Show window", self.menu)
        show.triggered.connect(self.show_requested)
        self.copy_last = QAction("Copy last dictation", self.menu)
        self.copy_last.triggered.connect(self.copy_last_requested)
        self.diagnostics = QAction("Copy diagnostics", self.menu)
        self.diagnostics.setToolTip("Versions, backend, microphone and the log, for a bug report")
        self.diagnostics.triggered.connect(self.diagnostics_requested)
        self.setup = QAction("Set up Dictate…", self.menu)
        self.setup.triggered.connect(self.setup_requested)
        quit_action = QAction("Quit", self.menu)
        quit_action.triggered.connect(self.quit_requested)
        self.menu.addActions([self.start_stop, show, self.copy_last])
        self.menu.addSeparator()
        self.menu.addAction(self.setup)
        self.menu.addAction(self.diagnostics)
        self.menu.addAction(quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_requested.emit()

    @Slot(object, str)
    def on_phase(self, phase: Phase, _detail: str) -> None:
        phase = Phase(phase)
        self.start_stop.setText("Stop dictation" if recording(phase) else "Start dictation")
        self.icon.setToolTip(f"Dictate · {phase.value}")

    def hide(self) -> None:
        self.icon.hide()

    @Slot(object)
    def on_download(self, progress: Progress) -> None:
        self.icon.setToolTip(
            f"Dictate · downloading {progress.name}: {progress.fraction:.0%} "
            f"at {human_bytes(progress.rate)}/s"
        )

    @Slot(str, str)
    def on_download_finished(self, name: str, error: str) -> None:
        self.icon.setToolTip(f"Dictate · {name} {'not downloaded: ' + error if error else 'ready'}")
