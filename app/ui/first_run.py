"""The first-run setup: four short pages (microphone, hotkey, transcription, delivery) that
replace the empty window a new user met, with the live level and a spoken test phrase so
the microphone is proven before the first real dictation.

It only renders and asks: the device list, levels, the test transcription, key checks and
the self-check arrive through slots and leave through signals, so nothing here waits. It is
never modal and dictation works with the defaults while it is open; "Skip setup" closes it
and keeps them. Finish hands back an edited copy of the settings (`dataclasses.replace`).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.backends import resolve
from app.delivery.chain import CHOICES as DELIVERY_CHOICES
from app.delivery.chain import HELP as DELIVERY_HELP
from app.delivery.chain import Environment
from app.delivery.chain import describe as describe_delivery
from app.storage.settings import Settings
from app.ui.key_capture import HotkeyEditor, quiet
from app.ui.level_meter import LevelMeter

PHRASE = "The quick brown fox jumps over the lazy dog"
# Each of `app.backends.BACKENDS` in words, in the order offered: the private one first.
BACKEND_WORDS = {
    "local": ("On this computer", "Offline and private: your voice never leaves the machine."),
    "together": ("Together AI", "Fast and accurate on any computer; needs an API key."),
    "custom": ("Your own server", "A Dictate server your team runs."),
}
DELIVERY_WORDS = {
    "auto": "The best way this desktop offers",
    "input method": "Input method (live words at the cursor)",
    "typing": "Typing the text",
    "paste": "Pasting it",
    "wayland typing": "Typing it (Wayland)",
    "clipboard": "Only the clipboard",
}


def _note(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def heard_right(heard: str, expected: str = PHRASE) -> bool:
    """Most of the phrase's words came back: the microphone and the engine both work."""
    said = {w.strip(".,!?").lower() for w in expected.split()}
    got = {w.strip(".,!?").lower() for w in heard.split()}
    return len(said & got) >= 0.6 * len(said)


class _MicrophonePage(QWizardPage):
    def __init__(self, current: str) -> None:
        super().__init__()
        self.setTitle("Your microphone")
        self.setSubTitle("Choose it, speak, and watch the level move.")
        self.current = current
        self.microphone = QComboBox()
        self.level = LevelMeter()
        self.phrase = QPushButton(f"Hold and say: “{PHRASE}”")
        self.phrase.setToolTip("Hold the button while you speak, then let go")
        self.phrase.setMinimumHeight(36)
        self.result = _note("Dictate will show what it heard.")
        form = QFormLayout()
        form.addRow("Microphone", self.microphone)
        form.addRow("Level", self.level)
        layout = QVBoxLayout(self)
        intro = _note(
            "Dictate types what you say into any app. Four short steps get it ready; "
            "skip any of them and the defaults work."
        )
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addSpacing(12)
        layout.addWidget(self.phrase)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self.set_microphones([])

    def set_microphones(self, names: list[str]) -> None:
        chosen = self.chosen() if self.microphone.count() else self.current
        self.microphone.blockSignals(True)
        self.microphone.clear()
        self.microphone.addItem("System default", "")
        for name in names:
            self.microphone.addItem(name, name)
        if chosen and self.microphone.findData(chosen) < 0:
            self.microphone.addItem(f"{chosen} (not connected)", chosen)
        self.microphone.setCurrentIndex(max(0, self.microphone.findData(chosen)))
        self.microphone.blockSignals(False)

    def chosen(self) -> str:
        return str(self.microphone.currentData() or "")


class _TranscriptionPage(QWizardPage):
    def __init__(self, settings: Settings, has_key: bool) -> None:
        super().__init__()
        self.setTitle("Transcription")
        self.setSubTitle("Where your speech becomes text.")
        self.choices = QButtonGroup(self)
        layout = QVBoxLayout(self)
        current = resolve(settings.backend, has_key)
        for value, (title, detail) in BACKEND_WORDS.items():
            if value == "custom" and settings.backend != "custom":
                continue  # offered in Settings; the setup keeps to the two simple ones
            button = QRadioButton(title)
            button.setProperty("backend", value)
            button.setChecked(value == current)
            self.choices.addButton(button)
            layout.addWidget(button)
            about = quiet(_note(detail))
            about.setIndent(24)
            layout.addWidget(about)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("stored in the OS keyring" if has_key else "Together API key")
        self.test_key = QPushButton("Test key")
        self.key_result = _note()
        key_row = QHBoxLayout()
        key_row.setContentsMargins(24, 0, 0, 0)
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.test_key)
        layout.addLayout(key_row)
        self.key_result.setIndent(24)
        layout.addWidget(self.key_result)
        self.problems = QFrame()
        self.problems.setFrameShape(QFrame.Shape.StyledPanel)
        self.problems_text = _note()
        box = QVBoxLayout(self.problems)
        box.addWidget(QLabel("<b>⚠ Something is missing on this computer</b>"))
        box.addWidget(self.problems_text)
        layout.addSpacing(8)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        self.choices.buttonToggled.connect(self._enable_key)
        self._enable_key()

    def backend(self) -> str:
        button = self.choices.checkedButton()
        return str(button.property("backend")) if button else "local"

    def set_problems(self, problems: list[str]) -> None:
        self.problems_text.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))

    @Slot()
    def _enable_key(self) -> None:
        together = self.backend() == "together"
        for widget in (self.key, self.test_key, self.key_result):
            widget.setEnabled(together)


