"""The GUI's composition root: builds every object, wires every signal, runs, shuts down.

Nothing in the app imports this module; `build` is what tests call with their own audio source and
directories. Shutdown happens in one place (`Parts.shutdown`), in a fixed order: finish any
dictation, stop the engine, close the history, stop listening for `dictate ptt`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from app import diagnostics, paths
from app.audio.capture import MicrophoneSource
from app.audio.devices import list_inputs
from app.backends import Backend, choose_backend, together_key
from app.controller.bridge import Bridge
from app.controller.dictation import DictationController
from app.controller.run import BackendReady, Notice, Source
from app.controller.watchdog import StallWatchdog
from app.platform import logfile, sounds
from app.platform.hotkey import GlobalHotkey, paste_keystroke
from app.platform.single_instance import InstanceServer, send_command
from app.storage import settings as settings_store
from app.storage.history import History, HistoryError
from app.storage.settings import Settings
from app.ui.actions import Actions
from app.ui.delivery import Delivery
from app.ui.main_window import MainWindow
from app.ui.overlay import Overlay
from app.ui.tray import Tray


def backend_for(settings: Settings) -> Backend:
    """The backend the settings ask for; "auto" is Together with a key, else the local engine."""
    name = settings.backend
    if name == "auto":
        name = "together" if together_key() else "local"
    url = settings.custom_url if name == "custom" else None
    return choose_backend(name, url=url, model=settings.model_for(name) or None)


class Clipboard(QObject):
    """Delivers each final text: the clipboard (main thread only, as Qt requires), and when
    asked a Ctrl+V into the focused app, then the user's previous clipboard back."""

    def __init__(self, settings: Settings, bridge: Bridge) -> None:
        super().__init__()
        self.settings = settings
        self.bridge = bridge

    @Slot(str, int)
    def on_finished(self, text: str, _row: int) -> None:
        if not text:
            return
        s = self.settings
        clipboard = QGuiApplication.clipboard()
        previous = clipboard.text()
        if s.auto_copy or s.auto_paste:
            clipboard.setText(text)
        if s.auto_paste:
            self.bridge.run_in_background("paste", paste_keystroke)
            if s.restore_clipboard:
                QTimer.singleShot(600, lambda: clipboard.setText(previous))


@dataclass
class Parts:
    settings: Settings
    history: History | None
    backend: Backend
    bridge: Bridge
    controller: DictationController
    window: MainWindow
    clipboard: Clipboard
    instance: InstanceServer
    tray: Tray | None
    actions: Actions
    hotkey: GlobalHotkey | None = None
    delivery: Delivery | None = None
    overlay: Overlay | None = None

    def shutdown(self) -> None:
        if self.controller.phase.value in ("loading model", "connecting", "listening"):
            self.controller.release()
        self.controller.wait_finished(30)
        self.instance.close()
        if self.delivery is not None:
            self.delivery.stop()
        if self.hotkey is not None:
            self.hotkey.stop()
        self.controller.backend.close()
        sounds.shutdown()
        if self.history is not None:
            self.history.close()


def microphone_factory(settings: Settings, bridge: Bridge) -> Callable[[], Source]:
    """A fresh microphone per dictation, or one kept open (pre-roll) when the user wants."""
    kept: list[MicrophoneSource] = []

    def make() -> Source:
        if kept:
            return kept[0]
        source = MicrophoneSource(
            settings.microphone or None,
            keep_open=settings.keep_microphone_open,
            on_level=bridge.post,
            on_warning=lambda message: bridge.post(Notice(message)),
        )
        if settings.keep_microphone_open:
            kept.append(source)
        return source

    return make


