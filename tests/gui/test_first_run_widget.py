"""The first-run setup as a widget, offscreen: walked with Next to Finish, the choices come
back in a copy of the settings; Skip keeps the defaults; the test phrase, the level, the key
test and the self-check problems go through its signals and slots."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QRadioButton, QWizard
from pytestqt.qtbot import QtBot

from app.delivery.chain import Environment
from app.storage.settings import Settings
from app.ui.first_run import PHRASE, FirstRunDialog

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform's own limit, said of every window with a layout
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]
X11 = Environment(x11=True, wayland=False, ibus=False, xdotool=True, xclip=True,
                  wayland_tool=None)  # fmt: skip
MICS = ["USB Headset", "Laptop Microphone"]


def wizard(qtbot: QtBot, settings: Settings | None = None, **kwargs: object) -> FirstRunDialog:
    kwargs.setdefault("wayland", False)
    kwargs.setdefault("environment", X11)
    dialog = FirstRunDialog(settings or Settings(), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def click(qtbot: QtBot, dialog: FirstRunDialog, which: QWizard.WizardButton) -> None:
    button = dialog.button(which)
    assert button.isVisible() and button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def backend_button(dialog: FirstRunDialog, title: str) -> QRadioButton:
    found = [b for b in dialog.backend.choices.buttons() if b.text() == title]
    assert len(found) == 1, [b.text() for b in dialog.backend.choices.buttons()]
    return found[0]  # type: ignore[return-value]


def test_walking_the_pages_with_next_returns_the_choices(qtbot: QtBot) -> None:
    before = Settings()
    dialog = wizard(qtbot, before)
    assert not dialog.isModal() and QApplication.activeModalWidget() is None
    dialog.set_microphones(MICS)
    dialog.mic.microphone.setCurrentIndex(dialog.mic.microphone.findText("USB Headset"))
    click(qtbot, dialog, QWizard.WizardButton.NextButton)

    assert dialog.currentPage() is dialog.hotkey_page
    capture = dialog.hotkey.capture
    assert capture.shown.text() == "Ctrl+Alt+D"
    QTest.mouseClick(capture.change, Qt.MouseButton.LeftButton)
    QTest.keyClick(capture, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert capture.shown.text() == "Ctrl+Space"
    dialog.hotkey.mode_box.setCurrentIndex(dialog.hotkey.mode_box.findData("toggle"))
    click(qtbot, dialog, QWizard.WizardButton.NextButton)

    assert dialog.currentPage() is dialog.backend
    assert dialog.backend.problems.isHidden()
    assert not dialog.backend.key.isEnabled()  # the local engine needs no key
    backend_button(dialog, "Together AI").click()
    assert dialog.backend.key.isEnabled()
    QTest.keyClicks(dialog.backend.key, "tgp_v1_secret")
    click(qtbot, dialog, QWizard.WizardButton.NextButton)

    assert dialog.currentPage() is dialog.delivery
    assert dialog.delivery.here.text() == "Here: typing on this desktop."
    dialog.delivery.method.setCurrentIndex(dialog.delivery.method.findData("clipboard"))
    assert dialog.delivery.here.text() == "Here: clipboard."
    dialog.delivery.copy.setChecked(False)
    with (
        qtbot.assertNotEmitted(dialog.skipped),
        qtbot.waitSignal(dialog.completed, timeout=1000) as done,
    ):
        click(qtbot, dialog, QWizard.WizardButton.FinishButton)

    settings, key = done.args
    assert key == "tgp_v1_secret"
    assert isinstance(settings, Settings) and settings is not before
    assert settings.microphone == "USB Headset"
    assert (settings.hotkey, settings.hotkey_mode) == ("<ctrl>+<space>", "toggle")
    assert settings.backend == "together"
    assert (settings.delivery, settings.auto_copy) == ("clipboard", False)
    assert settings.models == before.models and settings.models is not before.models
    assert before == Settings()  # the caller's object is untouched
    assert not dialog.isVisible()


def test_skip_closes_keeping_the_defaults(qtbot: QtBot) -> None:
    dialog = wizard(qtbot)
    assert dialog.button(QWizard.WizardButton.CancelButton).text() == "Skip setup"
    click(qtbot, dialog, QWizard.WizardButton.NextButton)
    with (
        qtbot.assertNotEmitted(dialog.completed),
        qtbot.waitSignal(dialog.skipped, timeout=1000),
    ):
        click(qtbot, dialog, QWizard.WizardButton.CancelButton)
    assert not dialog.isVisible()


def test_skip_is_offered_on_every_page(qtbot: QtBot) -> None:
    dialog = wizard(qtbot)
    for _ in range(3):
        assert dialog.button(QWizard.WizardButton.CancelButton).isVisible()
        dialog.next()
    assert dialog.currentPage() is dialog.delivery
    assert dialog.button(QWizard.WizardButton.CancelButton).isVisible()
    with qtbot.waitSignal(dialog.skipped, timeout=1000):
        dialog.close()  # the window's own close button is a skip too


def test_the_level_is_wanted_only_while_the_microphone_page_shows(qtbot: QtBot) -> None:
    dialog = FirstRunDialog(Settings(), wayland=False, environment=X11)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.mic_test_toggled, timeout=1000) as on:
        dialog.show()
    assert on.args == [True]
    dialog.on_level(-12.0)
    assert dialog.mic.level.level > 0.5
    with qtbot.waitSignal(dialog.mic_test_toggled, timeout=1000) as off:
        dialog.next()
    assert off.args == [False]
    with qtbot.waitSignal(dialog.mic_test_toggled, timeout=1000) as again:
        dialog.back()
    assert again.args == [True]
    with qtbot.waitSignal(dialog.mic_test_toggled, timeout=1000) as closed:
        dialog.reject()
    assert closed.args == [False]


def test_the_phrase_button_sends_the_chosen_microphone_and_shows_what_was_heard(
    qtbot: QtBot,
) -> None:
    dialog = wizard(qtbot, Settings(microphone="Laptop Microphone"))
    assert dialog.mic.microphone.currentText() == "Laptop Microphone (not connected)"
    dialog.set_microphones(MICS)  # the list arrives later, the choice stays
    assert dialog.mic.microphone.currentText() == "Laptop Microphone"
    assert dialog.mic.microphone.itemText(0) == "System default"
    with qtbot.waitSignal(dialog.microphone_changed, timeout=1000) as changed:
        dialog.mic.microphone.setCurrentIndex(1)
    assert changed.args == ["USB Headset"]
    button = dialog.mic.phrase
    assert PHRASE in button.text()
    with qtbot.waitSignal(dialog.phrase_pressed, timeout=1000) as pressed:
        QTest.mousePress(button, Qt.MouseButton.LeftButton)
    assert pressed.args == ["USB Headset"]
    assert dialog.mic.result.text() == "Listening…"
    with qtbot.waitSignal(dialog.phrase_released, timeout=1000):
        QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert dialog.mic.result.text() == "Transcribing…"

    dialog.on_phrase("The quick brown fox jumped over the lazy dog.")
    shown = dialog.mic.result.text()
    assert "The quick brown fox jumped over the lazy dog." in shown and "✓" in shown
    dialog.on_phrase("hello")
    assert "Not quite" in dialog.mic.result.text()
    dialog.on_phrase("")
    assert "Nothing was heard" in dialog.mic.result.text()
    dialog.on_phrase_error("The microphone is used by another app.")
    assert dialog.mic.result.text() == "⚠ The microphone is used by another app."


def test_system_default_is_sent_as_an_empty_name(qtbot: QtBot) -> None:
    dialog = wizard(qtbot)
    dialog.set_microphones(MICS)
    with qtbot.waitSignal(dialog.phrase_pressed, timeout=1000) as pressed:
        dialog.mic.phrase.pressed.emit()
    assert pressed.args == [""]


def test_self_check_problems_are_listed_in_words(qtbot: QtBot) -> None:
    problems = [
        "PortAudio is missing: install libportaudio2 (sudo apt install libportaudio2).",
        "The local model could not be loaded: reinstall Dictate.",
    ]
    dialog = wizard(qtbot, self_check_problems=problems)
    dialog.next()
    dialog.next()
    assert dialog.backend.problems.isVisible()
    text = dialog.backend.problems_text.text()
    assert all(f"• {p}" in text for p in problems)
    dialog.set_problems([])
    assert dialog.backend.problems.isHidden()
    dialog.set_problems(problems[:1])
    assert dialog.backend.problems.isVisible()
    assert "libportaudio2" in dialog.backend.problems_text.text()


def test_test_key_asks_and_shows_the_answer(qtbot: QtBot) -> None:
    dialog = wizard(qtbot, Settings(backend="together"), has_key=True)
    dialog.next()
    dialog.next()
    assert backend_button(dialog, "Together AI").isChecked()
    assert dialog.backend.key.placeholderText() == "stored in the OS keyring"
    dialog.backend.key.setText("  tgp_v1_other ")
    with qtbot.waitSignal(dialog.test_key_requested, timeout=1000) as asked:
        QTest.mouseClick(dialog.backend.test_key, Qt.MouseButton.LeftButton)
    assert asked.args == ["tgp_v1_other"]
    assert dialog.backend.key_result.text() == "Testing…"
    dialog.on_key_tested("The key works: Together answered.")
    assert dialog.backend.key_result.text() == "The key works: Together answered."
    backend_button(dialog, "On this computer").click()
    assert dialog.api_key() == "" and dialog.settings().backend == "local"


def test_a_custom_server_is_kept_as_a_choice(qtbot: QtBot) -> None:
    dialog = wizard(qtbot, Settings(backend="custom", custom_url="ws://team:8765/v1"))
    assert backend_button(dialog, "Your own server").isChecked()
    assert dialog.settings().backend == "custom"
    plain = wizard(qtbot, Settings())
    titles = [b.text() for b in plain.backend.choices.buttons()]
    assert titles == ["On this computer", "Together AI"]
    assert plain.settings().backend == "local"  # auto without a key is the local engine


def test_the_desktop_is_looked_at_when_nobody_said(qtbot: QtBot) -> None:
    dialog = wizard(qtbot, environment=None)
    assert dialog.delivery.here.text() == ""
    for _ in range(3):
        dialog.next()
    assert dialog.delivery.here.text().startswith("Here: ")
    dialog.set_environment(X11)
    assert dialog.delivery.here.text() == "Here: typing on this desktop."


def test_keys_pressed_for_the_hotkey_do_not_work_the_wizard(qtbot: QtBot) -> None:
    """Escape cancels the capture, not the setup; Enter is recorded, not Next."""
    dialog = wizard(qtbot)
    dialog.next()
    capture = dialog.hotkey.capture
    QTest.mouseClick(capture.change, Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(dialog.skipped):
        QTest.keyClick(capture, Qt.Key.Key_Escape)
    assert dialog.isVisible() and not capture.capturing()
    QTest.mouseClick(capture.change, Qt.MouseButton.LeftButton)
    QTest.keyClick(capture, Qt.Key.Key_Return, Qt.KeyboardModifier.AltModifier)
    assert dialog.currentPage() is dialog.hotkey_page
    assert capture.combo() == "<alt>+<enter>"
