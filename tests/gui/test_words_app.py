"""Your words in the app: settings edited in the dialog persist, survive a restart, apply to
the next dictation and to Retry without a restart, and give the same text as the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app import paths
from app.audio.files import FileSource
from app.dictation.run import Source
from app.main import Parts
from app.storage import settings as settings_store
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp, open_settings_dialog
from tests.words_speech import EXPECTED, RULES, VOCABULARY, dictation


def speak(audio: bytes) -> Callable[[], Source]:
    return lambda: FileSource(audio, frame_ms=20, realtime=False)


def dictate(qtbot: QtBot, parts: Parts) -> tuple[str, int]:
    controller = parts.controller
    controller.press()
    qtbot.waitUntil(lambda: controller.phase.value == "listening", timeout=20000)
    run = controller._run
    assert run is not None
    qtbot.waitUntil(lambda: isinstance(run.source, FileSource) and run.source.wait(0),
                    timeout=20000)  # fmt: skip
    with qtbot.waitSignal(controller.finished, timeout=60000) as finished:
        controller.release()
    text, row = finished.args
    return str(text), int(row)


def test_words_from_the_dialog_apply_at_once_persist_and_rerender_retry(
    qtbot: QtBot, engine: Engine, home: Path, tmp_path: Path, make_app: MakeApp
) -> None:
    # The command line's speech detection, so both cut the speech into the same segments.
    settings = Settings(sounds=False, vad_preset="hands-free", vad_min_silence_ms=500,
                        vad_speech_pad_ms=250)  # fmt: skip
    parts = make_app(settings, source=speak(dictation()), backend=local_backend(engine),
                     name="words")  # fmt: skip
    assert parts.history is not None
    before, first_row = dictate(qtbot, parts)
    assert VOCABULARY not in before and "\n\n" in before  # commands are on by default

    dialog = open_settings_dialog(qtbot, parts)
    page = dialog.words_page
    page.vocabulary.setPlainText(VOCABULARY)
    (tmp_path / "import.txt").write_text(RULES + "not a rule\n")
    page.import_rules(tmp_path / "import.txt")
    assert "line 3" in page.rules_note.text()  # named, never silently dropped
    assert page.commands.isChecked() and page.fillers.isChecked()
    page.export_rules(tmp_path / "export.txt")
    assert (tmp_path / "export.txt").read_text().endswith(RULES.splitlines()[-1] + "\n")
    dialog.accept()

    shown: list[tuple[str, str]] = []
    parts.controller.text_changed.connect(lambda final, live: shown.append((final, live)))
    after, row = dictate(qtbot, parts)  # no restart
    assert after == EXPECTED
    # Every segment arrives as a live delta first: it is shown after the rules already.
    assert any("Best regards" in live for _final, live in shown)
    assert not any(w in f"{final} {live}".lower() for final, live in shown
                   for w in ("signature", "paragraph", "delete that"))  # fmt: skip
    assert parts.window.transcript.all_text().endswith(EXPECTED)
    # No app took it (no desktop here): copied, as the delivery says, once it is done.
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == EXPECTED, timeout=10000)
    saved = parts.history.get(row)
    assert saved is not None and saved.text == EXPECTED
    assert "Delete that." in saved.raw and "New paragraph." in saved.raw

    with qtbot.waitSignal(parts.controller.retried, timeout=60000) as retried:
        parts.controller.retry(first_row)  # the old dictation, with today's words
    assert retried.args[1:] == [EXPECTED, ""]
    again = parts.history.get(first_row)
    assert again is not None and again.text == EXPECTED

    # A rule change, then "Apply my words" in the history renders saved dictations again.
    parts.controller.settings.rules.append(["thank you", "Thanks"])
    parts.actions.open_history()
    panel = parts.actions.panel
    assert panel is not None
    with qtbot.waitSignal(parts.controller.notice, timeout=10000) as noticed:
        panel.rerender.click()
    assert noticed.args[0].message == "2 dictation(s) rendered again with your words"
    rendered = parts.history.get(row)
    assert rendered is not None and rendered.text.endswith("\n\nThanks for your help.")
    qtbot.waitUntil(lambda: "Thanks for your help." in panel.list.item(0).text())
    panel.close()

    qtbot.waitUntil(lambda: settings_store.load(paths.config_dir()).vocabulary != [],
                    timeout=10000)  # fmt: skip
    restarted = settings_store.load(paths.config_dir())
    assert restarted.vocabulary == [VOCABULARY]
    assert restarted.rules == [["my signature", "Best regards,\nJane"]]  # saved at Save
    assert restarted.spoken_commands and restarted.remove_fillers
