"""The main window: transcript, push-to-talk, level, status, and the error banner.

It renders what the controller says and forwards what the user does; it holds no dictation
logic. Signals (user intents): `press_requested`, `release_requested`, `toggle_requested`,
`settings_requested`, `history_requested`, `setup_requested`, `fix_requested(Fix)`,
`quit_requested`. Warnings go to the status bar through a `NoticeBoard`: one that names a
condition stays while it holds and goes when it ends; a one-off fades after a few seconds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import Fix
from app.core.notices import Notice, NoticeBoard
from app.core.phases import Phase, recording
from app.ui.level_meter import LevelMeter
from app.ui.transcript_view import TranscriptView

PTT_KEY = Qt.Key.Key_F8
FADE_MS = 8000  # how long a one-off notice stays


class MainWindow(QMainWindow):
    press_requested = Signal()
    release_requested = Signal()
    toggle_requested = Signal()
    settings_requested = Signal()
    history_requested = Signal()
    setup_requested = Signal()
    fix_requested = Signal(object)  # Fix
    quit_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Dictate")
        self.resize(640, 460)
        self.hide_on_close = False
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.setSpacing(10)

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet(
            "#banner { background: #fdecea; border: 1px solid #f5c2bd; border-radius: 6px; }"
            "#banner QLabel { color: #7a1d14; }"
        )
        banner_row = QHBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_action = QPushButton()
        self.banner_action.clicked.connect(self._on_banner_action)
        self.banner_fix = Fix.NONE
        self.banner_close = QPushButton("Dismiss")
        self.banner_close.clicked.connect(self.banner.hide)
        banner_row.addWidget(self.banner_text, 1)
        banner_row.addWidget(self.banner_action)
        banner_row.addWidget(self.banner_close)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.transcript = TranscriptView()
        layout.addWidget(self.transcript, 1)

        controls = QHBoxLayout()
        self.talk = QPushButton("Hold to talk")
        self.talk.setObjectName("talk")
        self.talk.setMinimumHeight(56)
        self.talk.setStyleSheet(
            "#talk { font-size: 16px; font-weight: 600; border-radius: 8px; padding: 0 24px;"
            " background: #2563eb; color: white; }"
            '#talk[recording="true"] { background: #dc2626; }'
        )
        self.talk.pressed.connect(self._on_talk_pressed)
        self.talk.released.connect(self._on_talk_released)
        self.toggle_mode = QCheckBox("Toggle mode")
        self.toggle_mode.setToolTip("Click once to start and once to stop, instead of holding")
        self.toggle_mode.toggled.connect(self._on_toggle_mode)
        controls.addWidget(self.talk, 1)
        controls.addWidget(self.toggle_mode)
        layout.addLayout(controls)

        self.meter = LevelMeter()
        layout.addWidget(self.meter)

        bottom = QHBoxLayout()
        self.status = QLabel("idle")
        self.status.setObjectName("status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy = QPushButton("Copy")
        self.copy.clicked.connect(self._copy_all)
        self.clear = QPushButton("Clear")
        self.clear.clicked.connect(self.transcript.clear_all)
        self.history = QPushButton("History")
        self.history.clicked.connect(self.history_requested)
        self.settings = QPushButton("Settings")
        self.settings.clicked.connect(self.settings_requested)
        self.setup = QPushButton("Setup…")
        self.setup.setToolTip("The first-run setup again: microphone, hotkey, backend, delivery")
        self.setup.clicked.connect(self.setup_requested)
        bottom.addWidget(self.status, 1)
        for button in (self.copy, self.clear, self.history, self.settings, self.setup):
            bottom.addWidget(button)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        self.phase = Phase.IDLE
        self.backend = ""  # what the status line names while idle
        self.failure = ""  # why the last dictation failed, while the phase says so
        self.notices = NoticeBoard()
        self._fade = QTimer(self)
        self._fade.setSingleShot(True)
        self._fade.timeout.connect(self._faded)

    # --- user intents ------------------------------------------------------------------

    @Slot()
    def _on_talk_pressed(self) -> None:
        if self.toggle_mode.isChecked():
            self.toggle_requested.emit()
        else:
            self.press_requested.emit()

    @Slot()
    def _on_talk_released(self) -> None:
        if not self.toggle_mode.isChecked():
            self.release_requested.emit()

    @Slot(bool)
    def _on_toggle_mode(self, on: bool) -> None:
        self._label_talk()

    @Slot()
    def _on_banner_action(self) -> None:
        self.fix_requested.emit(self.banner_fix)

    @Slot()
    def _copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.transcript.all_text())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == PTT_KEY and not event.isAutoRepeat():
            self._on_talk_pressed()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == PTT_KEY and not event.isAutoRepeat():
            self._on_talk_released()
            return
        super().keyReleaseEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
        else:
            self.quit_requested.emit()
            event.accept()

    # --- what the controller says ------------------------------------------------------

    @Slot(object, str)
    def on_phase(self, phase: Phase, detail: str) -> None:
        phase = Phase(phase)
        entering = recording(phase) and not recording(self.phase)
        self.phase = phase
        if entering:
            self.transcript.begin_dictation()
            self.banner.hide()
        if not recording(phase):
            self.meter.reset()
        if phase == Phase.ERROR:
            self.failure = detail  # why the dictation failed: the banner's and history's reason
        elif detail:
            self.backend = detail
        self._show_status()
        self._label_talk()

    def show_backend(self, description: str) -> None:
        """The backend changed (or is changing): the status line names it."""
        self.backend = description
        self._show_status()

    def _show_status(self) -> None:
        phase, detail = self.phase.value, self.backend
        if self.phase == Phase.ERROR:
            shown = f"failed: {self.failure}" if self.failure else "failed"
        else:
            shown = f"{detail} · {phase}" if detail else phase
        self.status.setText(shown)

    @Slot(str, str)
    def on_text(self, final: str, live: str) -> None:
        if recording(self.phase) or self.phase == Phase.FINISHING:
            self.transcript.show_dictation(final, live)

    @Slot(str, int)
    def on_finished(self, text: str, _row: int) -> None:
        self.transcript.end_dictation(text)

    def show_retried(self, text: str) -> None:
        """A saved dictation transcribed again: the problem is over, the text shown."""
        self.banner.hide()
        if text:
            self.transcript.begin_dictation()
            self.transcript.end_dictation(text)

    def copy_text(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    @Slot(float)
    def on_level(self, rms_db: float) -> None:
        self.meter.set_db(rms_db)

    @Slot(str, object)
    def on_problem(self, message: str, fix: Fix) -> None:
        self.banner_text.setText(message)
        self.banner_fix = fix
        self.banner_action.setText(fix.value)
        self.banner_action.setVisible(fix is not Fix.NONE)
        self.banner.show()

    def clear_problem(self, message: str) -> None:
        """The banner goes if it still says `message` (its problem is over)."""
        if message and self.banner_text.text() == message:
            self.banner.hide()

    @Slot(object)
    def on_notice(self, notice: Notice) -> None:
        self.notices.add(notice)
        self._show_notice()
        if not notice.topic:
            self._fade.start(FADE_MS)

    def say(self, message: str) -> None:
        """A one-off message for the status bar."""
        self.on_notice(Notice(message))

    @Slot(str)
    def on_notice_ended(self, topic: str) -> None:
        if self.notices.end(topic):
            self._show_notice()

    @Slot()
    def _faded(self) -> None:
        current = self.notices.current
        if current is not None and self.notices.fade(current):
            self._show_notice()

    def _show_notice(self) -> None:
        current = self.notices.current
        if current is None:
            self.statusBar().clearMessage()
        else:
            self.statusBar().showMessage(current.message)

    def notice_text(self) -> str:
        return self.statusBar().currentMessage()

    def _label_talk(self) -> None:
        active = recording(self.phase)
        if self.toggle_mode.isChecked():
            self.talk.setText("Stop" if active else "Start dictation")
        else:
            self.talk.setText("Listening… release to finish" if active else "Hold to talk")
        self.talk.setProperty("recording", "true" if active else "false")
        self.talk.style().unpolish(self.talk)
        self.talk.style().polish(self.talk)
