"""A refused key loses nothing (issue 21): a team's `dictate serve --token right` refuses the
app's key while the user holds the key and speaks into the (virtual) microphone. The
dictation goes on until the release, all the audio is saved as failed with the reason, every
place says the same, "Set API key..." opens the custom server's key, and Retry with the
right key transcribes all of it. Also: the settings show the chosen backend's fields only.
"""

from __future__ import annotations

import shutil
import time

import pytest
from pytestqt.qtbot import QtBot

from app.backends import CUSTOM_KEY_NAME
from app.core.errors import Fix
from app.storage.secrets import SERVICE
from app.storage.settings import Settings
from app.ui.settings_dialog import SettingsDialog
from tests.file_keyring import MemoryKeyring
from tests.gui.conftest import MakeApp
from tests.served import Served
from tests.speech import TEXTS, pcm, seconds, silence, wer
from tests.virtual_mic import VirtualMic

needs_pulseaudio = pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs PulseAudio")


@needs_pulseaudio
def test_a_refused_key_keeps_every_word_and_retry_with_the_right_key_transcribes_them(
    qtbot: QtBot, vault: MemoryKeyring, mic: VirtualMic, make_app: MakeApp
) -> None:
    served = Served("--port", "0", "--token", "right")
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, "wrong")
    parts = make_app(
        Settings(sounds=False, overlay=False, backend="custom", custom_url=served.url,
                 microphone="pulse"),
        name="refused",
        show=True,
    )  # fmt: skip
    c, window = parts.controller, parts.window
    try:
        spoken = pcm("weather") + silence(1.0) + pcm("meeting") + silence(0.5)
        c.press()
        qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=20000)
        held_from = time.monotonic()
        mic.play(spoken)
        # Refused at once, while the user is still speaking: said, and recording goes on.
        qtbot.waitUntil(lambda: "still recording" in window.notice_text(), timeout=20000)
        assert "refused the API key" in window.notice_text()
        qtbot.waitUntil(lambda: mic.idle, timeout=30000)
        assert c.phase.value == "listening"
        held = time.monotonic() - held_from
        with qtbot.waitSignal(c.finished, timeout=30000):
            c.release()

        assert parts.history is not None
        row = parts.history.search()[0]
        assert row.status == "failed" and row.has_audio
        print(f"spoken {seconds(spoken):.2f} s, held {held:.2f} s, saved {row.duration_s:.2f} s")
        assert seconds(spoken) - 0.5 <= row.duration_s <= held + 3.0, (row.duration_s, held)
        audio = parts.history.audio(row.id)
        assert audio is not None and abs(seconds(audio) - row.duration_s) < 0.05
        # One reason, said the same way everywhere.
        reason = row.error
        assert "refused the API key" in reason
        assert window.status.text() == f"failed: {reason}"
        qtbot.waitUntil(lambda: window.notice_text() == f"failed: {reason}", timeout=10000)
        assert window.banner.isVisible() and window.banner_text.text().startswith(reason)
        assert "the audio is saved" in window.banner_text.text()
        assert window.banner_action.text() == Fix.SET_KEY.value

        # "Set API key..." opens the custom server's key, the only key shown.
        window.banner_action.click()
        qtbot.waitUntil(lambda: parts.actions.dialog is not None, timeout=10000)
        dialog = parts.actions.dialog
        assert dialog is not None
        qtbot.waitUntil(dialog.isVisible, timeout=5000)
        assert dialog.focusWidget() is dialog.custom_key
        assert dialog.custom_key.isVisibleTo(dialog) and not dialog.key.isVisibleTo(dialog)
        dialog.custom_key.setText("right")
        dialog.accept()

        # The key saved, the banner offers Retry, which transcribes all of it.
        qtbot.waitUntil(lambda: window.banner_action.text() == Fix.RETRY.value, timeout=20000)
        assert c.backend.api_key == "right"
        with qtbot.waitSignal(c.retried, timeout=60000) as retried:
            window.banner_action.click()
        got, text, error = retried.args
        assert got == row.id and not error, error
        assert wer(f"{TEXTS['weather']} {TEXTS['meeting']}", text) <= 0.5, text
        fixed = parts.history.get(row.id)
        assert fixed is not None and fixed.status == "ok" and fixed.text == text
    finally:
        parts.shutdown()
        served.close()


def _visible(dialog: SettingsDialog) -> dict[str, bool]:
    fields = {
        "together key": dialog.key, "together model": dialog.models["together"],
        "custom url": dialog.custom_url, "custom key": dialog.custom_key,
        "custom model": dialog.models["custom"], "local model": dialog.local_model,
        "language": dialog.language,
    }  # fmt: skip
    return {name: field.isVisibleTo(dialog) for name, field in fields.items()}


def test_the_settings_show_the_chosen_backends_fields_and_its_key_test(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(backend="custom", custom_url="ws://team:8765/v1"), [], False)
    qtbot.addWidget(dialog)
    shown = _visible(dialog)
    assert {name for name, on in shown.items() if on} == {
        "custom url", "custom key", "custom model", "language",
    }  # fmt: skip
    with qtbot.waitSignal(dialog.custom_key_test_requested, timeout=1000):
        dialog.test_custom_key.click()
    assert (dialog.custom_key_result.text(), dialog.key_result.text()) == ("testing…", "")

    dialog.backend.setCurrentIndex(dialog.backend.findData("together"))
    shown = _visible(dialog)
    assert {name for name, on in shown.items() if on} == {
        "together key", "together model", "language",
    }  # fmt: skip
    dialog.backend.setCurrentIndex(dialog.backend.findData("local"))
    assert {name for name, on in _visible(dialog).items() if on} == {"local model", "language"}
    # A key typed for a backend that is not chosen is not handed back to be stored.
    dialog.key.setText("tgp_v1_typed")
    assert dialog.new_key() == ""
    # "Set API key..." for Together's refusal: its key, shown and focused.
    dialog.focus_key("together")
    assert dialog.backend.currentData() == "together" and dialog.key.isVisibleTo(dialog)
    assert dialog.focusWidget() is dialog.key
    assert dialog.new_key() == "tgp_v1_typed"
