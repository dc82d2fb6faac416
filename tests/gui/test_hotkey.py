"""The global hotkey on a real X server (Xvfb), with keys pressed by xdotool."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.platform.hotkey import GlobalHotkey

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    name = f":{number.decode().strip()}"
    monkeypatch.setenv("DISPLAY", name)
    yield name
    proc.terminate()
    proc.wait(10)


def test_holding_the_chord_presses_and_letting_go_releases(qtbot: QtBot, display: str) -> None:
    hotkey = GlobalHotkey("<ctrl>+<alt>+d")
    assert hotkey.start() is None
    try:
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
