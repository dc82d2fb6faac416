"""The hotkey set by pressing it: `KeyCapture` and `HotkeyEditor` offscreen with Qt's key
events, then on a real X server (Xvfb and openbox) with a real click and a real key press
from xdotool; and the Qt-free parser held to pynput's own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.platform import keys
from app.ui.key_capture import HotkeyEditor, KeyCapture
from tests.delivery.desktop import Desktop, needs_desktop
from tests.xvfb import display, needs_xvfb

__all__ = ["display"]  # a fixture, used by name

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform's own limit, said of every window with a layout
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]
M = Qt.KeyboardModifier
CTRL_ALT = M.ControlModifier | M.AltModifier


@pytest.fixture
def capture(qtbot: QtBot) -> KeyCapture:
    widget = KeyCapture("<f9>")
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def start(qtbot: QtBot, widget: KeyCapture) -> None:
    QTest.mouseClick(widget.change, Qt.MouseButton.LeftButton)
    assert widget.capturing()
    assert widget.shown.text() == "Press the keys…"
    assert widget.change.text() == "Cancel"


def test_ctrl_alt_d_is_recorded_as_pynput_syntax_and_shown_in_words(
    qtbot: QtBot, capture: KeyCapture
) -> None:
    assert capture.shown.text() == "F9"
    start(qtbot, capture)
    QTest.keyPress(capture, Qt.Key.Key_Control, M.ControlModifier)
    QTest.keyPress(capture, Qt.Key.Key_Alt, CTRL_ALT)
    assert capture.shown.text() == "Ctrl+Alt…"  # the modifiers held so far
    with qtbot.waitSignal(capture.changed, timeout=1000) as changed:
        QTest.keyClick(capture, Qt.Key.Key_D, CTRL_ALT)
    assert changed.args == ["<ctrl>+<alt>+d"]
    assert capture.combo() == "<ctrl>+<alt>+d"
    assert capture.shown.text() == "Ctrl+Alt+D"
    assert not capture.capturing() and capture.change.text() == "Change…"
    assert capture.warning.isHidden()


def test_the_key_not_the_control_character_is_recorded(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_D, CTRL_ALT, "\x04")  # what X11 sends
    with qtbot.waitSignal(capture.changed, timeout=1000) as changed:
        QApplication.sendEvent(capture, event)
    assert changed.args == ["<ctrl>+<alt>+d"]


def test_escape_cancels_and_keeps_the_hotkey(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    with qtbot.assertNotEmitted(capture.changed):
        QTest.keyClick(capture, Qt.Key.Key_Escape)
    assert not capture.capturing()
    assert capture.combo() == "<f9>" and capture.shown.text() == "F9"


def test_backspace_leaves_no_hotkey(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    with qtbot.waitSignal(capture.changed, timeout=1000) as changed:
        QTest.keyClick(capture, Qt.Key.Key_Backspace)
    assert changed.args == [""]
    assert capture.shown.text() == "No hotkey" and capture.warning.isHidden()


def test_a_lone_letter_is_kept_with_a_warning(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    QTest.keyClick(capture, Qt.Key.Key_Q)
    assert capture.combo() == "q" and capture.shown.text() == "Q"
    assert capture.warning.isVisible()
    assert "every time you type “q”" in capture.warning.text()


def test_f8_records_despite_the_windows_own_shortcut_and_warns(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    widget = KeyCapture("<ctrl>+<alt>+d")
    QVBoxLayout(window).addWidget(widget)
    shortcut = QShortcut(QKeySequence("F8"), window)
    window.show()
    qtbot.waitExposed(window)
    start(qtbot, widget)
    with qtbot.assertNotEmitted(shortcut.activated):
        QTest.keyClick(widget, Qt.Key.Key_F8)
    assert widget.combo() == "<f8>" and widget.shown.text() == "F8"
    assert "F8 is already push-to-talk inside Dictate's window" in widget.warning.text()


def test_tab_and_shift_are_keys_while_capturing(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    QTest.keyClick(capture, Qt.Key.Key_Tab, M.AltModifier)
    assert capture.combo() == "<alt>+<tab>"
    assert "switching windows" in capture.warning.text()
    start(qtbot, capture)
    QTest.keyClick(capture, Qt.Key.Key_Backtab, M.ShiftModifier | M.ControlModifier)
    assert capture.combo() == "<ctrl>+<shift>+<tab>"


def test_a_click_on_the_key_cap_starts_too(qtbot: QtBot, capture: KeyCapture) -> None:
    QTest.mouseClick(capture.shown, Qt.MouseButton.LeftButton)
    assert capture.capturing() and capture.shown.text() == "Press the keys…"
    QTest.keyClick(capture, Qt.Key.Key_F10, M.ControlModifier)
    assert capture.combo() == "<ctrl>+<f10>"


def test_going_elsewhere_gives_the_keyboard_back(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    widget, other = KeyCapture("<f9>"), QLineEdit()
    layout.addWidget(widget)
    layout.addWidget(other)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    start(qtbot, widget)
    QTest.mouseClick(other, Qt.MouseButton.LeftButton)
    assert other.hasFocus() and not widget.capturing()
    assert widget.shown.text() == "F9"
    QTest.keyClicks(other, "d")
    assert other.text() == "d" and widget.combo() == "<f9>"


def test_set_combo_is_silent_and_stops_a_capture(qtbot: QtBot, capture: KeyCapture) -> None:
    start(qtbot, capture)
    with qtbot.assertNotEmitted(capture.changed):
        capture.set_combo("<ctrl>+c")
    assert not capture.capturing()
    assert capture.shown.text() == "Ctrl+C" and "Copy" in capture.warning.text()


def test_the_editor_offers_both_modes_and_reports_changes(qtbot: QtBot) -> None:
    editor = HotkeyEditor("<ctrl>+<alt>+d", "toggle", wayland=False)
    qtbot.addWidget(editor)
    editor.show()
    items = [editor.mode_box.itemText(i) for i in range(editor.mode_box.count())]
    assert items == ["Hold to talk", "Press to start, press to stop"]
    assert (editor.combo(), editor.mode()) == ("<ctrl>+<alt>+d", "toggle")
    assert editor.instructions is None and editor.capture.isVisible()
    with qtbot.waitSignal(editor.changed, timeout=1000):
        editor.mode_box.setCurrentIndex(0)
    assert editor.mode() == "hold"
    QTest.mouseClick(editor.capture.change, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(editor.changed, timeout=1000):
        QTest.keyClick(editor.capture, Qt.Key.Key_F9, M.ShiftModifier)
    assert editor.combo() == "<shift>+<f9>"
    with qtbot.assertNotEmitted(editor.changed):
        editor.set_values("<cmd>+<alt>+h", "toggle")
    assert (editor.combo(), editor.mode()) == ("<cmd>+<alt>+h", "toggle")


def test_on_wayland_the_editor_says_what_to_bind_instead_of_capturing(qtbot: QtBot) -> None:
    editor = HotkeyEditor("<ctrl>+<alt>+d", "hold", wayland=True, desktop="ubuntu:GNOME")
    qtbot.addWidget(editor)
    editor.show()
    assert editor.instructions is not None and editor.instructions.isVisible()
    assert not editor.capture.isVisible()
    text = editor.instructions.toPlainText()
    assert "dictate ptt toggle" in text and "gsettings" in text and "ptt start" in text
    editor.mode_box.setCurrentIndex(editor.mode_box.findData("toggle"))
    assert "ptt start" not in editor.instructions.toPlainText()
    kde = HotkeyEditor(wayland=True, desktop="KDE")
    qtbot.addWidget(kde)
    assert kde.instructions is not None
    assert "Add New → Command or Script" in kde.instructions.toPlainText()


def test_wayland_is_detected_from_the_session(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    editor = HotkeyEditor()
    qtbot.addWidget(editor)
    assert editor.wayland and editor.instructions is not None
    assert "KDE Plasma" in editor.instructions.toPlainText()


@needs_xvfb
@pytest.mark.parametrize(
    "combo",
    ["<ctrl>+<alt>+d", "<shift>+<cmd>+<f5>", "<alt>+<page_down>", "<ctrl>++", "<ctrl>+<65>",
     "<ctrl_l>+d", "<bogus>+d", "<ctrl>+<ctrl>+d", "<ctrl>+", "ctrl+d", "<media_next>"],
)  # fmt: skip
def test_the_parser_agrees_with_pynputs(display: str, combo: str) -> None:
    from pynput import keyboard

    try:
        theirs = len(keyboard.HotKey.parse(combo))
    except ValueError:
        with pytest.raises(ValueError):
            keys.parse(combo)
        return
    chord = keys.parse(combo)
    assert len(chord.modifiers) + len(chord.keys) == theirs


CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app.ui.key_capture import HotkeyEditor

    app = QApplication(sys.argv)
    editor = HotkeyEditor("<f9>", "hold", wayland=False)
    editor.setWindowTitle("KeyCaptureTest")
    editor.resize(520, 120)

    def started():
        print("capturing", editor.capture.capturing(), flush=True)

    def changed(combo):
        print("changed", combo, editor.capture.shown.text(), flush=True)
        app.quit()

    editor.capture.change.clicked.connect(started)
    editor.capture.changed.connect(changed)
    editor.show()
    button = editor.capture.change
    spot = button.mapTo(editor, button.rect().center())
    print("button", spot.x(), spot.y(), flush=True)
    QTimer.singleShot(60000, app.quit)
    app.exec()
    """
)


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    d = Desktop(ibus=False)
    try:
        yield d
    finally:
        d.stop()


@needs_desktop
@pytest.mark.timeout(90)
def test_a_real_key_press_on_x11_sets_the_hotkey(desktop: Desktop, tmp_path: Path) -> None:
    script = tmp_path / "capture.py"
    script.write_text(CHILD)
    env = dict(desktop.env, QT_QPA_PLATFORM="xcb")
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        assert proc.stdout is not None
        _, x, y = proc.stdout.readline().split()
        window = desktop.activate("KeyCaptureTest")
        desktop.xdotool("mousemove", "--window", window, x, y, "click", "1")
        assert proc.stdout.readline().split() == ["capturing", "True"]
        desktop.xdotool("key", "ctrl+alt+d")
        assert proc.stdout.readline().split() == ["changed", "<ctrl>+<alt>+d", "Ctrl+Alt+D"]
        _, errors = proc.communicate(timeout=20)
        assert proc.returncode == 0 and errors == ""  # no Qt warning either
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


def test_a_wayland_session_with_xwayland_still_counts_as_wayland(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.ui.key_capture import on_wayland

    monkeypatch.setenv("DISPLAY", ":0")  # XWayland, as on GNOME and KDE
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    assert not on_wayland()
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    assert on_wayland()
