"""Settings: backend and key, models, language, microphone, VAD, hotkeys, delivery, history,
your words and per-app profiles.

The dialog edits a copy of `Settings`; `accepted_settings()` returns it, and the API key
(never stored in the settings file) comes back separately for the keyring (or, without one,
where the user chose: `key_store()`), and so does the custom server's key (a team's
`dictate serve --token`); a key comes back only for the backend chosen. The Transcription
page (`BackendPage`) shows only that backend's fields. "Test key" runs a real handshake in
the background, against Together or against the custom URL, and says what it answered
under the key that was tested.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QLocale, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.delivery.chain import CHOICES as DELIVERY_CHOICES
from app.delivery.chain import HELP as DELIVERY_HELP
from app.delivery.chain import Environment
from app.delivery.chain import describe as describe_delivery
from app.dictation.target import Target
from app.models.catalog import WHISPER_LANGUAGES
from app.storage.settings import VAD_PRESETS, Settings
from app.ui.backend_page import CUSTOM, TOGETHER, BackendPage
from app.ui.cleanup_page import CleanupPage
from app.ui.key_capture import HotkeyEditor, KeyCapture
from app.ui.level_meter import LevelMeter
from app.ui.profiles_page import ProfilesPage
from app.ui.services import Downloads
from app.ui.words_page import WordsPage


class SettingsDialog(QDialog):
    """Signals: `test_key_requested(str key)`, `custom_key_test_requested(str url, str key,
    str model)`, `mic_test_toggled(bool on)`."""

    test_key_requested = Signal(str)
    custom_key_test_requested = Signal(str, str, str)
    mic_test_toggled = Signal(bool)

    def __init__(
        self,
        settings: Settings,
        microphones: list[str],
        has_key: bool,
        parent: QWidget | None = None,
        *,
        has_custom_key: bool = False,
        keyring: bool = True,
        key_file: str = "",
        downloads: Downloads | None = None,
        environment: Environment | None = None,
        front: Target | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dictate — settings")
        s = dataclasses.replace(settings, models=dict(settings.models))
        self.edited = s
        outer = QVBoxLayout(self)
        self.pages = QTabWidget()  # one page per group: the dialog fits a laptop screen
        outer.addWidget(self.pages)

        self.language = language_box(s.language)
        page = BackendPage(
            s, has_key=has_key, has_custom_key=has_custom_key, keyring=keyring,
            key_file=key_file, downloads=downloads, language=self.language,
        )  # fmt: skip
        self.transcription = page
        # The page's fields, by the names the dialog has always had.
        self.backend, self.custom_url, self.models = page.backend, page.custom_url, page.models
        self.key, self.test_key, self.key_result = page.key, page.test_key, page.key_result
        self.custom_key, self.test_custom_key = page.custom_key, page.test_custom_key
        self.custom_key_result, self.local_model = page.custom_key_result, page.local_model
        page.test_key_requested.connect(self.test_key_requested)
        page.custom_key_test_requested.connect(self.custom_key_test_requested)
        self.local_model.english_only_changed.connect(self._local_language)
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self._local_language(self.local_model.english_only())
        self._add_page(page)

        audio = QGroupBox("Microphone and speech detection")
        aform = QFormLayout(audio)
        self.microphone = QComboBox()
        self.microphone.addItem("System default", "")
        for name in microphones:
            self.microphone.addItem(name, name)
        index = self.microphone.findData(s.microphone)
        self.microphone.setCurrentIndex(max(0, index))
        self.keep_open = QCheckBox("Keep the microphone open (never clips the first word)")
        self.keep_open.setChecked(s.keep_microphone_open)
        self.preset = QComboBox()
        self.preset.addItems([*VAD_PRESETS, "custom"])
        self.preset.setCurrentText(s.vad_preset if s.vad_preset in VAD_PRESETS else "custom")
        self.preset.currentTextChanged.connect(self._apply_preset)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.05, 0.95)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(s.vad_threshold)
        self.silence = QSpinBox()
        self.silence.setRange(100, 5000)
        self.silence.setSuffix(" ms")
        self.silence.setValue(s.vad_min_silence_ms)
        self.pad = QSpinBox()
        self.pad.setRange(0, 2000)
        self.pad.setSuffix(" ms")
        self.pad.setValue(s.vad_speech_pad_ms)
        self.mic_test = QPushButton("Test")
        self.mic_test.setCheckable(True)
        self.mic_test.setToolTip("Show this microphone's level while you speak")
        self.mic_test.toggled.connect(self.mic_test_toggled)
        self.mic_level = LevelMeter()
        mic_row = QHBoxLayout()
        mic_row.addWidget(self.microphone, 1)
        mic_row.addWidget(self.mic_test)
        aform.addRow("Microphone", mic_row)
        aform.addRow("", self.mic_level)
        aform.addRow("", self.keep_open)
        aform.addRow("Speech detection", self.preset)
        aform.addRow("Threshold", self.threshold)
        aform.addRow("Silence that ends a segment", self.silence)
        aform.addRow("Padding around speech", self.pad)
        self._add_page(audio)

        behaviour = QGroupBox("Keys and delivery")
        bform = QFormLayout(behaviour)
        self.hotkey = HotkeyEditor(s.hotkey, s.hotkey_mode)  # set by pressing it
        self.checks = {
            "auto_copy": QCheckBox("Copy the final text to the clipboard"),
            "auto_paste": QCheckBox("Without the input method, paste rather than type"),
            "restore_clipboard": QCheckBox("Restore my clipboard once the paste is done"),
            "sounds": QCheckBox("Play start and stop sounds"),
            "history_audio": QCheckBox("Keep the audio of dictations"),
            "close_to_tray": QCheckBox("Closing the window keeps Dictate in the tray"),
            "continuous": QCheckBox("Hands-free: type each sentence as soon as it settles"),
            "overlay": QCheckBox("Show the state and live words at the bottom of the screen"),
        }
        for name, box in self.checks.items():
            box.setChecked(bool(getattr(s, name)))
        self.retention = QSpinBox()
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        self.retention.setValue(s.history_audio_days)
        self.auto_stop = QSpinBox()
        self.auto_stop.setRange(0, 3600)
        self.auto_stop.setSuffix(" s without speech")
        self.auto_stop.setSpecialValueText("never")
        self.auto_stop.setValue(s.auto_stop_s)
        self.auto_stop.setToolTip("In toggle mode, a dictation stops itself after this silence")
        bform.addRow("Global hotkey", self.hotkey)
        self.command_hotkey = KeyCapture(s.command_hotkey)
        self.command_hotkey.setToolTip(
            "Select text in any app, then hold these keys and say what to do with it"
        )
        bform.addRow("Command mode hotkey", self.command_hotkey)
        bform.addRow("Stop toggled dictation after", self.auto_stop)
        self.delivery = QComboBox()
        self.delivery.addItems(list(DELIVERY_CHOICES))
        self.delivery.setCurrentText(s.delivery)
        self.delivery.setToolTip(DELIVERY_HELP)
        # What this desktop offers, shown so that "auto" is no mystery (asked off the GUI
        # thread by the caller: it runs `ibus address`).
        here = environment or Environment.detect()
        self.delivery_now = QLabel(describe_delivery(s.delivery, here))
        self.delivery.currentTextChanged.connect(
            lambda name: self.delivery_now.setText(describe_delivery(name, here))
        )
        bform.addRow("Deliver the text by", self.delivery)
        bform.addRow("", self.delivery_now)
        for box in self.checks.values():
            bform.addRow("", box)
        bform.addRow("Keep audio for", self.retention)
        self._add_page(behaviour)
        self.words_page = WordsPage(s)
        self._add_page(self.words_page)
        self.cleanup_page = CleanupPage(s)
        self._add_page(self.cleanup_page)
        self.profiles_page = ProfilesPage(s, front)
        self._add_page(self.profiles_page)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def _add_page(self, group: QGroupBox) -> None:
        """A group becomes a tab named by its title."""
        self.pages.addTab(group, group.title())
        group.setTitle("")
        group.setFlat(True)

    @Slot(str)
    def _apply_preset(self, name: str) -> None:
        values = VAD_PRESETS.get(name)
        if values:
            self.threshold.setValue(values["threshold"])
            self.silence.setValue(int(values["min_silence_duration_ms"]))
            self.pad.setValue(int(values["speech_pad_ms"]))

    @Slot(bool)
    def _local_language(self, english_only: bool) -> None:
        """An English-only local model says so instead of offering languages it cannot do."""
        fixed = english_only and self.backend.currentData() == "local"
        self.language.setEnabled(not fixed)
        self.language.setToolTip(
            "This local model is English-only" if fixed else "What you speak, or detect it"
        )

    @Slot(int)
    def _backend_changed(self, _index: int) -> None:
        self._local_language(self.local_model.english_only())

    def new_custom_key(self) -> str:
        return self.custom_key.text().strip() if self.backend.currentData() in CUSTOM else ""

    @Slot(str)
    def on_key_tested(self, message: str) -> None:
        """The Together key's test answered: said under that key."""
        self.key_result.setText(message)

    @Slot(str)
    def on_custom_key_tested(self, message: str) -> None:
        """The custom server key's test answered: said under that key."""
        self.custom_key_result.setText(message)

    def stop_mic_test(self) -> None:
        """The level test could not start (or stopped): the button says so."""
        self.mic_test.setChecked(False)

    def chosen_microphone(self) -> str:
        return str(self.microphone.currentData() or "")

    @Slot(float)
    def on_level(self, rms_db: float) -> None:
        self.mic_level.set_db(rms_db)

    def focus_key(self, backend: str = "together") -> None:
        """The key of `backend` (the one whose key was refused), on the page shown."""
        self.pages.setCurrentWidget(self.transcription)
        self.transcription.focus_key(backend)

    def new_key(self) -> str:
        return self.key.text().strip() if self.backend.currentData() in TOGETHER else ""

    def new_cleanup_key(self) -> dict[str, str]:
        return self.cleanup_page.new_key()

    def key_store(self) -> str:
        """Where new keys go: "keyring", "file" or "environment" (no OS keyring here)."""
        return self.transcription.store()

    def accepted_settings(self) -> Settings:
        s = self.edited
        s.backend = str(self.backend.currentData())
        s.custom_url = self.custom_url.text().strip()
        s.models = {name: box.text().strip() for name, box in self.models.items()}
        s.models["local"] = self.local_model.text()
        s.language = str(self.language.currentData() or "")
        s.microphone = str(self.microphone.currentData() or "")
        s.keep_microphone_open = self.keep_open.isChecked()
        s.vad_preset = self.preset.currentText()
        s.vad_threshold = self.threshold.value()
        s.vad_min_silence_ms = self.silence.value()
        s.vad_speech_pad_ms = self.pad.value()
        s.hotkey = self.hotkey.combo()
        s.hotkey_mode = self.hotkey.mode()
        s.auto_stop_s = self.auto_stop.value()
        s.delivery = self.delivery.currentText()
        for name, box in self.checks.items():
            setattr(s, name, box.isChecked())
        s.history_audio_days = self.retention.value()
        self.words_page.apply(s)
        self.cleanup_page.apply(s)
        s.command_hotkey = self.command_hotkey.combo()
        self.profiles_page.apply(s)
        return s


def language_box(current: str) -> QComboBox:
    """Whisper's languages by name (as Qt names them), "Detect automatically" first."""
    box = QComboBox()
    box.addItem("Detect automatically", "")
    named = []
    for code in WHISPER_LANGUAGES:
        language = QLocale(code).language()
        unknown = language == QLocale.Language.C  # Qt does not know this code
        named.append((code if unknown else QLocale.languageToString(language), code))
    for name, code in sorted(named):
        box.addItem(f"{name} ({code})", code)
    index = box.findData(current)
    box.setCurrentIndex(max(index, 0))
    return box
