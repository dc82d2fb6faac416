"""Qt for Python must not leak references to None/True/False while the app paints and signals.

PySide6-Essentials 6.12.0 did (every QPainter setter, `QWidget.update`, `setText`,
`Signal.emit`): the app aborted after minutes of dictation. This fails on such a release,
so it fails CI instead of users. To vet a new release: install it and run this file.
Each measurement runs in an interpreter of its own, with its own offscreen QApplication
(`tests.native.refcounts.measure`).
"""

from __future__ import annotations

from tests.native.refcounts import assert_small, measure

REPEATS = 2000

_APP = f"""
import json
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from tests.native.refcounts import singleton_drift
app = QApplication([])
REPEATS = {REPEATS}
"""


def test_painting_the_level_meter_keeps_the_singletons() -> None:
    drift = measure(_APP + """
from app.ui.level_meter import LevelMeter
meter = LevelMeter()
meter.resize(200, 12)
meter.set_db(-20.0)
image = QImage(200, 12, QImage.Format.Format_ARGB32)
print(json.dumps({"paint": singleton_drift(lambda: meter.render(image), REPEATS)}))
""")  # fmt: skip
    assert_small(drift["paint"], REPEATS, "LevelMeter.paintEvent")


def test_the_main_window_updating_keeps_the_singletons() -> None:
    drift = measure(_APP + """
from app.ui.main_window import MainWindow
window = MainWindow()
window.resize(640, 460)
image = QImage(640, 460, QImage.Format.Format_ARGB32)
levels = iter(range(10**9))

def dictating():
    window.on_level(-60.0 + next(levels) % 60)
    window.on_text("Settled words.", f"live {next(levels)}")
    window.talk.setText("Release to stop")
    window.update()

print(json.dumps({
    "updates": singleton_drift(dictating, REPEATS),
    "render": singleton_drift(lambda: window.render(image), REPEATS // 10),
}))
""")  # fmt: skip
    assert_small(drift["updates"], REPEATS, "MainWindow updates")
    assert_small(drift["render"], REPEATS // 10, "MainWindow.render")


def test_emitting_signals_keeps_the_singletons() -> None:
    drift = measure(_APP + """
class Emitter(QObject):
    text = Signal(str, str)
    level = Signal(float)

emitter = Emitter()
received = []
emitter.level.connect(received.append)
emitter.text.connect(lambda _a, _b: None)
print(json.dumps({
    "one": singleton_drift(lambda: emitter.level.emit(-12.0), REPEATS),
    "two": singleton_drift(lambda: emitter.text.emit("a", "b"), REPEATS),
    "received": [len(received)],
}))
""")  # fmt: skip
    assert_small(drift["one"], REPEATS, "Signal.emit")
    assert_small(drift["two"], REPEATS, "Signal.emit with two args")
    assert drift["received"] == [REPEATS + 1]
