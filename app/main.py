"""The GUI's composition root: builds every object, wires every signal, runs, shuts down.

Nothing in the app imports this module; `build` is what tests call with their own audio source and
directories. Shutdown happens in one place (`Parts.shutdown`), in a fixed order: finish any
dictation, stop the engine, close the history, stop listening for `dictate ptt`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from app import diagnostics, paths
from app.audio.devices import list_inputs
from app.backends import Backend, backend_for, choose_backend
from app.controller.bridge import Bridge
from app.controller.command_mode import CommandMode
from app.controller.delivery import Delivery
from app.controller.dictation import DictationController
from app.controller.history_watch import HistoryWatch
from app.controller.microphones import Microphones
from app.controller.watchdog import StallWatchdog
from app.core.errors import Fix
from app.core.notices import ENGINE, SETTINGS_DAMAGED, Notice
from app.core.phases import Phase
from app.dictation.run import BackendReady, Source
from app.platform import logfile, sounds
from app.platform.hotkey import GlobalHotkey
from app.platform.single_instance import InstanceServer, send_command
from app.shell.actions import Actions
from app.shell.first_run import FirstRun
from app.storage import settings as settings_store
from app.storage.history import History, HistoryError
from app.storage.settings import Loaded, Settings
from app.storage.settings_source import SettingsSource
from app.ui.main_window import MainWindow
from app.ui.overlay import Overlay
from app.ui.tray import Tray

log = logging.getLogger(__name__)


@dataclass
class Parts:
    settings: SettingsSource
    history: History | None
    backend: Backend
    bridge: Bridge
    controller: DictationController
    window: MainWindow
    instance: InstanceServer
    tray: Tray | None
    actions: Actions
    delivery: Delivery
    overlay: Overlay
    first_run: FirstRun
    microphones: Microphones | None = None
    hotkey: GlobalHotkey | None = None
    history_watch: HistoryWatch | None = None
    command_mode: CommandMode | None = None
    command_hotkey: GlobalHotkey | None = None
    last_text: str = ""  # the last dictation's text, for "Copy last dictation"

    def shutdown(self) -> None:
        if self.controller.phase in (Phase.LOADING, Phase.CONNECTING, Phase.LISTENING):
            self.controller.release()
        self.controller.wait_finished(30)
        self.instance.close()
        self.delivery.stop()
        for hotkey in (self.hotkey, self.command_hotkey):
            if hotkey is not None:
                hotkey.stop()
        # Every microphone closed now, before PortAudio is: closing a stream in the background
        # while PortAudio terminates can deadlock inside the ALSA PulseAudio plugin.
        self.first_run.close()
        self.actions.mic_test.stop(wait=True)
        if self.microphones is not None:
            self.microphones.close(wait=True)
        self.controller.backend.close()
        sounds.shutdown()
        if self.history_watch is not None:
            self.history_watch.stop()
        if self.history is not None:
            self.history.close()


def build(
    settings: Settings | None = None,
    *,
    source_factory: Callable[[], Source] | None = None,
    backend: Backend | None = None,
    instance_name: str | None = None,
) -> Parts:
    # A damaged settings file is kept aside and said (below); given settings are used as is.
    loaded = settings_store.recover(paths.config_dir()) if settings is None else Loaded(settings)
    source = SettingsSource(loaded.settings)
    current = source.current
    bridge = Bridge()
    try:
        history: History | None = History(
            paths.data_dir() / "history.sqlite3", audio_days=current.history_audio_days
        )
    except HistoryError:
        history = None
    problem = ""
    if backend is None:
        try:
            backend = backend_for(current)
        except ValueError as exc:  # e.g. a custom backend with no URL yet
            problem = f"{exc}; using the local engine until that is fixed"
            backend = choose_backend("local", model=current.model_for("local") or None)
    controller = DictationController(bridge, backend, source_factory, history, source, sounds.play)
    microphones = None
    if source_factory is None:
        microphones = Microphones(source, bridge, controller.device_event)
        controller.source_factory = microphones
    window = MainWindow()
    icon = QIcon(str(paths.resources() / "icons" / "dictate.svg"))
    window.setWindowIcon(icon)
    instance = InstanceServer(instance_name or paths.runtime_name())
    tray = Tray(icon) if Tray.available() else None
    actions = Actions(window, controller, bridge, history, source, backend_for)
    first_run = FirstRun(window, controller, bridge, source, actions)
    parts = Parts(
        source, history, backend, bridge, controller, window, instance, tray, actions,
        Delivery(source), Overlay(source), first_run, microphones,
    )  # fmt: skip
    parts.command_mode = CommandMode(controller, bridge, history, parts.delivery.env.x11)
    delivery = parts.delivery
    parts.command_mode.session = lambda: delivery.input_method  # the selection in the field
    wire(parts)
    if history is None:
        window.say("the history could not be opened: dictations will not be saved")
    else:
        watch_history(parts, history)
    if loaded.damage:  # said until the settings are saved again
        window.on_notice(Notice(loaded.message, SETTINGS_DAMAGED))
        source.subscribe(lambda _s: window.on_notice_ended(SETTINGS_DAMAGED))
    if problem:
        window.on_problem(problem, Fix.OPEN_SETTINGS)
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
    c.notice_ended.connect(w.on_notice_ended)
    c.finished.connect(w.on_finished)
    wire_delivery(c, p.delivery, w)
    wire_overlay(c, p.overlay, p.delivery)
    w.settings_requested.connect(p.actions.open_settings)
    w.history_requested.connect(p.actions.open_history)
    w.fix_requested.connect(p.actions.on_fix)
    w.setup_requested.connect(p.first_run.open)
    c.finished.connect(lambda text, _row: remember_last(p, text))
    commands = {"start": c.press, "stop": c.release, "toggle": c.toggle,
                "copy-last": lambda: copy_last(p)}  # fmt: skip
    if p.command_mode is not None:
        commands["command"] = p.command_mode.toggle
        c.started.connect(p.command_mode.on_started)
        c.finished.connect(p.command_mode.on_finished)
        p.command_mode.notice.connect(w.on_notice)
    p.instance.command.connect(lambda name: _command(p, commands, name))
    w.show_backend(p.backend.describe())
    if p.tray is not None:
        p.tray.toggle_requested.connect(c.toggle)
        p.tray.show_requested.connect(lambda: _raise(w))
        p.tray.quit_requested.connect(QApplication.quit)
        p.tray.diagnostics_requested.connect(lambda: copy_diagnostics(p))
        p.tray.copy_last_requested.connect(lambda: copy_last(p))
        p.tray.setup_requested.connect(p.first_run.open)
        c.phase_changed.connect(p.tray.on_phase)
        p.actions.downloads.progress.connect(p.tray.on_download)
        p.actions.downloads.finished.connect(p.tray.on_download_finished)
    w.quit_requested.connect(QApplication.quit)
    p.settings.subscribe(lambda s: apply_tray(p, s), "close_to_tray")
    apply_tray(p, p.settings.current)
    p.settings.subscribe(lambda s: restart_hotkey(p), "hotkey", "hotkey_mode", "command_hotkey")
    if p.history is not None:
        history = p.history
        p.settings.subscribe(
            lambda s: setattr(history, "audio_days", s.history_audio_days), "history_audio_days"
        )


def watch_history(p: Parts, history: History) -> None:
    """A history that cannot be written is said now, tried again, and said when it can be."""
    watch = p.history_watch = HistoryWatch(history, p.bridge)
    watch.notice.connect(p.window.on_notice)
    watch.notice_ended.connect(p.window.on_notice_ended)
    p.controller.finished.connect(watch.check)
    watch.check()


def apply_tray(p: Parts, s: Settings) -> None:
    """The tray icon shows while "keep Dictate in the tray" is on; closing the window then
    hides it instead of quitting."""
    if p.tray is None:
        p.window.hide_on_close = False
        return
    p.window.hide_on_close = s.close_to_tray
    if s.close_to_tray:
        p.tray.show()
    else:
        p.tray.hide()


def wire_delivery(c: DictationController, d: Delivery, window: MainWindow) -> None:
    c.find_target = d.find_target  # at press, off the GUI thread
    c.started.connect(d.on_started)
    c.profile_chosen.connect(d.on_profile)
    c.phase_changed.connect(d.on_phase)
    c.text_changed.connect(d.on_text)
    c.finished.connect(d.on_finished)
    d.cancel_requested.connect(c.release)
    d.delivered.connect(lambda outcome: window.say(outcome.message))


def wire_overlay(c: DictationController, o: Overlay, d: Delivery) -> None:
    """The overlay follows the dictation; whether its live words are at the caret (then it
    shows the state only) it hears from the delivery's `routed`, whatever the order of these
    connections and `wire_delivery`'s."""
    c.phase_changed.connect(o.on_phase)
    c.text_changed.connect(o.on_text)
    c.level_changed.connect(o.on_level)
    d.routed.connect(o.on_route)
    d.delivered.connect(o.on_delivered)


