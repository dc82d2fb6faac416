"""Every setting takes effect on Save, without a restart: microphone (two virtual microphones),
clipboard, paste, continuous delivery, hotkey and its mode (a real key press on Xvfb), tray.

The app runs with its real parts: the microphone factory on PulseAudio's virtual microphones,
the local engine, the delivery chain typing or pasting into a GTK entry under openbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QGuiApplication, QIcon
from pytestqt.qtbot import QtBot

from app import paths
from app.audio import devices
from app.audio.files import FileSource
from app.delivery import chain
from app.main import Parts, start_hotkey
from app.storage.settings import Settings
from app.ui.tray import Tray
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.delivery.desktop import Desktop, entered, needs_desktop
from tests.gui.conftest import MakeApp
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


@pytest.fixture
def second(mic: VirtualMic) -> Iterator[VirtualMic]:
    """A second microphone, `second`, beside the default one."""
    other = VirtualMic(48000, beside=mic)
    other.start()
    devices.refresh()
    yield other
    devices.refresh()  # streams closed while PulseAudio still runs (see the `mic` fixture)
    other.stop()
    devices.refresh()


def dictate(qtbot: QtBot, parts: Parts, into: VirtualMic, name: str) -> tuple[chain.Outcome, str]:
    """Hold, say `name` into the microphone `into`, release; the delivery's outcome and the
    dictation's text."""
    texts: list[str] = []
    parts.controller.finished.connect(lambda text, _row: texts.append(text))
    c = parts.controller
    c.press()
    qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=20000)
    into.play(pcm(name) + silence(0.3))
    qtbot.waitUntil(lambda: into.idle, timeout=30000)
    with qtbot.waitSignal(parts.delivery.delivered, timeout=60000) as delivered:
        c.release()
    outcome = delivered.args[0]
    assert isinstance(outcome, chain.Outcome) and texts
    return outcome, texts[-1]


pytestmark = [
    needs_desktop,
    pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip"),
    pytest.mark.usefixtures("home"),
]


def test_microphone_clipboard_and_paste_apply_on_save(
    qtbot: QtBot,
    engine: Engine,
    desktop: Desktop,
    mic: VirtualMic,
    second: VirtualMic,
    make_app: MakeApp,
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False, microphone="pulse", auto_copy=True, auto_paste=False),
        backend=local_backend(engine),
    )
    parts.delivery.start()
    try:
        entry = desktop.entry("ApplyTest")
        desktop.set_clipboard("mine")  # the desktop's (X) clipboard, which paste uses
        first, text = dictate(qtbot, parts, mic, "fox")
        assert first.delivered and first.method == chain.TYPING, first
        wait_until(lambda: entry.text == text, 20, f"{text!r} typed (got {entry.text!r})")
        assert wer(TEXTS["fox"], text) <= 0.5, text
        assert QGuiApplication.clipboard().text() == entry.text  # copied: auto_copy is on
        print(entry.events)

        edited = parts.settings.edit()
        edited.microphone, edited.auto_copy, edited.auto_paste = "second", False, True
        changed = parts.actions.apply(edited)
        assert changed == {"microphone", "auto_copy", "auto_paste"}
        desktop.set_clipboard("mine again")
        typed = entry.text
        mic.play(pcm("meeting"))  # the old microphone hears something else meanwhile
        outcome, added = dictate(qtbot, parts, second, "weather")
        assert outcome.delivered and outcome.method == chain.PASTE, outcome
        wait_until(lambda: entry.text == typed + added, 20, f"{added!r} pasted")
        assert wer(TEXTS["weather"], added) <= 0.5, added  # the second microphone's words
        assert "meeting" not in added.lower()
        wait_until(lambda: desktop.clipboard() == "mine again", 10, "the user's clipboard back")
        assert QGuiApplication.clipboard().text() == text  # not copied: auto_copy is off
    finally:
        parts.shutdown()


