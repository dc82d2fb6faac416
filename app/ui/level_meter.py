"""A horizontal input level bar: -60 dBFS is empty, 0 dBFS full; it falls back smoothly."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

FLOOR = -60.0


class LevelMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = 0.0  # 0..1
        self.setMinimumHeight(10)
        self.setToolTip("Microphone level")
        self._decay = QTimer(self)
        self._decay.setInterval(50)
        self._decay.timeout.connect(self._fall)

    def sizeHint(self) -> QSize:
        return QSize(200, 12)

    def set_db(self, rms_db: float) -> None:
        value = min(1.0, max(0.0, (rms_db - FLOOR) / -FLOOR))
        self.level = max(value, self.level * 0.6)
        if not self._decay.isActive():
            self._decay.start()
        self.update()

    def reset(self) -> None:
        self.level = 0.0
        self._decay.stop()
        self.update()

    def _fall(self) -> None:
        self.level *= 0.7
        if self.level < 0.01:
            self.reset()
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(
            QColor(60, 60, 66)
            if self.palette().window().color().value() < 128
            else QColor(225, 225, 230)
        )
        painter.drawRoundedRect(rect, 4, 4)
        filled = QRectF(rect.x(), rect.y(), rect.width() * self.level, rect.height())
        color = QColor(46, 160, 67) if self.level < 0.85 else QColor(210, 80, 50)
        painter.setBrush(color)
        painter.drawRoundedRect(filled, 4, 4)
