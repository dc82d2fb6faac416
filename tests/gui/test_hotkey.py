"""The global hotkey on a real X server (Xvfb), with keys pressed by xdotool."""

from __future__ import annotations

import subprocess

import pytest
from pytestqt.qtbot import QtBot

from app.platform.hotkey import GlobalHotkey
from tests.xvfb import display, needs_xvfb

__all__ = ["display"]  # a fixture, used by name

pytestmark = needs_xvfb


def test_holding_the_chord_presses_and_letting_go_releases(qtbot: QtBot, display: str) -> None:
    hotkey = GlobalHotkey("<ctrl>+<alt>+d")
    assert hotkey.start() is None
    try:
        qtbot.waitUntil(hotkey.listening, timeout=10000)  # keys before that are not seen
        with qtbot.waitSignal(hotkey.pressed, timeout=5000):
            subprocess.run(["xdotool", "keydown", "ctrl+alt+d"], check=True)
        with qtbot.waitSignal(hotkey.released, timeout=5000):
            subprocess.run(["xdotool", "keyup", "d"], check=True)
        subprocess.run(["xdotool", "keyup", "ctrl+alt"], check=True)
    finally:
        listener = hotkey._listener
        hotkey.stop()
        # pynput's X listener notices `stop()` at its next X event: give it one, so it ends
        # before this test's X server does.
        subprocess.run(["xdotool", "key", "shift"], check=True)
        listener.join(5)
        assert not listener.is_alive()


def test_an_invalid_chord_or_no_display_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    problem = GlobalHotkey("<ctrl>+d").start()
    assert problem is not None and "dictate ptt toggle" in problem
