"""The overlay's window kind and its show / fade / off switch (offscreen Qt), and the Wayland
typing tools' command lines (with a stand-in `wtype` on PATH, in a compositor that offers the
virtual keyboard)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.phases import Phase
from app.delivery import chain, wayland, wayland_registry
from app.delivery.chain import Outcome
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from app.ui.overlay import Overlay
from tests.fake_compositor import FakeCompositor


def test_the_overlay_never_takes_focus_shows_the_words_and_fades(qtbot: QtBot) -> None:
    overlay = Overlay(SettingsSource(Settings()))
    qtbot.addWidget(overlay)
    flags = overlay.windowFlags()
    kind = Qt.WindowType
    for flag in (kind.WindowDoesNotAcceptFocus, kind.Tool, kind.FramelessWindowHint,
                 kind.WindowStaysOnTopHint):  # fmt: skip
        assert flags & flag, flag
    assert overlay.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    overlay.on_phase(Phase.LISTENING, "")
    assert overlay.isVisible() and overlay.state.text() == "Listening…"
    overlay.on_text("Hello there.", "how are")
    assert overlay.words.text() == "Hello there. how are"
    overlay.on_route(chain.INPUT_METHOD, True)  # the words are at the caret: not repeated here
    overlay.on_text("Hello there. How are you?", "")
    assert overlay.words.text() == "Hello there. how are"
    overlay.on_delivered(Outcome(chain.INPUT_METHOD, True, "typed into Notes"))
    assert overlay.state.text() == "typed into Notes"
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=5000)


def test_the_overlay_can_be_turned_off(qtbot: QtBot) -> None:
    overlay = Overlay(SettingsSource(Settings(overlay=False)))
    qtbot.addWidget(overlay)
    overlay.on_phase(Phase.LISTENING, "")
    assert not overlay.isVisible()


def test_wayland_typing_runs_wtype_with_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compositor = FakeCompositor({wayland_registry.VIRTUAL_KEYBOARD: 1})  # one wtype can use
    for key, value in compositor.env.items():
        monkeypatch.setenv(key, value)
    try:
        wtype_in_a_compositor_with_the_virtual_keyboard(tmp_path, monkeypatch)
    finally:
        compositor.close()


def wtype_in_a_compositor_with_the_virtual_keyboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "args"
    fake = tmp_path / "wtype"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert wayland.tool() == "wtype"
    outcome = chain.deliver(chain.WAYLAND, "-n Grüße", None, lambda _t: None)
    assert outcome == Outcome(chain.WAYLAND, True, "typed with wtype")
    assert log.read_text() == "--\n-n Grüße\n"
    fake.write_text("#!/bin/sh\necho 'compositor does not support virtual keyboard' >&2\nexit 1\n")
    copies: list[str] = []
    outcome = chain.deliver(chain.WAYLAND, "words", None, copies.append)
    assert outcome == Outcome(
        chain.CLIPBOARD, False,
        "wtype failed: compositor does not support virtual keyboard: copied: press Ctrl+V",
    )  # fmt: skip
    assert copies == ["words"]
