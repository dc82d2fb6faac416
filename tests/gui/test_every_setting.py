"""Each setting reaches the part that uses it on Save, without a restart: one case per setting,
read where the app reads it (the next dictation's run, the overlay, the history, the sounds,
the delivery's method). The real-desktop cases (microphones, clipboard, paste, hotkey, tray,
continuous delivery) are in test_settings_apply.py; backend and model switches in
test_gui_thread.py and test_model_picker.py; words in test_words_app.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.delivery import chain
from app.delivery.chain import Environment
from app.main import Parts
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp
from tests.speech import pcm


def FOX() -> FileSource:
    return FileSource(pcm("fox"))


def run_of(parts: Parts) -> Any:
    """Press, look at the dictation the controller started, release."""
    c = parts.controller
    c.press()
    run = c._run
    c.release()
    return run


CASES: dict[str, tuple[Any, Callable[[Parts], Any]]] = {
    "language": ("de", lambda p: run_of(p).options.language),
    "vad_threshold": (0.7, lambda p: run_of(p).options.turn_detection.threshold),
    "vad_min_silence_ms": (
        1500,
        lambda p: run_of(p).options.turn_detection.min_silence_duration_ms,
    ),
    "vad_speech_pad_ms": (120, lambda p: run_of(p).options.turn_detection.speech_pad_ms),
    "history_audio": (False, lambda p: run_of(p).options.keep_audio),
    "history_audio_days": (7, lambda p: p.history.audio_days if p.history else None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_setting_applies_to_the_next_dictation(
    qtbot: QtBot, home: Path, engine: Engine, name: str, make_app: MakeApp
) -> None:
    value, observe = CASES[name]
    parts = make_app(
        Settings(sounds=False, first_run_done=True),
        source=FOX,
        name="every",
        backend=local_backend(engine),
    )
    try:
        before = observe(parts)
        qtbot.waitUntil(lambda: parts.controller.phase.value in ("idle", "error"), timeout=30000)
        assert before != value
        edited = parts.settings.edit()
        setattr(edited, name, value)
        assert name in parts.actions.apply(edited)
        assert observe(parts) == value
        qtbot.waitUntil(lambda: parts.controller.phase.value in ("idle", "error"), timeout=30000)
    finally:
        parts.shutdown()


def test_sounds_and_the_overlay_follow_the_settings_at_the_next_press(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, first_run_done=True),
        source=FOX,
        name="sound",
        backend=local_backend(engine),
    )
    played: list[str] = []
    parts.controller._play = played.append
    shown: list[bool] = []  # the overlay, as each phase arrives (it handles the phase first)
    parts.controller.phase_changed.connect(lambda *_: shown.append(parts.overlay.isVisible()))
    try:
        run_of(parts)
        qtbot.waitUntil(lambda: parts.controller.phase.value == "idle", timeout=30000)
        assert played == [] and any(shown)
        parts.overlay.hide()
        shown.clear()
        edited = parts.settings.edit()
        edited.sounds, edited.overlay = True, False
        parts.actions.apply(edited)
        run_of(parts)
        qtbot.waitUntil(lambda: parts.controller.phase.value == "idle", timeout=30000)
        assert played == ["start", "stop"] and shown and not any(shown)
    finally:
        parts.shutdown()


def test_the_delivery_method_follows_the_setting(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, first_run_done=True, delivery="auto"),
        source=FOX,
        name="method",
        backend=local_backend(engine),
    )
    parts.delivery.env = Environment(x11=True, wayland=False, ibus=False, xdotool=True,
                                     xclip=True, wayland_tool=None)  # fmt: skip
    try:
        edited = parts.settings.edit()
        edited.delivery = "clipboard"
        parts.actions.apply(edited)
        assert parts.delivery.method == chain.CLIPBOARD
        edited = parts.settings.edit()
        edited.delivery, edited.auto_paste = "auto", True
        parts.actions.apply(edited)
        assert parts.delivery.method == chain.PASTE
    finally:
        parts.shutdown()
