"""Settings for cleanup by a language model: on/off, provider, address, model, key, timeout,
style and the user's own instructions, with plain words on what leaves the machine.

Each provider keeps its own address and model (`Settings.cleanup_urls` / `cleanup_models`);
switching the provider shows its values, or its preset's. The key goes to the keyring (or
the user's key file where there is no keyring), never to the settings file; Together uses
the transcription key, so a Together user has nothing more to set up.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app.dictation.cleanup import PROVIDERS, STYLES
from app.storage.settings import Settings

STYLE_NAMES = {
    "verbatim": "Verbatim (no cleanup)",
    "clean": "Clean: punctuation, capitals, no fillers or false starts, numbers",
    "message": "Message: short and casual",
    "email": "Email: paragraphs, polite",
    "notes": "Notes: one point a line",
    "own": "Only my own instructions",
}
PRIVACY = (
    "<b>What leaves this computer:</b> with cleanup on, the text of each dictation (after "
    "your words, never the audio) is sent to the address above when you stop speaking, "
    "and the answer comes back from there. Together and OpenAI are services on the "
    "internet; Ollama, llama.cpp and LM Studio at a localhost address stay on this "
    "computer. Nothing of the text is written to Dictate's log. When the answer is late, "
    "refused, or not a cleanup of what you said, the text as heard is used and the reason "
    "is shown."
)


class CleanupPage(QGroupBox):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Cleanup", parent)
        self.urls = dict(settings.cleanup_urls)
        self.models = dict(settings.cleanup_models)
        form = QFormLayout(self)
        self.enabled = QCheckBox("Clean the final text with a language model")
        self.enabled.setChecked(settings.cleanup)
        self.provider = QComboBox()
        for name, preset in PROVIDERS.items():
            self.provider.addItem(preset.label, name)
        self.provider.setCurrentIndex(max(0, self.provider.findData(settings.cleanup_provider)))
        self._shown = settings.cleanup_provider
        self.url = QLineEdit()
        self.model = QLineEdit()
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_note = QLabel("")
        self.key_note.setWordWrap(True)
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(0.5, 60.0)
        self.timeout.setSingleStep(0.5)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(settings.cleanup_timeout_s)
        self.style_box = QComboBox()
        for name in STYLES:
            self.style_box.addItem(STYLE_NAMES.get(name, name), name)
        self.style_box.setCurrentIndex(max(0, self.style_box.findData(settings.cleanup_style)))
        self.instructions = QPlainTextEdit(settings.cleanup_instructions)
        self.instructions.setPlaceholderText("e.g. use British spelling; never use emoji")
        self.instructions.setMaximumHeight(70)
        privacy = QLabel(PRIVACY)
        privacy.setWordWrap(True)
        form.addRow("", self.enabled)
        form.addRow("Provider", self.provider)
        form.addRow("Address", self.url)
        form.addRow("Model", self.model)
        form.addRow("Key", self.key)
        form.addRow("", self.key_note)
        form.addRow("Give up after", self.timeout)
        form.addRow("Style", self.style_box)
        form.addRow("Your instructions", self.instructions)
        form.addRow("Privacy", privacy)
        self._show(settings.cleanup_provider)
        self.provider.currentIndexChanged.connect(self._provider_changed)

    @Slot(int)
    def _provider_changed(self, _index: int) -> None:
        self._keep()
        self._show(str(self.provider.currentData()))

    def _keep(self) -> None:
        """The shown provider's address and model, kept when they differ from its preset."""
        preset = PROVIDERS[self._shown]
        url, model = self.url.text().strip(), self.model.text().strip()
        self.urls[self._shown] = "" if url == preset.url else url
        self.models[self._shown] = "" if model == preset.model else model

    def _show(self, name: str) -> None:
        preset = PROVIDERS[name]
        self._shown = name
        self.url.setText(self.urls.get(name) or preset.url)
        self.model.setText(self.models.get(name) or preset.model)
        self.key.clear()
        self.key.setEnabled(bool(preset.key_name) and name != "together")
        if name == "together":
            self.key_note.setText("Together uses the key on the Transcription page.")
        elif not preset.key_name:
            self.key_note.setText("A server on this computer wants no key.")
        else:
            self.key_note.setText("Leave empty to keep the saved key.")

    def apply(self, settings: Settings) -> None:
        """The page's values into `settings` (a new key: `new_key`, saved with them)."""
        self._keep()
        settings.cleanup = self.enabled.isChecked()
        settings.cleanup_provider = self._shown
        settings.cleanup_urls = {k: v for k, v in self.urls.items() if v}
        settings.cleanup_models = {k: v for k, v in self.models.items() if v}
        settings.cleanup_timeout_s = self.timeout.value()
        settings.cleanup_style = str(self.style_box.currentData())
        settings.cleanup_instructions = self.instructions.toPlainText().strip()

    def new_key(self) -> dict[str, str]:
        """A key typed for the provider shown: {its name in the key store: the key}. It is
        kept where the Transcription page keeps keys, with the settings, all or nothing."""
        key, preset = self.key.text().strip(), PROVIDERS[self._shown]
        if key and preset.key_name and self._shown != "together":
            return {preset.key_name: key}
        return {}