def copy_diagnostics(p: Parts) -> None:
    """The tray's "Copy diagnostics": a report for a bug, on the clipboard."""
    text = diagnostics.report(
        backend=p.controller.backend.describe(),
        microphone=p.settings.current.microphone,
        state_dir=paths.state_dir(),
    )
    QGuiApplication.clipboard().setText(text)
    p.window.say("Diagnostics copied: paste them into your bug report")


def remember_last(p: Parts, text: str) -> None:
    if text and not p.controller.dictation.options.command:  # an instruction is no dictation
        p.last_text = text


def copy_last(p: Parts) -> None:
    """The tray's "Copy last dictation" and `dictate ptt copy-last`: with the clipboard left to
    the user, the last dictation stays one click away."""
    text = p.last_text
    if not text and p.history is not None:
        newest = p.history.search("", limit=1)
        text = newest[0].text if newest else ""
    if not text:
        p.window.say("No dictation to copy yet")
        return
    QGuiApplication.clipboard().setText(text)
    p.window.say("Last dictation copied: press Ctrl+V to paste it")


def start_hotkey(p: Parts) -> None:
    """The global hotkeys: dictation (hold-to-talk or toggle, as the settings say) and
    command mode's (the same way), when set."""
    s = p.settings.current
    if s.command_hotkey and p.command_mode is not None:
        mode = p.command_mode
        p.command_hotkey = listen(p, s.command_hotkey, s.hotkey_mode, mode.press, mode.toggle)
    if s.hotkey:
        p.hotkey = listen(p, s.hotkey, s.hotkey_mode, p.controller.press, p.controller.toggle)


