"""The real app, driven with `dictate ptt` and the virtual microphone, dictating through the
input method into a GTK entry of another process: live words as preedit at the caret, the
transcript committed and fitted to the text before the caret, the clipboard never touched (the
default), the keyboard unchanged before and after."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.delivery.ibus.caret import fit
from tests.delivery.desktop import USER_IME, Desktop, needs_desktop, needs_ibus
from tests.soak.driver import SoakDriver
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus]
SENTINEL = "what the user had copied"


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    d = Desktop()
    try:
        yield d
    finally:
        d.stop()


def app_on(desktop: Desktop, mic: VirtualMic, **settings: object) -> SoakDriver:
    driver = SoakDriver(desktop.display, mic)
    for key in ("HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"):
        driver.env[key] = desktop.env[key]
    config = driver.home / "config"
    config.mkdir(parents=True, exist_ok=True)
    settings = {"first_run_done": True, **settings}
    (config / "settings.json").write_text(json.dumps({"version": 1, "settings": settings}))
    return driver


def delivered_line(driver: SoakDriver, after: int) -> str:
    line: str = wait_until(
        lambda: next((x for x in driver.log.lines[after:] if x.startswith("delivered:")), ""),
        20,
        "the app to report the delivery",
    )
    return line


def overlay_visible(desktop: Desktop) -> bool:
    found = desktop.xdotool("search", "--onlyvisible", "--name", "^Dictate overlay$", check=False)
    return bool(found)


@pytest.mark.timeout(180)
def test_live_words_at_the_caret_through_the_input_method(
    desktop: Desktop, mic: VirtualMic
) -> None:
    desktop.ibus_cmd("engine", "xkb:us::eng")  # the user's own engine
    users_engine = wait_until(lambda: desktop.ibus_cmd("engine"), 10, "the user's engine")
    desktop.set_clipboard(SENTINEL)
    driver = app_on(desktop, mic)  # the default settings: "copy the final text" is off
    try:
        driver.start()
        driver.log.wait_line("delivery method:", 20)
        assert driver.log.wait_line("delivery method:", 1) == "delivery method: input method"
        entry = desktop.entry("EntryTest")
        desktop.type("abc ")
        wait_until(lambda: entry.text == "abc ", 10, "keys typed before the dictation")

        focused = desktop.focused_window()
        lines = len(driver.log.lines)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("weather") + silence(0.3))
        # The overlay appears without taking the focus from the entry.
        wait_until(lambda: overlay_visible(desktop), 10, "the overlay")
        assert desktop.focused_window() == focused
        wait_until(lambda: mic.idle, 30, "the speech to be played")
        shown = [p for p in entry.preedits if p]  # the live words, before the stop
        driver.ptt("stop")
        line = delivered_line(driver, lines)
        transcript = driver.newest_text()
        assert line.startswith("delivered: True input method"), line
        assert line.endswith("typed into EntryTest"), line
        at_caret = "abc " + fit("abc ", transcript)  # mid-sentence: no capital
        wait_until(lambda: entry.text == at_caret, 10, f"{transcript!r} in the entry")
        assert wer(TEXTS["weather"], transcript) <= 0.5, transcript
        assert shown, f"no preedit shown during the speech: {entry.events}"
        assert entry.preedits[-1] == "", "the preedit was left at the caret"
        assert any(re.search(r"\w", p) for p in shown)
        assert desktop.clipboard() == SENTINEL  # never touched
        driver.ptt("copy-last")  # ...and the dictation is one command away
        wait_until(lambda: desktop.clipboard() == transcript, 10, "the last dictation copied")
        assert desktop.ibus_cmd("engine") == users_engine  # the user's engine is back
        wait_until(lambda: not overlay_visible(desktop), 10, "the overlay to fade out")
        assert desktop.focused_window() == focused

        desktop.type(" xyz")
        typed = at_caret + " xyz"
        wait_until(lambda: entry.text == typed, 10, "keys typed after")

        # Escape during a dictation cancels it and takes the live words away.
        lines, before = len(driver.log.lines), len(entry.events)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("meeting") + silence(0.3))
        wait_until(lambda: any(e.get("preedit") for e in entry.events[before:]), 20, "live words")
        desktop.xdotool("key", "Escape")
        line = delivered_line(driver, lines)  # Escape released the dictation: no `ptt stop`
        assert "cancelled" in line and line.startswith("delivered: False"), line
        wait_until(lambda: entry.preedits[-1] == "", 10, "the preedit removed")
        assert entry.text == typed
        mic.flush()  # the rest of the speech, unheard after the cancel

        # The window dictated into closes before the end: the text is copied, and said so.
        gone = desktop.entry("GoneTest")
        lines = len(driver.log.lines)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("fox") + silence(0.3))
        wait_until(lambda: mic.idle, 30, "the speech to be played")
        gone.close()
        driver.ptt("stop")
        line = delivered_line(driver, lines)
        assert line.startswith("delivered: False clipboard"), line
        assert line.endswith("GoneTest closed: copied: press Ctrl+V"), line
        transcript = driver.newest_text()
        assert wer(TEXTS["fox"], transcript) <= 0.5, transcript
        wait_until(lambda: desktop.clipboard() == transcript, 10, "the text on the clipboard")
        assert entry.text == typed  # nothing strayed into the other window
        assert driver.alive()
        started = time.monotonic()
        driver.quit()
        assert driver.result.exit_code == 0, driver.result.stderr
        assert time.monotonic() - started < 30
    finally:
        driver.cleanup()


def engine_process(app_pid: int) -> int:
    """The pid of the app's IBus engine process (its child running engine.py)."""
    for child in Path(f"/proc/{app_pid}/task/{app_pid}/children").read_text().split():
        if "engine.py" in Path(f"/proc/{child}/cmdline").read_text():
            return int(child)
    return 0


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie's cmdline is empty)."""
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_text())
    except OSError:
        return False


