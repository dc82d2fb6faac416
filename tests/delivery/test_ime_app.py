"""The real app, driven with `dictate ptt` and the virtual microphone, dictating through the
input method into a GTK entry of another process: live words as preedit at the caret, the
transcript committed, the clipboard never touched, the keyboard unchanged before and after."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.delivery.desktop import Desktop, needs_desktop, needs_ibus, wait_for
from tests.soak.driver import SoakDriver
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic

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
    line: str = wait_for(
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
    users_engine = wait_for(lambda: desktop.ibus_cmd("engine"), 10, "the user's engine")
    desktop.set_clipboard(SENTINEL)
    driver = app_on(desktop, mic, auto_copy=False)
    try:
        driver.start()
        driver.log.wait_line("delivery method:", 20)
        assert driver.log.wait_line("delivery method:", 1) == "delivery method: input method"
        entry = desktop.entry("EntryTest")
        desktop.type("abc ")
        wait_for(lambda: entry.text == "abc ", 10, "keys typed before the dictation")

        focused = desktop.focused_window()
        lines = len(driver.log.lines)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("weather") + silence(0.3))
        # The overlay appears without taking the focus from the entry.
        wait_for(lambda: overlay_visible(desktop), 10, "the overlay")
        assert desktop.focused_window() == focused
        wait_for(lambda: mic.idle, 30, "the speech to be played")
        shown = [p for p in entry.preedits if p]  # the live words, before the stop
        driver.ptt("stop")
        line = delivered_line(driver, lines)
        transcript = driver.newest_text()
        assert line.startswith("delivered: True input method"), line
        assert line.endswith("typed into EntryTest"), line
        wait_for(lambda: entry.text == "abc " + transcript, 10, f"{transcript!r} in the entry")
        assert wer(TEXTS["weather"], transcript) <= 0.5, transcript
        assert shown, f"no preedit shown during the speech: {entry.events}"
        assert entry.preedits[-1] == "", "the preedit was left at the caret"
        assert any(re.search(r"\w", p) for p in shown)
        assert desktop.clipboard() == SENTINEL  # never touched
        assert desktop.ibus_cmd("engine") == users_engine  # the user's engine is back
        wait_for(lambda: not overlay_visible(desktop), 10, "the overlay to fade out")
        assert desktop.focused_window() == focused

        desktop.type(" xyz")
        typed = "abc " + transcript + " xyz"
        wait_for(lambda: entry.text == typed, 10, "keys typed after")

        # Escape during a dictation cancels it and takes the live words away.
        lines, before = len(driver.log.lines), len(entry.events)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("meeting") + silence(0.3))
        wait_for(lambda: any(e.get("preedit") for e in entry.events[before:]), 20, "live words")
        desktop.xdotool("key", "Escape")
        line = delivered_line(driver, lines)  # Escape released the dictation: no `ptt stop`
        assert "cancelled" in line and line.startswith("delivered: False"), line
        wait_for(lambda: entry.preedits[-1] == "", 10, "the preedit removed")
        assert entry.text == typed
        mic.flush()  # the rest of the speech, unheard after the cancel

        # The window dictated into closes before the end: the text is copied, and said so.
        gone = desktop.entry("GoneTest")
        lines = len(driver.log.lines)
        driver.ptt("start")
        mic.play(silence(0.6) + pcm("fox") + silence(0.3))
        wait_for(lambda: mic.idle, 30, "the speech to be played")
        gone.close()
        driver.ptt("stop")
        line = delivered_line(driver, lines)
        assert line.startswith("delivered: False clipboard"), line
        assert line.endswith("GoneTest closed: copied: press Ctrl+V"), line
        transcript = driver.newest_text()
        assert wer(TEXTS["fox"], transcript) <= 0.5, transcript
        wait_for(lambda: desktop.clipboard() == transcript, 10, "the text on the clipboard")
        assert entry.text == typed  # nothing strayed into the other window
        assert driver.alive()
        started = time.monotonic()
        driver.quit()
        assert driver.result.exit_code == 0, driver.result.stderr
        assert time.monotonic() - started < 30
    finally:
        driver.cleanup()