def listen(
    p: Parts, combo: str, mode: str, press: Callable[[], None], toggle: Callable[[], None]
) -> GlobalHotkey | None:
    hotkey = GlobalHotkey(combo)
    if mode == "toggle":
        hotkey.pressed.connect(toggle)
    else:
        hotkey.pressed.connect(press)
        hotkey.released.connect(p.controller.release)
    problem = hotkey.start()
    if problem:
        p.window.say(problem)
        return None
    return hotkey


def restart_hotkey(p: Parts) -> None:
    """Another hotkey or mode chosen in Settings: the old listener stops (off the GUI
    thread: it joins its thread) and the new one listens at once."""
    for old in (p.hotkey, p.command_hotkey):
        if old is not None:
            old.pressed.disconnect()
            old.released.disconnect()
            p.bridge.run(old.stop, name="hotkey-stop")
    p.hotkey = p.command_hotkey = None
    start_hotkey(p)


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


def announce_engine(p: Parts) -> None:
    """Say when the local engine is ready (or why it could not start)."""
    backend, report = p.backend, p.controller.device_event

    def wait() -> None:
        backend.wait_ready()
        report(BackendReady())
        log.info("engine ready")

    def failed(exc: BaseException) -> None:
        p.window.on_notice(Notice(f"the local engine could not start: {exc}", ENGINE))

    p.bridge.run(wait, None, failed, name="engine-ready")


def run(log_level: int = logging.WARNING) -> int:
    """The app until it quits; `log_level` INFO also logs its progress (the window shown,
    the engine ready, each delivery: `bench/` and the soak test read those lines)."""
    if sys.platform.startswith("linux") and not any(
        os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        sys.stderr.write(
            "dictate: no display to open a window on. On a desktop, run `dictate` there; in a "
            "terminal, `dictate listen` dictates from the microphone and `dictate transcribe "
            "FILE` transcribes a recording (`dictate --help` lists every command).\n"
        )
        return 2
    logfile.install(paths.state_dir(), log_level)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Dictate")
    app.setDesktopFileName("org.dictate.Dictate")  # packaging/linux/*.desktop
    try:
        running = send_command(paths.runtime_name(), "show", timeout_ms=500)
    except paths.UnsafeRuntimeDir:
        running = False  # the instance server logs why `dictate ptt` cannot reach it
    if running:
        sys.stderr.write("Dictate is already running: brought its window to the front\n")
        return 0
    parts = build()
    parts.window.show()
    parts.delivery.start()
    parts.first_run.open_if_new()  # beside the window; dictation works while it is open
    QTimer.singleShot(0, lambda: log.info("window shown on %s", app.platformName()))
    _log_singletons("start")
    start_hotkey(parts)
    watchdog = StallWatchdog()
    watchdog.start()
    # PortAudio scans the devices when it starts (up to a second with ALSA): do it now, in
    # the background, so the first press opens the microphone at once.
    parts.bridge.run(list_inputs, name="audio-warmup")
    if parts.history is not None:  # audio past the retention limit goes
        parts.bridge.run(parts.history.prune_audio, name="history-prune")
    if parts.backend.engine is not None:
        announce_engine(parts)
    try:
        code = app.exec()
    finally:
        watchdog.stop()
        parts.shutdown()
        _log_singletons("exit")
        logfile.uninstall()
    return code


def _log_singletons(when: str) -> None:
    """How many references None, True and False hold: a C extension that returns one
    without a reference makes these fall until the interpreter aborts (see pyproject)."""
    counts = " ".join(f"{v}={sys.getrefcount(v)}" for v in (None, True, False))
    log.info("singletons at %s: %s", when, counts)
