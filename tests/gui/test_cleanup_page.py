"""Settings → Cleanup: each provider keeps its address and model, the key goes to the keyring
with the settings when they are saved (never into them), Together needs none of its own, and
the page says what leaves the machine; what Save gives is what the next dictation's options
use."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app import paths
from app.dictation.cleanup import PROVIDERS
from app.dictation.options import DictationOptions
from app.storage.secrets import get_secret, store_secrets
from app.storage.settings import Settings
from app.ui.cleanup_page import PRIVACY, CleanupPage
from app.ui.settings_dialog import SettingsDialog
from tests.file_keyring import MemoryKeyring
from tests.gui.conftest import MakeApp, open_settings_dialog


def test_the_page_keeps_each_providers_values_and_the_key_in_the_keyring(
    qtbot: QtBot, vault: MemoryKeyring
) -> None:
    page = CleanupPage(Settings())
    qtbot.addWidget(page)
    assert not page.enabled.isChecked()  # off by default
    assert page.url.text() == PROVIDERS["together"].url and not page.key.isEnabled()
    assert "Transcription page" in page.key_note.text()

    page.enabled.setChecked(True)
    page.provider.setCurrentIndex(page.provider.findData("ollama"))
    assert page.url.text() == "http://localhost:11434/v1" and not page.key.isEnabled()
    page.model.setText("qwen2.5:3b")
    page.provider.setCurrentIndex(page.provider.findData("custom"))
    page.url.setText("http://gpu-box:8000/v1")
    page.model.setText("my-model")
    page.key.setText("sk-custom")
    page.timeout.setValue(2.5)
    page.style_box.setCurrentIndex(page.style_box.findData("email"))
    page.instructions.setPlainText("use British spelling")
    page.provider.setCurrentIndex(page.provider.findData("ollama"))
    assert page.model.text() == "qwen2.5:3b"  # kept while another provider was shown
    page.provider.setCurrentIndex(page.provider.findData("custom"))
    assert (page.url.text(), page.model.text()) == ("http://gpu-box:8000/v1", "my-model")
    page.key.setText("sk-custom")

    saved = Settings()
    page.apply(saved)
    assert saved.cleanup and saved.cleanup_provider == "custom"
    assert saved.cleanup_urls == {"custom": "http://gpu-box:8000/v1"}  # presets not copied
    assert saved.cleanup_models == {"ollama": "qwen2.5:3b", "custom": "my-model"}
    assert (saved.cleanup_timeout_s, saved.cleanup_style) == (2.5, "email")
    assert "sk-custom" not in repr(saved)
    # The key is kept with the settings, all or nothing, by whoever saves them.
    assert page.new_key() == {"cleanup_custom_api_key": "sk-custom"}
    assert get_secret("cleanup_custom_api_key") is None
    store_secrets(page.new_key())

    options = DictationOptions.of(saved).cleanup
    assert options is not None
    assert (options.base_url, options.model_name, options.key()) == (
        "http://gpu-box:8000/v1", "my-model", "sk-custom")  # fmt: skip
    assert DictationOptions.of(saved).hold_commits
    saved.cleanup_style = "verbatim"
    assert DictationOptions.of(saved).cleanup is None  # verbatim: nothing to clean


def test_the_settings_dialog_has_the_page_with_its_privacy_words(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), [], False)
    qtbot.addWidget(dialog)
    titles = [dialog.pages.tabText(i) for i in range(dialog.pages.count())]
    assert "Cleanup" in titles
    dialog.cleanup_page.enabled.setChecked(True)
    assert dialog.accepted_settings().cleanup
    assert "What leaves this computer" in PRIVACY and "never the audio" in PRIVACY
    assert "Nothing of the text is written to Dictate's log" in PRIVACY


def test_saving_settings_keeps_the_cleanup_key_with_them(
    qtbot: QtBot, vault: MemoryKeyring, make_app: MakeApp
) -> None:
    parts = make_app(Settings(sounds=False, overlay=False), name="cleanup-key")
    dialog = open_settings_dialog(qtbot, parts)
    page = dialog.cleanup_page
    page.enabled.setChecked(True)
    page.provider.setCurrentIndex(page.provider.findData("openai"))
    page.key.setText("sk-openai")
    dialog.accept()
    saved = paths.config_dir() / "settings.json"
    qtbot.waitUntil(lambda: saved.exists() and '"openai"' in saved.read_text(), timeout=10000)
    assert get_secret("cleanup_openai_api_key") == "sk-openai"
    assert parts.settings.current.cleanup_provider == "openai"
    assert "sk-openai" not in saved.read_text()
