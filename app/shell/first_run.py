"""The first-run setup's controller: opens `FirstRunDialog` on a first start (and from the menu),
answers what it asks off the GUI thread, and applies what the user chose.

The dialog never blocks dictation: it is not modal, and the hotkey, the window's button and
`dictate ptt` dictate with the settings in force while it is open. Its test phrase is
recorded from the microphone chosen on its first page and transcribed by the current backend,
exactly as a dictation's saved audio is retried (`app.dictation.run.retry`, whose text is the
one `finalize()` makes); what it heard is shown in words. A
microphone that stops delivering audio is said in the setup and in the window until it
delivers again; the setup's level test opens it again meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from app.controller.bridge import Bridge
from app.controller.dictation import DictationController
from app.controller.level_probe import MicrophoneTest
from app.core.notices import MICROPHONE_STALLED, Notice
from app.dictation.options import DictationOptions
from app.dictation.run import retry
from app.shell.actions import Actions, Machine, look_up_machine
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from app.ui.first_run import FirstRunDialog
from app.ui.main_window import MainWindow


def missing(machine: Machine) -> list[str]:
    """What `dictate --self-check` would find missing, in words a user can act on (the
    parts that are cheap to check: the engine's own readiness is announced separately)."""
    problems = []
    if machine.audio_problem:
        problems.append(f"The sound system could not be opened: {machine.audio_problem}")
    elif not machine.microphones:
        problems.append("No microphone was found: plug one in, or allow Dictate to use it.")
    if machine.environment.wayland:
        problems.append(
            "This desktop does not let apps see global keys: the Hotkey page shows which "
            "command to bind instead."
        )
    return problems


class FirstRun(QObject):
    def __init__(
        self,
        window: MainWindow,
        controller: DictationController,
        bridge: Bridge,
        settings: SettingsSource,
        actions: Actions,
    ) -> None:
        super().__init__()
        self.window, self.controller, self.bridge = window, controller, bridge
        self.settings, self.actions = settings, actions
        self.dialog: FirstRunDialog | None = None
        self.mic_test = MicrophoneTest(bridge, self._level, self._mic_failed, self._stalled)

    def open_if_new(self) -> None:
        """On the first start only: the setup, beside the window."""
        if not self.settings.current.first_run_done:
            self.open()

    @Slot()
    def open(self) -> None:
        if self.dialog is not None:
            self.dialog.show()
            self.dialog.raise_()
            return
        dialog = FirstRunDialog(self.settings.current, [], self.window)
        dialog.mic_test_toggled.connect(self._levels)
        dialog.microphone_changed.connect(self._microphone_changed)
        dialog.phrase_pressed.connect(self._phrase_pressed)
        dialog.phrase_released.connect(self._phrase_released)
        dialog.test_key_requested.connect(self._test_key)
        dialog.completed.connect(self._completed)
        dialog.skipped.connect(self._skipped)
        self.dialog = dialog
        dialog.show()

        def found(machine: Machine) -> None:
            if self.dialog is dialog:
                dialog.set_microphones(machine.microphones)
                dialog.set_problems(missing(machine))
                dialog.set_environment(machine.environment)

        self.bridge.run(look_up_machine, found, name="first-run-lookup")

    # --- the dialog's requests -------------------------------------------------------------

    @Slot(bool)
    def _levels(self, on: bool) -> None:
        self.mic_test.stop()
        if on and self.dialog is not None:
            self.mic_test.start(self.dialog.mic.chosen())

    @Slot(str)
    def _microphone_changed(self, name: str) -> None:
        if self.mic_test.source is not None:
            self.mic_test.start(name)

    def _level(self, rms_db: float) -> None:
        if self.dialog is not None:
            self.dialog.on_level(rms_db)

    def _stalled(self, message: str) -> None:
        """The test's microphone stopped delivering audio; "" once it delivers again."""
        if self.dialog is not None:
            self.dialog.on_microphone_stalled(message)
        if message:
            self.window.on_notice(Notice(message, MICROPHONE_STALLED))
        else:
            self.window.on_notice_ended(MICROPHONE_STALLED)

    def _mic_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.on_phrase_error(message)

    @Slot(str)
    def _phrase_pressed(self, microphone: str) -> None:
        if self.mic_test.source is None:
            self.mic_test.start(microphone)
        self.mic_test.record()

    @Slot()
    def _phrase_released(self) -> None:
        audio = self.mic_test.recorded()
        backend, options = self.controller.backend, DictationOptions.snapshot(self.settings)
        connect = self.controller.open_client

        def transcribe() -> str:
            done = retry(backend, audio, options.language, options.words, connect=connect)
            if done.result.error is not None:
                raise done.result.error
            return done.final.text

        def heard(text: str) -> None:
            if self.dialog is not None:
                self.dialog.on_phrase(text)

        self.bridge.run(transcribe, heard, lambda exc: self._mic_failed(str(exc)),
                        name="first-run-phrase")  # fmt: skip

    @Slot(str)
    def _test_key(self, key: str) -> None:
        def tested(answer: str) -> None:
            if self.dialog is not None:
                self.dialog.on_key_tested(answer)

        self.actions.check_together_key(key, tested)

    # --- the end ---------------------------------------------------------------------------

    @Slot(object, str)
    def _completed(self, chosen: Settings, key: str) -> None:
        chosen.first_run_done = True
        self._close()
        self.actions.apply(chosen, key)

    @Slot()
    def _skipped(self) -> None:
        kept = self.settings.edit()
        kept.first_run_done = True
        self._close()
        self.actions.apply(kept)

    def close(self) -> None:
        """At shutdown: the setup's microphone closed before the app lets PortAudio go."""
        self.mic_test.stop(wait=True)
        self._close()

    def _close(self) -> None:
        self.mic_test.stop()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
