"""The settings' Transcription page: the backend, and only the chosen backend's fields.

Together shows its key and model, a custom server its URL, key and model, the local engine
its model ("automatic" is Together with a key, else local: both). Each key has its own Test
button and its own result line, and `focus_key` goes to the key of the backend that failed.
Without an OS keyring the page asks where a new key is kept: a file only the user can read,
or the environment variable that this backend reads (named, with a plain warning).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.backends import (
    AUTO,
    CHOICES,
    CUSTOM_KEY_NAME,
    KEY_VARIABLES,
    TOGETHER_KEY_NAME,
    TOGETHER_MODELS,
)
from app.storage.settings import Settings
from app.ui.model_picker import ModelPicker
from app.ui.services import Downloads

# Each of `app.backends.CHOICES` in words (offered in that order).
BACKEND_LABELS = {
    AUTO: "Automatic (Together with a key, else local)",
    "together": "Together AI",
    "local": "Local engine (offline)",
    "custom": "Custom server URL",
}
TOGETHER, CUSTOM, LOCAL = {AUTO, "together"}, {"custom"}, {AUTO, "local"}
KEY_STORES = [
    ("a file only you can read", "file"),
    ("the environment variable only", "environment"),
]


class BackendPage(QGroupBox):
    """Signals: `test_key_requested(str key)` (Together's), `custom_key_test_requested(str url,
    str key, str model)`."""

    test_key_requested = Signal(str)
    custom_key_test_requested = Signal(str, str, str)

    def __init__(
        self,
        s: Settings,
        *,
        has_key: bool,
        has_custom_key: bool,
        keyring: bool = True,
        key_file: str = "",
        downloads: Downloads | None = None,
        language: QWidget,
    ) -> None:
        super().__init__("Transcription")
        self.keyring, self.key_file = keyring, key_file
        self.form = QFormLayout(self)
        self._rows: list[tuple[int, set[str]]] = []  # (row, the backends that show it)
        self.backend = QComboBox()
        for value in CHOICES:
            self.backend.addItem(BACKEND_LABELS[value], value)
        self.backend.setCurrentIndex(CHOICES.index(s.backend))
        stored = "stored in the OS keyring" if keyring else "a key is set"
        self.custom_url = QLineEdit(s.custom_url)
        self.custom_url.setPlaceholderText("ws://host:8765/v1")
        self.key, self.test_key, self.key_result = self._key_widgets(
            stored if has_key else "Together API key", self._test_key
        )
        self.custom_key, self.test_custom_key, self.custom_key_result = self._key_widgets(
            stored if has_custom_key else "the server's key (if it has one)", self._test_custom_key
        )
        self.models = {"custom": QLineEdit(s.model_for("custom"))}
        together_models = self._together_models(s.model_for("together"))
        self.local_model = ModelPicker(s.model_for("local"), downloads)
        self.key_store = QComboBox()
        for label, value in KEY_STORES:
            self.key_store.addItem(label, value)
        self.key_store_note = QLabel()
        self.key_store_note.setWordWrap(True)
        self.form.addRow("Backend", self.backend)
        self._row("Custom URL", self.custom_url, CUSTOM)
        self._row("API key", _beside(self.key, self.test_key), TOGETHER)
        self._row("", self.key_result, TOGETHER)
        self._row("Together model", together_models, TOGETHER)
        self._row("Custom server key", _beside(self.custom_key, self.test_custom_key), CUSTOM)
        self._row("", self.custom_key_result, CUSTOM)
        self._row("Custom model", self.models["custom"], CUSTOM)
        self._row("Local model", self.local_model, LOCAL)
        if not keyring:
            self._row("Keep a new key in", self.key_store, TOGETHER | CUSTOM)
            self._row("", self.key_store_note, TOGETHER | CUSTOM)
        self.form.addRow("Language", language)
        self.backend.currentIndexChanged.connect(self._show_chosen)
        self.key_store.currentIndexChanged.connect(self._show_chosen)
        self._show_chosen()

    def _key_widgets(
        self, placeholder: str, test: Callable[[], None]
    ) -> tuple[QLineEdit, QPushButton, QLabel]:
        key = QLineEdit()
        key.setEchoMode(QLineEdit.EchoMode.Password)
        key.setPlaceholderText(placeholder)
        button = QPushButton("Test key")
        button.clicked.connect(test)
        return key, button, QLabel("")

    def _row(self, label: str, field: QWidget, backends: set[str]) -> None:
        self._rows.append((self.form.rowCount(), backends))
        self.form.addRow(label, field)

    def _together_models(self, current: str) -> QComboBox:
        """Together's realtime models to pick from; any other id can still be typed."""
        box = QComboBox()
        box.setEditable(True)
        box.addItems(TOGETHER_MODELS)
        box.setCurrentText(current)
        line = box.lineEdit()
        assert line is not None
        self.models["together"] = line
        return box

    def chosen(self) -> str:
        return str(self.backend.currentData())

    @Slot()
    def _show_chosen(self) -> None:
        chosen = self.chosen()
        for row, backends in self._rows:
            self.form.setRowVisible(row, chosen in backends)
        variable = KEY_VARIABLES[CUSTOM_KEY_NAME if chosen == "custom" else TOGETHER_KEY_NAME]
        if self.key_store.currentData() == "file":
            self.key_store_note.setText(
                f"This desktop has no OS keyring. A new key goes in {self.key_file}, which only "
                "your user account can read. It is not encrypted: anyone who can use your "
                f"account, or read a backup of it, can read the key. Or set {variable}."
            )
        else:
            self.key_store_note.setText(
                f"The key is not stored: set {variable} to it in the environment Dictate "
                "starts in. Until you quit, this session uses the key you enter here."
            )

    def store(self) -> str:
        """Where a new key goes: "keyring", "file" or "environment"."""
        return "keyring" if self.keyring else str(self.key_store.currentData())

    def focus_key(self, backend: str) -> None:
        """The key field of `backend` (the one that failed), shown and focused."""
        if backend not in ("together", "custom"):
            return  # the local engine has no key to set
        wanted = CUSTOM if backend == "custom" else TOGETHER
        if self.chosen() not in wanted:
            self.backend.setCurrentIndex(self.backend.findData(backend))
        (self.custom_key if backend == "custom" else self.key).setFocus()

    @Slot()
    def _test_key(self) -> None:
        self.key_result.setText("testing…")
        self.test_key_requested.emit(self.key.text().strip())

    @Slot()
    def _test_custom_key(self) -> None:
        self.custom_key_result.setText("testing…")
        self.custom_key_test_requested.emit(
            self.custom_url.text().strip(),
            self.custom_key.text().strip(),
            self.models["custom"].text().strip(),
        )


def _beside(field: QWidget, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row
