"""Every path to a final text goes through `finalize()`: the same segments give the same text
in a dictation, Retry, history's "Apply my words", the first-run test phrase and the command
line. The recognizer is scripted (behind the real client); everything else is the app's."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.backends import stream_pcm
from app.commands.transcribe import Printer
from app.controller.bridge import Bridge
from app.controller.dictation import DictationController
from app.core.phases import Phase
from app.core.text import raw_text
from app.delivery.xtest import Window
from app.dictation.finalize import finalize
from app.dictation.target import Target
from app.shell.actions import Actions
from app.shell.first_run import FirstRun
from app.storage.history import History
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from app.ui.first_run import FirstRunDialog
from app.ui.main_window import MainWindow
from tests.scripted_recognizer import ScriptedRecognizer, backend
from tests.speech import silence

SEGMENTS = ["Hello there.", "Um, the the report is late.", "Scratch that.",
            "The report is ready. New paragraph.", "Thanks btw."]  # fmt: skip
EXPECTED = "Hello there. The report is ready.\n\nThanks by the way."


def settings(**changes: object) -> Settings:
    return Settings(sounds=False, vocabulary=["Nguyen"], rules=[["btw", "by the way"]],
                    **changes)  # type: ignore[arg-type]  # fmt: skip


class Microphone:
    """Half a second of audio at once, as a microphone that opened would have."""

    def start(self, sink: Callable[[bytes], None]) -> None:
        sink(silence(0.5))

    def stop(self) -> None:
        pass


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    kept = History(tmp_path / "history.sqlite3")
    yield kept
    kept.close()


def controller_for(recognizer: ScriptedRecognizer, history: History,
                   source: SettingsSource) -> DictationController:  # fmt: skip
    controller = DictationController(Bridge(), backend(), Microphone, history, source)
    controller.open_client = recognizer.open_client
    return controller


def dictate(qtbot: QtBot, controller: DictationController) -> tuple[str, int]:
    with qtbot.waitSignal(controller.finished, timeout=30000) as finished:
        controller.press()
        qtbot.waitUntil(lambda: controller.phase == Phase.LISTENING, timeout=30000)
        controller.release()
    text, row = finished.args
    return text, row


def test_the_same_segments_give_the_same_text_on_every_path(qtbot: QtBot, history: History) -> None:
    recognizer = ScriptedRecognizer(SEGMENTS)
    source = SettingsSource(settings())
    assert finalize(SEGMENTS, source.current.words()).text == EXPECTED
    controller = controller_for(recognizer, history, source)
    shown: list[tuple[str, str]] = []
    controller.text_changed.connect(lambda final, live: shown.append((final, live)))

    # A dictation: shown, delivered and saved.
    text, row = dictate(qtbot, controller)
    assert text == EXPECTED and shown[-1] == (EXPECTED, "")
    saved = history.get(row)
    assert saved is not None and (saved.text, saved.raw) == (EXPECTED, raw_text(SEGMENTS))

    # Retry of that dictation's audio.
    with qtbot.waitSignal(controller.retried, timeout=30000) as retried:
        controller.retry(row)
    assert retried.args == [row, EXPECTED, ""]

    # History's "Apply my words" over a row whose text is stale.
    stale = history.add("stale text", raw=raw_text(SEGMENTS), started_at=time.time(),
                        duration_s=1.0, backend="local", model="scripted")  # fmt: skip
    with qtbot.waitSignal(controller.history_changed, timeout=30000):
        controller.rerender_history()
    again = history.get(stale)
    assert again is not None and again.text == EXPECTED

    # The first-run setup's test phrase.
    window = MainWindow()
    qtbot.addWidget(window)
    bridge = controller.bridge
    actions = Actions(window, controller, bridge, history, source, lambda _s: backend())
    first_run = FirstRun(window, controller, bridge, source, actions)
    dialog = FirstRunDialog(source.current, [], window)
    qtbot.addWidget(dialog)
    first_run.dialog = dialog
    first_run.mic_test.recording = bytearray(silence(0.5))  # what the phrase button recorded
    first_run._phrase_released()
    qtbot.waitUntil(lambda: "Dictate heard" in dialog.mic.result.text(), timeout=30000)
    assert f"“{EXPECTED}”" in dialog.mic.result.text()

    # `dictate transcribe` / `listen`: the printer's final line, and its JSON.
    for as_json in (False, True):
        out = io.StringIO()
        printer = Printer(out, as_json=as_json, live=False, words=source.current.words())
        config = backend().client_config(language="en")
        result = stream_pcm(recognizer.open_client(config, printer), silence(0.5),
                            realtime=False)  # fmt: skip
        assert printer.finish(result) == EXPECTED
        last = out.getvalue().rstrip("\n").rsplit("\n", 1)[-1] if as_json else out.getvalue()
        if as_json:
            assert json.loads(last) == {"event": "Final", "text": EXPECTED,
                                        "raw": raw_text(SEGMENTS), "rendered": EXPECTED,
                                        "cleaned": "", "note": ""}  # fmt: skip
        else:
            assert last == EXPECTED + "\n"


def test_a_change_saved_mid_dictation_applies_from_the_next_press(
    qtbot: QtBot, history: History
) -> None:
    recognizer = ScriptedRecognizer(SEGMENTS)
    source = SettingsSource(settings(language="en"))
    controller = controller_for(recognizer, history, source)
    editor = Target(Window("0x1", "notes.txt - Editor", "editor.Editor", 4242), "editor")
    asked_on: list[str] = []

    def find_target() -> Target:
        asked_on.append(threading.current_thread().name)
        return editor

    controller.find_target = find_target
    started: list[object] = []
    controller.started.connect(started.append)
    with qtbot.waitSignal(controller.finished, timeout=30000) as finished:
        controller.press()
        edited = source.edit()  # saved from Settings while the user speaks
        edited.language, edited.rules, edited.spoken_commands = "de", [], False
        edited.history_audio, edited.continuous = False, True
        source.apply(edited)
        qtbot.waitUntil(lambda: controller.phase == Phase.LISTENING, timeout=30000)
        controller.release()
    text, row = finished.args
    assert text == EXPECTED  # the words in force at press: rules and commands applied
    assert recognizer.languages() == ["en"]
    saved = history.get(row)
    assert saved is not None and saved.has_audio  # keep_audio was on at press
    first = controller.dictation
    assert first is started[0] and first.options.language == "en"
    assert not first.options.continuous
    assert first.target.result() == editor and asked_on == ["target"]  # at press, apart

    text, row = dictate(qtbot, controller)
    assert recognizer.languages() == ["en", "de"]
    assert text == (
        "Hello there. The report is late. Scratch that. The report is ready. "
        "New paragraph. Thanks btw."
    )  # no rules, no commands: as saved meanwhile
    saved = history.get(row)
    assert saved is not None and not saved.has_audio
    assert controller.dictation.options.continuous and controller.dictation is not first
