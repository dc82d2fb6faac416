"""Command mode in the real app with its IBus engine running: the text selected in a GtkTextView
is read from the field itself (its surrounding text) at press, and the editor's good answer is
committed over it through the input method; a refused answer leaves it selected as it was, and
the user's engine is back after each command."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.dictation.commands_mode import Edited
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.delivery.desktop import Desktop, entered, needs_desktop, needs_ibus
from tests.delivery.test_command_mode import BEFORE
from tests.gui.conftest import MakeApp
from tests.speech import silence
from tests.synth import spoken
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus,
              pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")]  # fmt: skip

INSTRUCTION = "call it a summary"


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch)


def test_the_answer_replaces_the_text_views_selection_through_the_input_method(
    qtbot: QtBot, make_app: MakeApp, home: Path, engine: Engine, desktop: Desktop
) -> None:
    desktop.ibus_cmd("engine", "xkb:us::eng")
    wait_until(lambda: desktop.ibus_cmd("engine") == "xkb:us::eng", 10, "the user's engine")
    speech = silence(0.3) + spoken(INSTRUCTION) + silence(30)
    parts = make_app(backend=local_backend(engine), settings=Settings(sounds=False, overlay=False),
                     source=lambda: FileSource(speech), name="command-ime")  # fmt: skip
    answers = iter(["summary", "I'm sorry, but I can't help with that."])
    asked: list[str] = []

    def editor(_instruction: str, selection: str) -> str:
        asked.append(selection)
        return next(answers)

    assert parts.command_mode is not None
    parts.command_mode.editor = editor
    parts.delivery.start()  # as `dictate` does: its engine process starts
    qtbot.waitUntil(lambda: parts.delivery.input_method is not None
                    and parts.delivery.input_method.alive, timeout=20000)  # fmt: skip
    c = parts.controller
    finals: list[str] = []
    c.text_changed.connect(lambda final, _live: finals.append(final))
    try:
        view = desktop.entry("Notes", "textview")
        desktop.type(BEFORE)
        wait_until(lambda: view.text == BEFORE, 20, "the text in the view")
        desktop.xdotool("key", "shift+ctrl+Left")  # "report" selected
        summary = "hey can u send me the summary"
        for applied in (True, False):  # the answer goes in; the refusal leaves it as it was
            if not applied:
                desktop.xdotool("key", "shift+ctrl+Left")  # "summary" selected
            finals.clear()
            parts.command_mode.press()
            qtbot.waitUntil(lambda: any(finals), timeout=60000)  # the instruction settled
            with qtbot.waitSignal(parts.command_mode.edited, timeout=60000) as got:
                c.release()
            done = got.args[0]
            assert isinstance(done, Edited) and done.applied is applied, done
            wait_until(lambda: view.text == summary, 20, f"{summary!r} (got {view.text!r})")
            wait_until(lambda: desktop.ibus_cmd("engine") == "xkb:us::eng", 10, "the engine back")
        assert asked == ["report", "summary"]  # read from the field, through the engine
        desktop.type("X")  # the refused answer left "summary" selected: a key replaces it
        wait_until(lambda: view.text == "hey can u send me the X", 20, f"got {view.text!r}")
    finally:
        parts.shutdown()