def test_continuous_mode_delivers_each_sentence_as_it_settles(
    qtbot: QtBot, engine: Engine, desktop: Desktop, make_app: MakeApp
) -> None:
    speech = pcm("fox") + silence(1.5) + pcm("weather") + silence(6.0)
    parts = make_app(Settings(sounds=False, overlay=False, vad_preset="hands-free",
                                        vad_min_silence_ms=500, auto_stop_s=0),
                source=lambda: FileSource(speech), backend=local_backend(engine))  # fmt: skip
    parts.delivery.start()
    try:
        entry = desktop.entry("ContinuousTest")
        edited = parts.settings.edit()
        edited.continuous = True
        parts.actions.apply(edited)
        parts.controller.toggle()
        # The first sentence is typed while the dictation still runs.
        qtbot.waitUntil(lambda: "lazy dog." in entry.text, timeout=40000)
        assert parts.controller.phase.value == "listening"
        assert "weather" not in entry.text  # ...before the second one is even spoken
        qtbot.waitUntil(lambda: "afternoon." in entry.text, timeout=40000)
        assert parts.controller.phase.value == "listening"
        with qtbot.waitSignal(parts.delivery.delivered, timeout=60000) as delivered:
            parts.controller.toggle()
        assert delivered.args[0].delivered, delivered.args[0]
        expected = f"{TEXTS['fox']} {TEXTS['weather']}"
        assert wer(expected, entry.text) <= 0.35, entry.text
        assert entry.text.count("lazy dog") == 1 and entry.text.count("afternoon") == 1
    finally:
        parts.shutdown()


def test_a_new_hotkey_and_mode_answer_a_real_key_press(
    qtbot: QtBot, engine: Engine, desktop: Desktop, make_app: MakeApp
) -> None:
    speech = pcm("fox") + silence(30)
    parts = make_app(
        Settings(sounds=False, overlay=False, hotkey="<ctrl>+<alt>+d"),
        source=lambda: FileSource(speech),
        backend=local_backend(engine),
    )
    start_hotkey(parts)
    try:
        assert parts.hotkey is not None
        edited = parts.settings.edit()
        edited.hotkey, edited.hotkey_mode = "<ctrl>+<alt>+k", "toggle"
        parts.actions.apply(edited)
        assert parts.hotkey is not None and parts.hotkey.combo == "<ctrl>+<alt>+k"
        qtbot.waitUntil(parts.hotkey.listening, timeout=10000)  # keys before that are lost
        with qtbot.waitSignal(parts.controller.phase_changed, timeout=10000):
            desktop.xdotool("key", "ctrl+alt+k")  # pressed and released: toggle keeps going
        qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
        desktop.xdotool("key", "ctrl+alt+d")  # the old chord does nothing any more
        with qtbot.waitSignal(parts.controller.finished, timeout=60000):
            desktop.xdotool("key", "ctrl+alt+k")  # the new one stops it
    finally:
        parts.shutdown()
        desktop.xdotool("key", "shift")  # pynput's listener ends at its next X event


# The offscreen platform has no tray: QSystemTrayIcon says so when it looks for one.
@pytest.mark.qt_log_ignore("No such signal QPlatformNativeInterface::systemTrayWindowChanged")
def test_the_tray_setting_shows_or_hides_the_icon_and_decides_what_closing_does(
    qtbot: QtBot, engine: Engine, make_app: MakeApp
) -> None:
    parts = make_app(Settings(sounds=False, close_to_tray=True), backend=local_backend(engine))
    try:
        icon = QIcon(str(paths.resources() / "icons" / "dictate.svg"))
        parts.tray = Tray(icon)  # offscreen has no tray host: the icon's state is kept
        edited = parts.settings.edit()
        edited.close_to_tray = False
        parts.actions.apply(edited)
        assert not parts.tray.icon.isVisible() and not parts.window.hide_on_close
        with qtbot.waitSignal(parts.window.quit_requested, timeout=2000):
            parts.window.close()
        edited = parts.settings.edit()
        edited.close_to_tray = True
        parts.actions.apply(edited)
        assert parts.tray.icon.isVisible() and parts.window.hide_on_close
        parts.window.show()
        with qtbot.assertNotEmitted(parts.window.quit_requested):
            parts.window.close()
        assert not parts.window.isVisible()
    finally:
        parts.shutdown()