class _DeliveryPage(QWizardPage):
    def __init__(self, settings: Settings, env: Environment | None) -> None:
        super().__init__()
        self.setTitle("Where the text goes")
        self.setSubTitle("Dictate puts your words into the app you are typing in.")
        self.env = env
        self.method = QComboBox()
        for name in DELIVERY_CHOICES:
            self.method.addItem(DELIVERY_WORDS.get(name, name), name)
        self.method.setCurrentIndex(max(0, self.method.findData(settings.delivery)))
        self.method.setToolTip(DELIVERY_HELP)
        self.here = quiet(_note())
        self.copy = QCheckBox("Also copy each dictation to the clipboard")
        self.copy.setChecked(settings.auto_copy)
        form = QFormLayout()
        form.addRow("Deliver by", self.method)
        form.addRow("", self.here)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.copy)
        layout.addWidget(_note("You can change all of this later in Settings."))
        layout.addStretch(1)
        self.method.currentIndexChanged.connect(self._describe)
        self._describe()

    def initializePage(self) -> None:
        if self.env is None:  # nobody told us: look now, once (a few ms: `ibus address`)
            self.set_environment(Environment.detect())

    def set_environment(self, env: Environment) -> None:
        self.env = env
        self._describe()

    def chosen(self) -> str:
        return str(self.method.currentData())

    @Slot()
    def _describe(self) -> None:
        here = describe_delivery(self.chosen(), self.env) if self.env else ""
        self.here.setText(f"Here: {here}." if here else "")


