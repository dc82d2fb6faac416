"""Command mode in the real app: text selected in a GTK entry under openbox, the command
started the way `dictate ptt command` starts it, an instruction spoken (espeak-ng) to the
local engine; the selection is replaced by the editor's answer, the instruction itself is
never typed, and the history keeps the original beside the result; with *Settings → Cleanup*
on, its language model (a loopback OpenAI-compatible server) is the editor."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.controller.command_mode import BACKEND, NO_EDITOR
from app.dictation.commands_mode import Edited
from app.main import start_hotkey
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.delivery.desktop import Desktop, entered, needs_desktop
from tests.delivery.test_command_mode import BEFORE, selected
from tests.gui.conftest import MakeApp
from tests.llm_server import LLMServer
from tests.speech import silence, wer
from tests.synth import spoken
from tests.waiting import wait_until

pytestmark = [needs_desktop,
              pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")]  # fmt: skip

INSTRUCTION = "make this more formal"
ANSWER = "Could you please send me the report?"


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


def test_the_spoken_instruction_rewrites_the_selection(
    qtbot: QtBot, make_app: MakeApp, home: Path, engine: Engine, desktop: Desktop
) -> None:
    entry, _selection = selected(desktop, "Reply")
    speech = silence(0.3) + spoken(INSTRUCTION) + silence(30)
    parts = make_app(
        backend=local_backend(engine),
        settings=Settings(sounds=False, overlay=False, delivery="typing"),
        source=lambda: FileSource(speech),
        name="command",
    )
    asked: list[tuple[str, str]] = []

    def editor(instruction: str, selection: str) -> str:
        asked.append((instruction, selection))
        return ANSWER

    assert parts.command_mode is not None
    parts.command_mode.editor = editor
    c = parts.controller
    try:
        finals: list[str] = []
        c.text_changed.connect(lambda final, _live: finals.append(final))
        parts.instance.command.emit("command")  # what `dictate ptt command` sends
        qtbot.waitUntil(lambda: any(finals), timeout=60000)  # the instruction settled
        with qtbot.waitSignal(parts.command_mode.edited, timeout=60000) as got:
            parts.instance.command.emit("command")  # again: the instruction is over
        done = got.args[0]
        assert isinstance(done, Edited) and done.applied, done
        assert len(asked) == 1 and asked[0][1] == BEFORE
        assert wer(INSTRUCTION, asked[0][0]) <= 0.5, asked
        wait_until(lambda: entry.text == ANSWER, 20, f"the answer in the entry ({entry.text!r})")
        parts.delivery.flush()
        assert entry.text == ANSWER  # the instruction was never typed
        assert parts.history is not None
        rows = [r for r in parts.history.search() if r.backend == BACKEND]
        assert sorted(r.text for r in rows) == sorted([BEFORE, ANSWER])
        assert any(r.model.startswith("before") and r.text == BEFORE for r in rows)
    finally:
        parts.shutdown()


def test_without_an_editor_the_selection_stays_and_the_reason_is_said(
    qtbot: QtBot, make_app: MakeApp, home: Path, engine: Engine, desktop: Desktop
) -> None:
    entry, _selection = selected(desktop, "Reply")
    speech = silence(0.3) + spoken(INSTRUCTION) + silence(2)
    parts = make_app(
        backend=local_backend(engine),
        settings=Settings(sounds=False, overlay=False, delivery="typing"),
        source=lambda: FileSource(speech),
        name="command",
    )
    c = parts.controller
    try:
        assert parts.command_mode is not None and parts.command_mode.editor is None
        parts.command_mode.press()
        qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=60000)
        with qtbot.waitSignal(parts.command_mode.edited, timeout=60000) as got:
            c.release()
        assert got.args[0].reason == NO_EDITOR and not got.args[0].applied
        parts.delivery.flush()
        assert entry.text == BEFORE
    finally:
        parts.shutdown()


def test_the_language_model_of_the_cleanup_settings_edits_the_selection(
    qtbot: QtBot,
    make_app: MakeApp,
    home: Path,
    engine: Engine,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DICTATE_LLM_API_KEY", "sk-test")
    entry, _selection = selected(desktop, "Reply")
    speech = silence(0.3) + spoken(INSTRUCTION) + silence(30)
    with LLMServer() as server:
        settings = Settings(sounds=False, overlay=False, delivery="typing", cleanup=True,
                            cleanup_provider="custom", cleanup_urls={"custom": server.url},
                            cleanup_models={"custom": "clean"})  # fmt: skip
        parts = make_app(
            backend=local_backend(engine),
            settings=settings,
            source=lambda: FileSource(speech),
            name="command-llm",
        )
        c = parts.controller
        assert parts.command_mode is not None and parts.command_mode.editor is None
        try:
            finals: list[str] = []
            c.text_changed.connect(lambda final, _live: finals.append(final))
            parts.instance.command.emit("command")
            qtbot.waitUntil(lambda: any(finals), timeout=60000)
            with qtbot.waitSignal(parts.command_mode.edited, timeout=60000) as got:
                parts.instance.command.emit("command")
            assert got.args[0].applied, got.args[0]
            edited = "Hey can u send me the report."  # the server's edit: a capital, a stop
            wait_until(lambda: entry.text == edited, 20, f"the model's edit ({entry.text!r})")
            (asked,) = server.requests  # the edit only: the instruction is not cleaned
            assert "<selection>" in str(asked["messages"]) and asked["auth"] == "Bearer sk-test"
        finally:
            parts.shutdown()


def test_the_command_hotkey_is_held_like_the_dictation_hotkey(
    qtbot: QtBot, make_app: MakeApp, home: Path, engine: Engine, desktop: Desktop
) -> None:
    speech = silence(0.3) + spoken(INSTRUCTION) + silence(30)
    settings = Settings(sounds=False, overlay=False, command_hotkey="<ctrl>+<alt>+j")
    parts = make_app(
        backend=local_backend(engine),
        settings=settings,
        source=lambda: FileSource(speech),
        name="command-key",
    )
    start_hotkey(parts)
    c = parts.controller
    try:
        assert parts.command_hotkey is not None and parts.command_mode is not None
        qtbot.waitUntil(parts.command_hotkey.listening, timeout=10000)
        desktop.xdotool("keydown", "ctrl+alt+j")
        qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=30000)
        assert c.dictation.options.command  # the command hotkey: command mode
        with qtbot.waitSignal(parts.command_mode.edited, timeout=60000) as got:
            desktop.xdotool("keyup", "ctrl+alt+j")
        assert got.args[0].reason == NO_EDITOR  # no cleanup set up: said, nothing touched
    finally:
        parts.shutdown()
        desktop.xdotool("key", "shift")  # pynput's listener ends at its next X event
