"""Qt for Python must not leak references to None/True/False while the app paints and signals.

PySide6-Essentials 6.12.0 did (every QPainter setter, `QWidget.update`, `setText`,
`Signal.emit`): the app aborted after minutes of dictation. This fails on such a release,
so it fails CI instead of users. To vet a new release: install it and run this file.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.ui.level_meter import LevelMeter
from app.ui.main_window import MainWindow
from tests.native.refcounts import assert_no_drift

REPEATS = 2000


def test_painting_the_level_meter_keeps_the_singletons(qtbot: QtBot) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(200, 12)
    meter.set_db(-20.0)
    image = QImage(200, 12, QImage.Format.Format_ARGB32)
    assert_no_drift(lambda: meter.render(image), REPEATS, "LevelMeter.paintEvent")


def test_the_main_window_updating_keeps_the_singletons(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(640, 460)
    image = QImage(640, 460, QImage.Format.Format_ARGB32)
    levels = iter(range(10**9))

    def dictating() -> None:
        window.on_level(-60.0 + next(levels) % 60)
        window.on_text("Settled words.", f"live {next(levels)}")
        window.talk.setText("Release to stop")
        window.update()

    assert_no_drift(dictating, REPEATS, "MainWindow updates")
    assert_no_drift(lambda: window.render(image), REPEATS // 10, "MainWindow.render")


class _Emitter(QObject):
    text = Signal(str, str)
    level = Signal(float)


def test_emitting_signals_keeps_the_singletons(qtbot: QtBot) -> None:
    emitter = _Emitter()
    received: list[float] = []
    emitter.level.connect(received.append)
    emitter.text.connect(lambda _a, _b: None)
    assert_no_drift(lambda: emitter.level.emit(-12.0), REPEATS, "Signal.emit")
    assert_no_drift(lambda: emitter.text.emit("a", "b"), REPEATS, "Signal.emit with two args")
    assert len(received) == REPEATS + 1