@pytest.mark.timeout(180)
def test_a_window_without_the_input_method_is_typed_into_and_the_ime_survives_a_kill(
    mic: VirtualMic,
) -> None:
    desktop = Desktop(user_ime=True)  # the user's input method, installed as real ones are
    driver = app_on(desktop, mic)
    try:
        desktop.ibus_cmd("engine", USER_IME)
        wait_until(lambda: desktop.ibus_cmd("engine") == USER_IME, 10, "the user's engine")
        desktop.set_clipboard(SENTINEL)
        driver.start()
        assert driver.log.wait_line("delivery method:", 20) == "delivery method: input method"
        # A window that does not use the input method: the engine gets the daemon's "fake"
        # context, so the text is typed with XTest instead of claimed and lost.
        plain = desktop.entry("Plain", im="gtk-im-context-simple")
        lines = len(driver.log.lines)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("weather") + silence(0.3))
        wait_until(lambda: mic.idle, 30, "the speech to be played")
        driver.ptt("stop")
        line = delivered_line(driver, lines)
        assert line.startswith("delivered: True typing"), line
        assert line.endswith("typed into Plain (it does not use the input method)"), line
        transcript = driver.newest_text()
        wait_until(lambda: plain.text == transcript, 10, f"{transcript!r} typed into Plain")
        assert desktop.clipboard() == SENTINEL
        assert desktop.ibus_cmd("engine") == USER_IME

        # The app killed: its engine sees its input end, and puts the user's engine back.
        engine = engine_process(driver.proc.pid) if driver.proc else 0
        assert engine, "no engine process"
        assert driver.proc is not None
        driver.proc.send_signal(signal.SIGKILL)
        driver.proc.wait(10)
        wait_until(lambda: not running(engine), 20, "the engine to exit")
        assert desktop.ibus_cmd("engine") == USER_IME
        other = desktop.entry("AfterKill")
        desktop.type("a")
        wait_until(lambda: other.text == "\u00e4", 10, "a key through the user's input method")
    finally:
        driver.cleanup()
        desktop.stop()
