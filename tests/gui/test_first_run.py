"""The first-run setup end to end: the virtual microphone's live level, a spoken test phrase
transcribed by the real engine, the choices applied and saved; and dictation while it is open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app import paths
from app.core.notices import MICROPHONE_STALLED
from app.storage import settings as settings_store
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic


def test_first_run_hears_the_phrase_applies_the_choices_and_never_blocks_dictation(
    qtbot: QtBot, home: Path, engine: Engine, mic: VirtualMic, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False), name="first", backend=local_backend(engine)
    )
    try:
        parts.first_run.open_if_new()  # a first start: no settings file yet
        dialog = parts.first_run.dialog
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        qtbot.waitUntil(lambda: dialog.mic.microphone.count() > 1, timeout=10000)
        assert dialog.mic.microphone.findData("pulse") >= 0  # the virtual microphone, listed

        # The live level follows the microphone.
        mic.play(pcm("fox"))
        qtbot.waitUntil(lambda: dialog.mic.level.level > 0.2, timeout=10000)
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)

        # The test phrase: held, spoken, released, transcribed.
        dialog.mic.phrase.pressed.emit()
        mic.play(pcm("fox") + silence(0.3))
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)
        dialog.mic.phrase.released.emit()
        qtbot.waitUntil(lambda: "Dictate heard" in dialog.mic.result.text(), timeout=30000)
        assert "quick" in dialog.mic.result.text().lower()  # the phrase, from the microphone

        # While the setup is open, dictation works with the settings in force.
        with qtbot.waitSignal(parts.controller.phase_changed, timeout=10000):
            parts.controller.press()
        qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
        mic.play(pcm("weather") + silence(0.3))
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)
        with qtbot.waitSignal(parts.controller.finished, timeout=60000) as finished:
            parts.controller.release()
        assert "weather" in finished.args[0].lower()
        assert dialog.isVisible()

        # The choices: a microphone, a hotkey in toggle mode, the local engine; then Done.
        dialog.mic.microphone.setCurrentIndex(dialog.mic.microphone.findData("pulse"))
        dialog.next()
        dialog.hotkey.set_values("<ctrl>+<alt>+j", "toggle")
        dialog.next()
        dialog.next()
        assert dialog.button(QWizard.WizardButton.FinishButton).isVisible()
        dialog.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: parts.first_run.dialog is None, timeout=5000)
        now = parts.settings.current
        assert now.first_run_done and now.microphone == "pulse"
        assert (now.hotkey, now.hotkey_mode) == ("<ctrl>+<alt>+j", "toggle")
        qtbot.waitUntil(lambda: settings_store.load(paths.config_dir()).first_run_done,
                        timeout=10000)  # fmt: skip
        saved = settings_store.load(paths.config_dir())
        assert saved.microphone == "pulse" and saved.hotkey == "<ctrl>+<alt>+j"

        parts.first_run.open_if_new()  # done once: not again at the next start
        assert parts.first_run.dialog is None
    finally:
        parts.shutdown()


def test_skipping_the_setup_keeps_the_defaults_and_it_can_be_reopened(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False), name="skip", backend=local_backend(engine)
    )
    try:
        parts.first_run.open_if_new()
        dialog = parts.first_run.dialog
        assert dialog is not None
        dialog.reject()  # "Skip setup"
        qtbot.waitUntil(lambda: parts.first_run.dialog is None, timeout=5000)
        assert parts.settings.current.first_run_done
        assert parts.settings.current.hotkey == Settings().hotkey
        parts.window.setup.click()  # from the window, any time
        assert parts.first_run.dialog is not None and parts.first_run.dialog.isVisible()
    finally:
        parts.shutdown()


def test_the_setup_recovers_a_microphone_that_stalls_and_says_so(
    qtbot: QtBot, home: Path, engine: Engine, mic: VirtualMic, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False), name="stall", backend=local_backend(engine)
    )
    try:
        parts.first_run.open_if_new()
        dialog = parts.first_run.dialog
        assert dialog is not None
        level, result = dialog.mic.level, dialog.mic.result
        mic.play(pcm("fox"))
        qtbot.waitUntil(lambda: level.level > 0.2, timeout=10000)
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)

        # Asleep (a suspended source), then gone (unplugged): said in the setup and the
        # window, and the level moves again once the microphone is back.
        for away, back in ((mic.suspend, lambda: mic.suspend(False)),
                           (mic.unplug, mic.load_source)):  # fmt: skip
            away()
            qtbot.waitUntil(lambda: "stopped delivering" in result.text(), timeout=10000)
            assert "stopped delivering" in parts.window.notice_text()
            back()
            qtbot.waitUntil(lambda: "stopped delivering" not in result.text(), timeout=20000)
            assert "stopped delivering" not in parts.window.notice_text()
            level.reset()
            mic.play(pcm("fox"))
            qtbot.waitUntil(lambda: level.level > 0.2, timeout=10000)
            qtbot.waitUntil(lambda: mic.idle, timeout=20000)

        dialog.mic.phrase.pressed.emit()  # and the test phrase is heard
        mic.play(pcm("fox") + silence(0.3))
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)
        dialog.mic.phrase.released.emit()
        qtbot.waitUntil(lambda: "Dictate heard" in result.text(), timeout=30000)
        assert "quick" in result.text().lower()
    finally:
        parts.shutdown()


def test_a_microphone_that_stalls_in_a_dictation_is_said_until_sound_returns(
    qtbot: QtBot, home: Path, engine: Engine, mic: VirtualMic, make_app: MakeApp
) -> None:
    settings = Settings(sounds=False, overlay=False, first_run_done=True)
    parts = make_app(settings, name="stall-window", backend=local_backend(engine))
    controller, window = parts.controller, parts.window
    try:
        controller.press()
        qtbot.waitUntil(lambda: controller.phase.value == "listening", timeout=20000)
        mic.suspend()
        qtbot.waitUntil(lambda: "stopped delivering" in window.notice_text(), timeout=10000)
        with qtbot.waitSignal(controller.finished, timeout=60000):
            controller.release()
        assert window.notices.holds(MICROPHONE_STALLED)  # until sound comes back
        mic.suspend(False)
        controller.press()
        qtbot.waitUntil(lambda: not window.notices.holds(MICROPHONE_STALLED), timeout=20000)
        mic.play(pcm("weather") + silence(0.3))
        qtbot.waitUntil(lambda: mic.idle, timeout=20000)
        with qtbot.waitSignal(controller.finished, timeout=60000) as finished:
            controller.release()
        assert "weather" in finished.args[0].lower()
    finally:
        parts.shutdown()
