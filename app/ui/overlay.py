"""The overlay: a small frameless window at the bottom centre of the active screen that shows the
dictation's state, the microphone level and, when they are not shown at the caret, the live
words. It never takes the keyboard focus (a tool window that does not accept focus and is shown
without activating), so the app the user types in keeps it and the text lands there. It fades
out after the delivery; Settings can turn it off.

Whether the live words are at the caret already (the input method shows them there) is told
by `on_route` when a dictation starts: the overlay then shows the state only. When it
appears and when it has faded out are logged at INFO (`bench/delivery.py` reads them).

Not on Wayland: there a new window gets the keyboard focus wherever the compositor decides
(sway focuses every new toplevel, and xdg-shell has no window that never takes the focus), so
typing with wtype went into the overlay and was lost. There the live words show at the caret
(input method), the state in the tray and the main window.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEasingCurve, QPropertyAnimation, Qt, QTimer, Slot
from PySide6.QtGui import QCursor, QGuiApplication, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.phases import Phase
from app.delivery.chain import Outcome
from app.storage.settings_source import SettingsSource
from app.ui.level_meter import LevelMeter

TITLE = "Dictate overlay"
STATES = {
    Phase.LOADING: "Loading the model…",
    Phase.CONNECTING: "Listening…",
    Phase.LISTENING: "Listening…",
    Phase.FINISHING: "Finishing…",
    Phase.ERROR: "Failed",
}
log = logging.getLogger(__name__)
HOLD_MS = 1500  # the delivery's result stays this long, then fades
FADE_MS = 400


class Overlay(QWidget):
    def __init__(self, settings: SettingsSource) -> None:
        super().__init__(
            None,
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus,
        )
        self.settings = settings
        self.setWindowTitle(TITLE)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet(
            "Overlay { background: rgba(32, 32, 36, 235); border-radius: 10px; }"
            "QLabel { color: white; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.state = QLabel()
        self.meter = LevelMeter()
        self.meter.setFixedWidth(120)
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setMaximumWidth(520)
        top = QHBoxLayout()
        top.addWidget(self.state, 1)
        top.addWidget(self.meter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.addLayout(top)
        layout.addWidget(self.words)
        self.at_caret = False  # the live words are already shown where the user types
        self.shown_at = 0.0
        self.asked_at = 0.0
        self._fade = QPropertyAnimation(self, b"windowOpacity", self)
        self._fade.setDuration(FADE_MS)
        self._fade.setEasingCurve(QEasingCurve.Type.InQuad)
        self._fade.finished.connect(self._faded)
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.timeout.connect(self._start_fade)
        self._told = False  # that it is not shown on Wayland (logged once)

    # --- the controller's and the delivery's signals ---------------------------------------

    @Slot(object, str)
    def on_phase(self, phase: Phase, _detail: str) -> None:
        phase = Phase(phase)
        if phase in STATES:
            self.state.setText(STATES[phase])
            if phase == Phase.ERROR:
                self._hold.start(HOLD_MS * 2)
            else:
                self._appear()
        if phase in (Phase.LOADING, Phase.CONNECTING):
            self.words.clear()
            self.words.hide()

    @Slot(str, bool)
    def on_route(self, _method: str, at_caret: bool) -> None:
        """A dictation starts, its live words at the caret (the input method) or not."""
        self.at_caret = at_caret

    @Slot(str, str)
    def on_text(self, final: str, live: str) -> None:
        if self.at_caret:
            return
        shown = (final + " " + live).strip()
        tail = shown[-160:]  # the newest words
        self.words.setText(("…" if len(shown) > len(tail) else "") + tail)
        self.words.setVisible(bool(shown))
        self.adjustSize()
        self._place()

    @Slot(float)
    def on_level(self, rms_db: float) -> None:
        if self.isVisible():
            self.meter.set_db(rms_db)

    @Slot(object)
    def on_delivered(self, outcome: Outcome) -> None:
        if not self.isVisible():
            return
        self.state.setText(outcome.message)
        self.meter.reset()
        self._hold.start(HOLD_MS)

    # --- showing and fading ----------------------------------------------------------------

    def _appear(self) -> None:
        if not self.settings.current.overlay:  # read now: Settings may have turned it off
            return
        if QGuiApplication.platformName() == "wayland":
            if not self._told:
                self._told = True
                log.info("overlay not shown: on Wayland it would take the keyboard focus")
            return
        self._hold.stop()
        self._fade.stop()
        self.setWindowOpacity(1.0)
        if not self.isVisible():
            self.asked_at = time.monotonic()
            self.adjustSize()
            self._place()
            self.show()

    def _place(self) -> None:
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        size = self.sizeHint().expandedTo(self.minimumSizeHint())
        width = max(280, size.width())
        self.resize(width, size.height())
        self.move(area.x() + (area.width() - width) // 2, area.bottom() - size.height() - 48)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown_at = time.monotonic()
        log.info("overlay shown in %.1f ms", (self.shown_at - self.asked_at) * 1000)

    def _start_fade(self) -> None:
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.start()

    def _faded(self) -> None:
        self.hide()
        self.setWindowOpacity(1.0)
        log.info("overlay hidden")