def build(
    settings: Settings | None = None,
    *,
    source_factory: Callable[[], Source] | None = None,
    backend: Backend | None = None,
    instance_name: str | None = None,
) -> Parts:
    settings = settings or settings_store.load(paths.config_dir())
    bridge = Bridge()
    try:
        history: History | None = History(
            paths.data_dir() / "history.sqlite3", audio_days=settings.history_audio_days
        )
    except HistoryError:
        history = None
    problem = ""
    if backend is None:
        try:
            backend = backend_for(settings)
        except ValueError as exc:  # e.g. a custom backend with no URL yet
            problem = f"{exc}; using the local engine until that is fixed"
            backend = choose_backend("local", model=settings.model_for("local") or None)
    controller = DictationController(
        bridge,
        backend,
        source_factory or microphone_factory(settings, bridge),
        history,
        settings,
        sounds.play,
    )
    window = MainWindow()
    icon = QIcon(str(paths.resources() / "icons" / "dictate.svg"))
    window.setWindowIcon(icon)
    clipboard = Clipboard(settings, bridge)
    instance = InstanceServer(instance_name or paths.runtime_name())
    tray = Tray(icon) if Tray.available() else None
    actions = Actions(window, controller, bridge, history, backend_for)
    parts = Parts(
        settings, history, backend, bridge, controller, window, clipboard, instance, tray, actions
    )
    parts.delivery = Delivery(settings)
    parts.overlay = Overlay(settings)
    wire(parts)
    if history is None:
        window.on_notice("the history could not be opened: dictations will not be saved")
    if problem:
        window.on_problem(problem, "Open settings...")
    return parts


def wire(p: Parts) -> None:
    """Every signal connection of the app, in one place."""
    c, w = p.controller, p.window
    w.press_requested.connect(c.press)
    w.release_requested.connect(c.release)
    w.toggle_requested.connect(c.toggle)
    c.phase_changed.connect(w.on_phase)
    c.text_changed.connect(w.on_text)
    c.level_changed.connect(w.on_level)
    c.problem.connect(w.on_problem)
    c.notice.connect(w.on_notice)
    c.finished.connect(w.on_finished)
    if p.delivery is None:
        c.finished.connect(p.clipboard.on_finished)
    else:  # into the app the user types in (app.delivery), or the clipboard with a notice
        wire_delivery(p, p.delivery)
    w.settings_requested.connect(p.actions.open_settings)
    w.history_requested.connect(p.actions.open_history)
    w.action_requested.connect(p.actions.on_action)
    commands = {"start": c.press, "stop": c.release, "toggle": c.toggle}
    p.instance.command.connect(lambda name: _command(p, commands, name))
    w.status.setText(f"{p.backend.describe()} · idle")
    if p.tray is not None:
        p.tray.toggle_requested.connect(c.toggle)
        p.tray.show_requested.connect(lambda: _raise(w))
        p.tray.quit_requested.connect(QApplication.quit)
        p.tray.diagnostics_requested.connect(lambda: copy_diagnostics(p))
        c.phase_changed.connect(p.tray.on_phase)
        p.actions.downloads.progress.connect(p.tray.on_download)
        p.actions.downloads.finished.connect(p.tray.on_download_finished)
        w.hide_on_close = p.settings.close_to_tray
        p.tray.show()
    w.quit_requested.connect(QApplication.quit)


def wire_delivery(p: Parts, d: Delivery) -> None:
    c = p.controller
    c.phase_changed.connect(d.on_phase)
    c.text_changed.connect(d.on_text)
    c.finished.connect(d.on_finished)
    d.cancel_requested.connect(c.release)
    d.delivered.connect(lambda outcome: p.window.on_notice(outcome.message))
    if p.overlay is not None:
        wire_overlay(p, p.overlay, d)


def wire_overlay(p: Parts, o: Overlay, d: Delivery) -> None:
    c = p.controller

    def on_phase(phase: str, detail: str) -> None:
        o.at_caret = d.ime  # the live words are at the caret: the overlay shows the state only
        o.on_phase(phase, detail)

    c.phase_changed.connect(on_phase)
    c.text_changed.connect(o.on_text)
    c.level_changed.connect(o.on_level)
    d.delivered.connect(o.on_delivered)


