"""What the window's buttons, banner and menus open: settings, history, first-run setup, fixes.

A controller, not a widget: it opens the dialogs and talks to them and to the window only
through their signals and methods. Everything that may wait (the keyring, PortAudio's device
list, saving, building or stopping a backend, testing a key) runs off the GUI thread through
the bridge, and its result comes back to the call that asked for it. Settings apply on Save:
`SettingsSource.apply` tells every part that cares, and the backend switches in the
background while the old one keeps serving until the new one is there. Save is all or
nothing: the keys are kept first (in the keyring, or without one where the user chose), then
the settings file is written; when either fails, the keys are put back, the settings in force
go back to what they were, and the message says that nothing was saved and names the
environment variable that the chosen backend reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Slot

from app import paths
from app.audio.devices import list_inputs
from app.backends import (
    CUSTOM_KEY_NAME,
    KEY_VARIABLES,
    TOGETHER_KEY_NAME,
    Backend,
    custom_key,
    test_key,
    together_key,
)
from app.controller.bridge import Bridge
from app.controller.dictation import DictationController
from app.controller.downloads import ModelDownloads
from app.controller.level_probe import MicrophoneTest
from app.core.errors import AudioInputError, Fix
from app.core.phases import Phase, recording
from app.core.words import rules_from_pairs
from app.delivery.chain import Environment
from app.dictation import cleanup, corrections
from app.engine.models import DEFAULT_MODEL_ID
from app.storage import settings as settings_store
from app.storage.history import History
from app.storage.secrets import SecretStoreError, key_file, keyring_usable, store_secrets
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from app.ui.history_panel import HistoryPanel
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog

BACKEND_KEYS = ("backend", "custom_url", "models")


@dataclass(frozen=True)
class Machine:
    """What the settings dialog shows that must be asked of the system (off the GUI thread)."""

    microphones: list[str]
    has_key: bool
    has_custom_key: bool
    environment: Environment
    audio_problem: str = ""  # why PortAudio could not list the devices
    keyring: bool = True  # an OS keyring can keep keys
    key_file: str = ""  # where keys go without one, if the user chooses so


def look_up_machine() -> Machine:
    """The settings dialog's and the first-run setup's questions to the system, in one go."""
    problem = ""
    try:
        microphones = [d.name for d in list_inputs()]
    except AudioInputError as exc:
        microphones, problem = [], str(exc)
    return Machine(microphones, together_key() is not None, custom_key() is not None,
                   Environment.detect(), problem, keyring_usable(), str(key_file()))  # fmt: skip


class Actions(QObject):
    def __init__(
        self,
        window: MainWindow,
        controller: DictationController,
        bridge: Bridge,
        history: History | None,
        settings: SettingsSource,
        make_backend: Callable[[Settings], Backend],
    ) -> None:
        super().__init__()
        self.window, self.controller, self.bridge = window, controller, bridge
        self.history = history
        self.settings = settings
        self.make_backend = make_backend
        self.panel: HistoryPanel | None = None
        self.dialog: SettingsDialog | None = None
        self.mic_test = MicrophoneTest(bridge, self._mic_level, self._mic_failed)
        self.downloads = ModelDownloads(bridge)
        self._retiring: list[Backend] = []  # replaced backends, closed once a dictation ends
        self._save_problem = ""  # the banner of the last save that failed
        controller.retried.connect(self._on_retried)
        controller.finished.connect(self._close_retired)

    # --- the window's requests -------------------------------------------------------------

    @Slot(object)
    def on_fix(self, fix: Fix) -> None:
        if fix is Fix.RETRY:
            if self.controller.last_failed_row:
                self.window.say("transcribing the saved audio again…")
                self.controller.retry(self.controller.last_failed_row)
        elif fix is Fix.SET_KEY:  # the key of the backend that refused it
            self.open_settings(self.controller.failed_backend or self.controller.backend.name)
        elif fix is not Fix.NONE:
            self.open_settings()

    @Slot()
    def open_history(self) -> None:
        if self.history is None:
            self.window.say("the history is not available")
            return
        if self.panel is None:
            self.panel = HistoryPanel(self.history, self.bridge, self.window)
            self.panel.retry_requested.connect(self.controller.retry)
            self.panel.rerender_requested.connect(self.controller.rerender_history)
            self.panel.edited.connect(self.learn)
            self.panel.clean_requested.connect(self.controller.clean_again)
            self.controller.retried.connect(self.panel.on_retried)
            self.controller.history_changed.connect(self.panel.refresh)
        self.panel.refresh()
        self.panel.show()
        self.panel.raise_()

    @Slot()
    def open_settings(self, focus_key: str = "") -> None:
        """Opens once the device list and the keyring have answered, off the GUI thread;
        `focus_key` names the backend whose key field gets the focus."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return
        self.dialog = None
        self.bridge.run(
            look_up_machine, lambda machine: self._show_settings(machine, focus_key),
            name="settings-lookup",
        )  # fmt: skip

    def _show_settings(self, machine: Machine, focus_key: str) -> None:
        if self.dialog is not None:  # asked twice before the first answer
            return
        dialog = SettingsDialog(
            self.settings.current,
            machine.microphones,
            machine.has_key,
            self.window,
            has_custom_key=machine.has_custom_key,
            keyring=machine.keyring,
            key_file=machine.key_file,
            downloads=self.downloads,
            environment=machine.environment,
            front=self.controller.dictation.target.result(0),  # the last one's: no wait
        )
        dialog.test_key_requested.connect(self._test_key)
        dialog.custom_key_test_requested.connect(self._test_custom_key)
        dialog.mic_test_toggled.connect(self._mic_test)
        dialog.finished.connect(lambda _code: self._mic_test(False))
        dialog.accepted.connect(self._settings_accepted)
        self.dialog = dialog
        if focus_key:
            dialog.focus_key(focus_key)
        dialog.open()

    # --- applying settings -----------------------------------------------------------------

    @Slot()
    def _settings_accepted(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        self.apply(dialog.accepted_settings(), dialog.new_key(), dialog.new_custom_key(),
                   key_store=dialog.key_store(),
                   cleanup_keys=dialog.new_cleanup_key())  # fmt: skip

    @Slot(int, str, str)
    def learn(self, _row: int, before: str, after: str) -> None:
        """A dictation corrected in the history: its word fixes are suggested, and a fix
        made again becomes a rule (saved with the settings)."""
        edited = self.settings.edit()
        done = corrections.learn(before, after, corrections.suggestions_from(edited.corrections),
                                 rules_from_pairs(edited.rules))  # fmt: skip
        if not done.promoted and not done.seen:
            return
        edited.corrections = corrections.stored(done.suggestions)
        edited.rules = [*edited.rules, *([r.said, r.written] for r in done.promoted)]
        self.apply(edited)
        message = corrections.describe(done)
        self.window.say(message)
        if self.panel is not None:
            self.panel.on_learned(message)

    def apply(
        self,
        new: Settings,
        key: str = "",
        server_key: str = "",
        *,
        key_store: str = "keyring",
        cleanup_keys: dict[str, str] | None = None,
    ) -> set[str]:
        """Make `new` the settings in force, save them, and switch the backend when its
        choice or its key changed; returns the names of the settings that changed. New keys
        go to `key_store`: "keyring", "file" (the user's key file) or "environment" (used
        by this session only, in the variable the backend reads); so do `cleanup_keys` (the
        language model's, {name: key}). All or nothing: when saving fails, the settings in
        force go back to what they were, and no key is kept."""
        old = self.settings.current
        local_only = self._only_local_model_changed(old, new)
        changed = self.settings.apply(new)
        saved = self.settings.edit()
        keys = {n: v for n, v in ((TOGETHER_KEY_NAME, key), (CUSTOM_KEY_NAME, server_key)) if v}
        every_key = {**keys, **(cleanup_keys or {})}

        def save() -> None:
            undo = None
            if every_key and key_store != "environment":
                undo = store_secrets(every_key, in_file=key_store == "file")
            try:
                settings_store.save(paths.config_dir(), saved)
            except OSError:
                if undo is not None:
                    undo()
                raise

        def saved_then_switch(_result: None) -> None:
            note = ""
            if every_key and key_store == "environment":
                for name, value in every_key.items():
                    os.environ[variable(name)] = value  # read by the backend built next
                names = " and ".join(sorted({variable(n) for n in every_key}))
                note = f"the key is not stored: set {names} before Dictate starts next time"
            elif every_key and key_store == "file":
                note = f"the key is in {key_file()}, readable only by you"
            self.window.clear_problem(self._save_problem)
            self.window.say(f"settings saved; {note}" if note else "settings saved")
            if local_only and not keys:
                self._switch_local_model(new.model_for("local"))
            elif changed & set(BACKEND_KEYS) or keys:
                self._switch_backend(saved, offer_retry=bool(keys), note=note)

        def failed(exc: BaseException) -> None:
            if self.settings.current == saved:  # not changed again meanwhile: back as it was
                self.settings.apply(old)
            self._save_failed(exc)

        # Saved first: a new backend reads its key from where it was kept.
        self.bridge.run(save, saved_then_switch, failed, name="settings-save")
        return changed

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SecretStoreError):
            message = (
                f"nothing was saved: {exc}. In Settings, keep the key in a file only you can "
                f"read, or set {variable(exc.name)} in the environment Dictate starts in"
            )
        elif isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            why = exc.strerror or str(exc)
            message = f"nothing was saved: the settings could not be written{where}: {why}"
        else:
            message = f"nothing was saved: {exc}"
        self._save_problem = message  # a later save that works takes it away
        self.window.on_problem(message, Fix.OPEN_SETTINGS)

    def _only_local_model_changed(self, old: Settings, new: Settings) -> bool:
        """Only the local model changed and the local engine runs: it loads the new model
        beside the current one, which keeps serving meanwhile; no restart."""
        backend = self.controller.backend
        others = {k: v for k, v in new.models.items() if k != "local"}
        return (
            backend.name == "local"
            and backend.engine is not None
            and (new.backend, new.custom_url) == (old.backend, old.custom_url)
            and others == {k: v for k, v in old.models.items() if k != "local"}
            and new.model_for("local") != old.model_for("local")
        )

    def _switch_local_model(self, model: str) -> None:
        backend = self.controller.backend
        self.window.say(f"loading {model} in the background; {backend.model} serves meanwhile")

        def loaded(message: str) -> None:
            self.window.say(message)
            self.window.show_backend(self.controller.backend.describe())

        def failed(exc: BaseException) -> None:
            self.window.on_problem(f"the model could not load: {exc}", Fix.OPEN_SETTINGS)

        self.bridge.run(lambda: backend.switch_model(model), loaded, failed, name="model-switch")

    def _switch_backend(
        self, settings: Settings, *, offer_retry: bool = False, note: str = ""
    ) -> None:
        """The new backend is built off the GUI thread (the keyring, an engine starting);
        the old one keeps serving until then, and is closed once no dictation uses it. With
        a new key (`offer_retry`) a dictation that failed is offered again; `note` (where
        the key is) is said with the switch."""
        self.window.show_backend("switching backend…")

        def built(backend: Backend) -> None:
            old, self.controller.backend = self.controller.backend, backend
            self.window.show_backend(backend.describe())
            said = f"now using {backend.describe()}"
            self.window.say(f"{said}; {note}" if note else said)
            self._retire(old)
            if offer_retry and self.controller.last_failed_row:
                self.window.on_problem(
                    "the new key is saved — Retry transcribes the dictation that failed",
                    Fix.RETRY,
                )

        def failed(exc: BaseException) -> None:
            self.window.show_backend(self.controller.backend.describe())
            self.window.on_problem(f"could not switch the backend: {exc}", Fix.OPEN_SETTINGS)

        self.bridge.run(lambda: self.make_backend(settings), built, failed, name="backend-build")

    def _retire(self, old: Backend) -> None:
        """Stop the old backend off the GUI thread (an engine takes seconds to stop), after
        the dictation that may still use it has finished."""
        self._retiring.append(old)
        phase = self.controller.phase
        if not (recording(phase) or phase == Phase.FINISHING):
            self._close_retired()

    @Slot()
    def _close_retired(self) -> None:
        retiring, self._retiring = self._retiring, []
        for backend in retiring:
            self.bridge.run(backend.close, name="backend-close")

    # --- the dialog's tests ----------------------------------------------------------------

    @Slot(bool)
    def _mic_test(self, on: bool) -> None:
        """A live level for the microphone chosen in the dialog (opened off the GUI thread)."""
        self.mic_test.stop()
        if on and self.dialog is not None:
            self.mic_test.start(self.dialog.chosen_microphone())

    def _mic_level(self, rms_db: float) -> None:
        if self.dialog is not None:
            self.dialog.on_level(rms_db)

    def _mic_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.stop_mic_test()
        self.window.say(message)

    def check_together_key(self, key: str, answer: Callable[[str], None]) -> None:
        """A real handshake with `key` (or the stored one), off the GUI thread; `answer` gets
        the verdict in words (the settings dialog's and the first-run setup's Test key)."""
        self.bridge.run(lambda: test_key(key or (together_key() or "")), answer,
                        lambda exc: answer(str(exc)), name="key-test")  # fmt: skip

    @Slot(str)
    def _test_key(self, key: str) -> None:
        self.check_together_key(key, self._key_tested)

    @Slot(str, str, str)
    def _test_custom_key(self, url: str, key: str, model: str) -> None:
        if not url:
            self._custom_key_tested("enter the custom server's URL first")
            return
        self.bridge.run(
            lambda: test_key(key or custom_key() or "", url=url, model=model or DEFAULT_MODEL_ID),
            self._custom_key_tested, self._custom_key_tested, name="key-test",
        )  # fmt: skip

    def _key_tested(self, answer: object) -> None:
        if self.dialog is not None:
            self.dialog.on_key_tested(str(answer))

    def _custom_key_tested(self, answer: object) -> None:
        if self.dialog is not None:
            self.dialog.on_custom_key_tested(str(answer))

    @Slot(int, str, str)
    def _on_retried(self, row: int, text: str, error: str) -> None:
        if error:
            self.window.on_problem(f"retry failed: {error}", Fix.RETRY)
            return
        self.window.show_retried(text)
        if text and self.settings.current.auto_copy:
            self.window.copy_text(text)
        self.window.say(f"dictation {row} transcribed again")


def variable(key_name: str) -> str:
    """The environment variable that stands in for a stored key: the backend's, or for the
    language model's keys the cleanup's own."""
    return KEY_VARIABLES.get(key_name, cleanup.KEY_VARIABLE)
