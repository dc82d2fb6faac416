"""What the window's buttons and banner actions open: settings, history, key, retry.

Disk and network work (saving settings, the keyring, testing a key) runs on background
threads through the bridge; dialogs only render.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication

from app import paths
from app.audio.capture import MicrophoneSource
from app.audio.devices import list_inputs
from app.audio.levels import Level
from app.backends import (
    CUSTOM_KEY_NAME,
    TOGETHER_KEY_NAME,
    Backend,
    custom_key,
    test_key,
    together_key,
)
from app.controller.bridge import Bridge, TaskDone
from app.controller.dictation import DictationController
from app.controller.downloads import ModelDownloads
from app.core.errors import AudioInputError
from app.engine.models import DEFAULT_MODEL_ID
from app.storage import settings as settings_store
from app.storage.history import History
from app.storage.secrets import SecretStoreError, set_secret
from app.storage.settings import Settings
from app.ui.history_panel import HistoryPanel
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog


class Actions(QObject):
    def __init__(
        self,
        window: MainWindow,
        controller: DictationController,
        bridge: Bridge,
        history: History | None,
        make_backend: Callable[[Settings], Backend],
    ) -> None:
        super().__init__()
        self.window, self.controller, self.bridge = window, controller, bridge
        self.history = history
        self.make_backend = make_backend
        self.panel: HistoryPanel | None = None
        self.dialog: SettingsDialog | None = None
        self.mic_source: MicrophoneSource | None = None
        self.downloads = ModelDownloads(bridge)
        bridge.posted.connect(self._on_posted)
        controller.retried.connect(self._on_retried)

    @Slot(str)
    def on_action(self, action: str) -> None:
        if action == "Retry":
            if self.controller.last_failed_row:
                self.window.on_notice("transcribing the saved audio again…")
                self.controller.retry(self.controller.last_failed_row)
        elif action == "Set API key...":
            self.open_settings(focus_key=True)
        else:
            self.open_settings()

    @Slot()
    def open_history(self) -> None:
        if self.history is None:
            self.window.on_notice("the history is not available")
            return
        if self.panel is None:
            self.panel = HistoryPanel(self.history, self.bridge, self.window)
            self.panel.retry_requested.connect(self.controller.retry)
            self.panel.rerender_requested.connect(self.controller.rerender_history)
            self.controller.retried.connect(self.panel.on_retried)
        self.panel.refresh()
        self.panel.show()
        self.panel.raise_()

    @Slot()
    def open_settings(self, focus_key: bool = False) -> None:
        try:
            microphones = [d.name for d in list_inputs()]
        except AudioInputError:
            microphones = []
        dialog = SettingsDialog(
            self.controller.settings,
            microphones,
            together_key() is not None,
            self.window,
            has_custom_key=custom_key() is not None,
            downloads=self.downloads,
        )
        dialog.test_key_requested.connect(self._test_key)
        dialog.custom_key_test_requested.connect(self._test_custom_key)
        dialog.mic_test_toggled.connect(self._mic_test)
        dialog.finished.connect(lambda _code: self._mic_test(False))
        self.dialog = dialog
        if focus_key:
            dialog.focus_key()
        dialog.accepted.connect(self._settings_accepted)
        dialog.open()

    @Slot()
    def _settings_accepted(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        old = self.controller.settings
        old_choice = (old.backend, old.custom_url, dict(old.models))
        new, key = dialog.accepted_settings(), dialog.new_key()
        server_key = dialog.new_custom_key()
        changed = (new.backend, new.custom_url, new.models) != old_choice
        old_backend = self.controller.backend
        self.controller.settings = new

        def save() -> str:
            settings_store.save(paths.config_dir(), new)
            if key:
                set_secret(TOGETHER_KEY_NAME, key)
            if server_key:
                set_secret(CUSTOM_KEY_NAME, server_key)
            return "settings saved"

        if server_key:  # saved before the new backend reads it from the keyring
            save()
        else:
            self.bridge.run_in_background("settings-save", save)
        if self._switch_local_model(old, new) and not (key or server_key):
            return
        if changed or key or server_key:
            self.controller.backend = self.make_backend(new)
            old_backend.close()
            self.window.status.setText(f"{self.controller.backend.describe()} · idle")

    def _switch_local_model(self, old: Settings, new: Settings) -> bool:
        """Only the local model changed, and the local engine runs: it loads the new model in
        the background while the current one keeps serving; no restart. True if it does."""
        backend = self.controller.backend
        others = {k: v for k, v in new.models.items() if k != "local"}
        if (
            backend.name != "local"
            or backend.engine is None
            or (new.backend, new.custom_url) != (old.backend, old.custom_url)
            or others != {k: v for k, v in old.models.items() if k != "local"}
            or new.model_for("local") == old.model_for("local")
        ):
            return False
        model = new.model_for("local")
        self.window.on_notice(
            f"loading {model} in the background; {backend.model} serves meanwhile"
        )
        self.bridge.run_in_background("model-switch", lambda: backend.switch_model(model))
        return True

    @Slot(bool)
    def _mic_test(self, on: bool) -> None:
        """A live level for the microphone chosen in the dialog (opened off the GUI thread)."""
        if self.mic_source is not None:
            source, self.mic_source = self.mic_source, None
            self.bridge.run_in_background("mic-test-stop", source.close)
        if not on or self.dialog is None:
            return
        source = MicrophoneSource(
            self.dialog.chosen_microphone() or None, on_level=self.bridge.post
        )
        self.mic_source = source
        self.bridge.run_in_background("mic-test", lambda: source.start(lambda _frame: None))

    @Slot(str)
    def _test_key(self, key: str) -> None:
        self.bridge.run_in_background("key-test", lambda: test_key(key or (together_key() or "")))

    @Slot(str, str, str)
    def _test_custom_key(self, url: str, key: str, model: str) -> None:
        if not url:
            if self.dialog is not None:
                self.dialog.on_key_tested("enter the custom server's URL first")
            return
        chosen = key or custom_key() or ""
        self.bridge.run_in_background(
            "key-test", lambda: test_key(chosen, url=url, model=model or DEFAULT_MODEL_ID)
        )

    @Slot(object)
    def _on_posted(self, payload: object) -> None:
        if isinstance(payload, Level) and self.mic_source is not None and self.dialog:
            self.dialog.on_level(payload.rms_db)
        if not isinstance(payload, TaskDone):
            return
        if payload.tag == "mic-test" and payload.error is not None and self.dialog is not None:
            self.dialog.mic_test.setChecked(False)
            self.dialog.key_result.setText("")
            self.window.on_notice(str(payload.error))
        if payload.tag == "key-test" and self.dialog is not None:
            self.dialog.on_key_tested(str(payload.result or payload.error))
        elif payload.tag == "model-switch":
            if payload.error is not None:
                self.window.on_problem(
                    f"the model could not load: {payload.error}", "Open settings..."
                )
            else:
                self.window.on_notice(str(payload.result))
                self.window.status.setText(f"{self.controller.backend.describe()} · idle")
        elif payload.tag == "settings-save":
            if isinstance(payload.error, SecretStoreError | OSError):
                self.window.on_problem(str(payload.error), "Open settings...")
            else:
                self.window.on_notice(str(payload.result or payload.error))

    @Slot(int, str, str)
    def _on_retried(self, row: int, text: str, error: str) -> None:
        if error:
            self.window.on_problem(f"retry failed: {error}", "Retry")
            return
        self.window.banner.hide()
        if text:
            self.window.transcript.begin_dictation()
            self.window.transcript.end_dictation(text)
            if self.controller.settings.auto_copy:
                QGuiApplication.clipboard().setText(text)
        self.window.on_notice(f"dictation {row} transcribed again")
