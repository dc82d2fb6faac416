"""Per-app profiles in the real app: the same dictation into two GTK windows of different
classes under openbox; the window in front at press chooses the profile, whose vocabulary
reaches the recognizer and whose one-line rule shapes the text the app delivers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.core.words import parse_rules
from app.dictation.profiles import Profile
from app.main import Parts
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.delivery.desktop import Desktop, entered, needs_desktop
from tests.gui.conftest import MakeApp
from tests.waiting import wait_until
from tests.words_speech import RULES, dictation

pytestmark = needs_desktop

LETTERS = Profile("Letters", ("lettersapp",), vocabulary=("Nguyen",), delivery="typing").to_table()


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


def dictate(qtbot: QtBot, parts: Parts) -> tuple[str, str]:
    """Press, let the whole dictation be heard, release: (the profile applied, the text)."""
    c = parts.controller
    c.press()
    qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=30000)
    run = c._run
    assert run is not None
    qtbot.waitUntil(lambda: isinstance(run.source, FileSource) and run.source.wait(0),
                    timeout=60000)  # fmt: skip
    with qtbot.waitSignal(c.finished, timeout=60000) as finished:
        c.release()
    assert c.dictation.options.profile == run.options.profile  # the controller's copy too
    return run.options.profile, str(finished.args[0])


def test_the_window_in_front_at_press_chooses_the_profile(
    qtbot: QtBot, make_app: MakeApp, home: Path, engine: Engine, desktop: Desktop
) -> None:
    rules = [[r.said, r.written] for r in parse_rules(RULES)]
    # The command line's speech detection, as tests/gui/test_words_app.py uses.
    settings = Settings(sounds=False, overlay=False, delivery="clipboard", rules=rules,
                        vad_preset="hands-free", vad_min_silence_ms=500,
                        vad_speech_pad_ms=250)  # fmt: skip
    settings.profiles = [LETTERS, *settings.profiles]
    speech = dictation()
    parts = make_app(
        backend=local_backend(engine),
        settings=settings,
        name="profiles",
        source=lambda: FileSource(speech, frame_ms=20, realtime=False),
    )
    try:
        letters = desktop.entry("Letter", wm_class="lettersapp")
        terminal = desktop.entry("Shell", wm_class="xterm")
        desktop.activate("Letter")
        profile, letter = dictate(qtbot, parts)
        assert profile == "Letters"
        assert "Nguyen" in letter and "\n\n" in letter  # its vocabulary; the paragraph
        parts.delivery.flush()  # typed, as its profile says (the settings say clipboard)
        wait_until(lambda: "Nguyen" in letters.text, 30, f"the text typed ({letters.text!r})")
        desktop.activate("Shell")
        profile, shell = dictate(qtbot, parts)
        assert profile == "Terminals"
        assert "\n" not in shell and "Best regards, Jane" in shell  # one line, rules still
        parts.delivery.flush()
        assert terminal.text == ""  # the settings' clipboard: nothing typed here
    finally:
        parts.shutdown()