class FirstRunDialog(QWizard):
    """Signals: `mic_test_toggled(bool on)` (levels wanted: on while the microphone page is
    shown), `microphone_changed(str name)` ("" is the system default),
    `phrase_pressed(str microphone)`, `phrase_released()`, `test_key_requested(str key)`,
    `completed(object settings, str api_key)` on Finish (api_key "" when none was typed),
    `skipped()` when closed any other way.
    Slots: `set_microphones(list)`, `on_level(float dbfs)`, `on_phrase(str text)`,
    `on_phrase_error(str message)`, `on_microphone_stalled(str message)` ("" once it delivers
    again), `on_key_tested(str message)`, `set_problems(list)`, `set_environment(Environment)`."""

    mic_test_toggled = Signal(bool)
    microphone_changed = Signal(str)
    phrase_pressed = Signal(str)
    phrase_released = Signal()
    test_key_requested = Signal(str)
    completed = Signal(object, str)
    skipped = Signal()

    def __init__(
        self,
        settings: Settings,
        self_check_problems: list[str] | None = None,
        parent: QWidget | None = None,
        *,
        has_key: bool = False,
        wayland: bool | None = None,
        environment: Environment | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Dictate")
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setButtonText(QWizard.WizardButton.CancelButton, "Skip setup")
        self.setButtonText(QWizard.WizardButton.FinishButton, "Done")
        self._settings = settings
        self._level_on = False
        self.mic = _MicrophonePage(settings.microphone)
        self.hotkey_page = QWizardPage()
        self.hotkey_page.setTitle("Your hotkey")
        self.hotkey_page.setSubTitle("Dictate listens while you use it, in any app.")
        self.hotkey = HotkeyEditor(settings.hotkey, settings.hotkey_mode, wayland=wayland)
        hotkey_layout = QVBoxLayout(self.hotkey_page)
        hotkey_layout.addWidget(self.hotkey, 1 if self.hotkey.wayland else 0)
        hotkey_layout.addSpacing(8)
        hotkey_layout.addWidget(
            quiet(
                _note(
                    "Hold to talk: hold the keys while you speak, let go to finish.\n"
                    "Press to start, press to stop: for longer dictations, hands free.\n"
                    "In Dictate's own window, F8 works too."
                )
            )
        )
        if not self.hotkey.wayland:  # else the steps take the room
            hotkey_layout.addStretch(1)
        self.backend = _TranscriptionPage(settings, has_key)
        self.backend.set_problems(list(self_check_problems or []))
        self.delivery = _DeliveryPage(settings, environment)
        self.mic_id = self.addPage(self.mic)
        for page in (self.hotkey_page, self.backend, self.delivery):
            self.addPage(page)
        self.mic.microphone.currentIndexChanged.connect(self._microphone_changed)
        self.mic.phrase.pressed.connect(self._phrase_pressed)
        self.mic.phrase.released.connect(self._phrase_released)
        self.backend.test_key.clicked.connect(self._test_key)
        self.currentIdChanged.connect(self._page_changed)
        self.resize(580, 440)

    # What comes back ---------------------------------------------------------------------

    def settings(self) -> Settings:
        """The settings as the pages now stand, on a copy."""
        return dataclasses.replace(
            self._settings,
            models=dict(self._settings.models),
            microphone=self.mic.chosen(),
            hotkey=self.hotkey.combo(),
            hotkey_mode=self.hotkey.mode(),
            backend=self.backend.backend(),
            delivery=self.delivery.chosen(),
            auto_copy=self.delivery.copy.isChecked(),
        )

    def api_key(self) -> str:
        return self.backend.key.text().strip() if self.backend.backend() == "together" else ""

    def accept(self) -> None:
        super().accept()  # hidden: the levels stop
        self.completed.emit(self.settings(), self.api_key())

    def reject(self) -> None:
        """Skip setup, Escape or the window's close button; once, while it is open."""
        was_open = self.isVisible()
        super().reject()
        if was_open:
            self.skipped.emit()

    # Slots for the lead's background work -------------------------------------------------

    @Slot(list)
    def set_microphones(self, names: list[str]) -> None:
        self.mic.set_microphones(names)

    @Slot(float)
    def on_level(self, dbfs: float) -> None:
        self.mic.level.set_db(dbfs)

    @Slot(str)
    def on_phrase(self, text: str) -> None:
        if not text.strip():
            self.on_phrase_error("Nothing was heard: check the level above while you speak.")
            return
        verdict = "✓ That works." if heard_right(text) else "Not quite: try again, a little closer."
        self.mic.result.setText(f"Dictate heard: “{text.strip()}”\n{verdict}")

    @Slot(str)
    def on_phrase_error(self, message: str) -> None:
        self.mic.result.setText(f"⚠ {message}")

    @Slot(str)
    def on_microphone_stalled(self, message: str) -> None:
        if message:
            self.mic.level.reset()
            self.on_phrase_error(message)
        elif self.mic.result.text().startswith("⚠ microphone"):  # the stall's words
            self.mic.result.setText("The microphone delivers sound again.")

    @Slot(str)
    def on_key_tested(self, message: str) -> None:
        self.backend.key_result.setText(message)

    @Slot(list)
    def set_problems(self, problems: list[str]) -> None:
        self.backend.set_problems(problems)

    @Slot(object)
    def set_environment(self, env: Environment) -> None:
        self.delivery.set_environment(env)

    # Inside --------------------------------------------------------------------------------

    def _levels(self, on: bool) -> None:
        if on != self._level_on:
            self._level_on = on
            if not on:
                self.mic.level.reset()
            self.mic_test_toggled.emit(on)

    @Slot(int)
    def _page_changed(self, _id: int) -> None:
        self._levels(self.isVisible() and self.currentId() == self.mic_id)

    @Slot(int)
    def _microphone_changed(self, _index: int) -> None:
        self.microphone_changed.emit(self.mic.chosen())

    @Slot()
    def _phrase_pressed(self) -> None:
        self.mic.result.setText("Listening…")
        self.phrase_pressed.emit(self.mic.chosen())

    @Slot()
    def _phrase_released(self) -> None:
        self.mic.result.setText("Transcribing…")
        self.phrase_released.emit()

    @Slot()
    def _test_key(self) -> None:
        self.backend.key_result.setText("Testing…")
        self.test_key_requested.emit(self.backend.key.text().strip())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._levels(self.currentId() == self.mic_id)

    def hideEvent(self, event: QHideEvent) -> None:
        self._levels(False)
        super().hideEvent(event)