def copy_diagnostics(p: Parts) -> None:
    """The tray's "Copy diagnostics": a report for a bug, on the clipboard."""
    text = diagnostics.report(
        backend=p.controller.backend.describe(),
        microphone=p.settings.microphone,
        state_dir=paths.state_dir(),
    )
    QGuiApplication.clipboard().setText(text)
    p.window.on_notice("Diagnostics copied: paste them into your bug report")


def start_hotkey(p: Parts) -> None:
    """The global hotkey: hold-to-talk or toggle, as the settings say."""
    if not p.settings.hotkey:
        return
    hotkey = GlobalHotkey(p.settings.hotkey)
    if p.settings.hotkey_mode == "toggle":
        hotkey.pressed.connect(p.controller.toggle)
    else:
        hotkey.pressed.connect(p.controller.press)
        hotkey.released.connect(p.controller.release)
    problem = hotkey.start()
    if problem:
        p.window.on_notice(problem)
    else:
        p.hotkey = hotkey


def _command(p: Parts, commands: dict[str, Callable[[], None]], name: str) -> None:
    if name == "show":
        _raise(p.window)
    elif name == "quit":
        QApplication.quit()
    elif name in commands:
        commands[name]()


def _raise(window: MainWindow) -> None:
    window.show()
    window.raise_()
    window.activateWindow()


def run() -> int:
    if sys.platform.startswith("linux") and not any(
        os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        sys.stderr.write(
            "dictate: no display to open a window on. On a desktop, run `dictate` there; in a "
            "terminal, `dictate listen` dictates from the microphone and `dictate transcribe "
            "FILE` transcribes a recording (`dictate --help` lists every command).\n"
        )
        return 2
    logfile.install(paths.state_dir())
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Dictate")
    app.setDesktopFileName("org.dictate.Dictate")  # packaging/linux/*.desktop
    if send_command(paths.runtime_name(), "show", timeout_ms=500):
        sys.stderr.write("Dictate is already running: brought its window to the front\n")
        return 0
    parts = build()
    parts.window.show()
    if parts.delivery is not None:
        parts.delivery.start()
    if os.environ.get("DICTATE_STARTUP_REPORT"):  # for bench/app.py and the soak test
        QTimer.singleShot(0, lambda: print(f"window shown on {app.platformName()}", flush=True))
        _report_singletons("start")
    start_hotkey(parts)
    watchdog = StallWatchdog()
    watchdog.start()
    # PortAudio scans the devices when it starts (up to a second with ALSA): do it now, in
    # the background, so the first press opens the microphone at once.
    parts.bridge.run_in_background("audio-warmup", list_inputs)
    if parts.history is not None:  # audio past the retention limit goes
        parts.bridge.run_in_background("history-prune", parts.history.prune_audio)
    if parts.backend.engine is not None:  # say when the local engine is ready
        backend, bridge = parts.backend, parts.bridge

        def wait() -> None:
            try:
                backend.wait_ready()
                bridge.post(BackendReady())
                if os.environ.get("DICTATE_STARTUP_REPORT"):
                    print("engine ready", flush=True)
            except (RuntimeError, TimeoutError) as exc:
                bridge.post(Notice(f"the local engine could not start: {exc}"))

        threading.Thread(target=wait, name="engine-ready", daemon=True).start()
    try:
        code = app.exec()
    finally:
        watchdog.stop()
        parts.shutdown()
        logfile.uninstall()
    if os.environ.get("DICTATE_STARTUP_REPORT"):
        _report_singletons("exit")
    return code


def _report_singletons(when: str) -> None:
    """How many references None, True and False hold: a C extension that returns one
    without a reference makes these fall until the interpreter aborts (see pyproject)."""
    counts = " ".join(f"{v}={sys.getrefcount(v)}" for v in (None, True, False))
    print(f"singletons at {when}: {counts}", flush=True)
