"""What Dictate's IBus engine says of the field in front, with real GTK windows under Xvfb and a
real ibus-daemon: the client's program and the field's input purpose after `begin` (a field
whose purpose is "terminal" gets the terminal profile in the real app, whatever its window's
class); and command mode reading the selection from a GtkTextView's surrounding text, a good
answer committed over it through the input method, a refused one leaving it as it was, and a
field that offers no selection falling back to the X primary selection."""

from __future__ import annotations

import shutil

import pytest

from app.delivery import chain
from app.dictation.commands_mode import (
    INPUT_METHOD,
    PRIMARY,
    Selection,
    capture_selection,
    command,
)
from app.dictation.profiles import Profile, default_tables
from app.dictation.target import UNKNOWN
from tests.delivery.desktop import Desktop, needs_desktop, needs_ibus
from tests.delivery.engine_process import Engine
from tests.delivery.test_command_mode import BEFORE, formal
from tests.delivery.test_ibus_caret import desktop, engine
from tests.delivery.test_ime_app import app_on
from tests.desktops.dictation import dictate
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus,
              pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")]  # fmt: skip
__all__ = ["desktop", "engine"]  # the fixtures, shared with test_ibus_caret

TERMINAL_PURPOSE = 10  # IBus.InputPurpose.TERMINAL


def users_engine_back(desktop: Desktop) -> None:
    wait_until(lambda: desktop.ibus_cmd("engine") == "xkb:us::eng", 10, "the user's engine back")


def test_the_engine_says_which_program_and_field_are_in_front(
    desktop: Desktop, engine: Engine
) -> None:
    desktop.entry("Shell", "terminal", wm_class="shellapp")
    fronts = []
    for _ in range(2):
        engine.session.send("begin")
        fronts.append(engine.session.front(timeout=10))
        engine.session.send("end")
        engine.wait("ended")
    assert all(f is not None and f.field and f.purpose == TERMINAL_PURPOSE for f in fronts)
    # The first focus of a run comes without the client's name (the daemon learns then that
    # the engine has focus ids); from the next one on it is there.
    shell = fronts[1]
    assert shell is not None and shell.client == "gtk3-im:shellapp", fronts
    target = UNKNOWN.with_input_method(shell.client, shell.purpose)
    assert target.client == "shellapp" and target.terminal and target.known

    desktop.entry("Notes", wm_class="notesapp")
    engine.session.send("begin")
    notes = engine.session.front(timeout=10)
    engine.session.send("end")
    engine.wait("ended")
    assert notes is not None and (notes.client, notes.purpose) == ("gtk3-im:notesapp", 0)
    users_engine_back(desktop)


@pytest.mark.timeout(180)
def test_a_terminal_field_gets_the_terminal_profile_in_the_real_app(
    desktop: Desktop, mic: VirtualMic
) -> None:
    desktop.ibus_cmd("engine", "xkb:us::eng")
    driver = app_on(desktop, mic, auto_copy=False)
    try:
        driver.start()
        assert driver.log.wait_line("delivery method:", 20) == "delivery method: input method"
        # Its window's class is no terminal's: only the field's purpose says it is one.
        entry = desktop.entry("Console", "terminal", wm_class="plainapp")
        lines = len(driver.log.lines)
        done = dictate(driver, mic, entry, "weather")
        assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
        said = driver.log.lines[lines:]
        assert "profile: Terminals" in said, said
        assert any(x.startswith("target: plainapp") and "a terminal field" in x for x in said)
        assert "\n" not in entry.text
        users_engine_back(desktop)
        driver.quit()
        assert driver.result.exit_code == 0, driver.result.stderr[-3000:]
    finally:
        driver.cleanup()


@pytest.mark.timeout(180)
def test_a_profile_that_names_typing_takes_the_dictation_from_the_input_method(
    desktop: Desktop, mic: VirtualMic
) -> None:
    """The input method is the method in Settings and starts at the press; the app in front
    has a profile that types (its field misbehaves with an input method, say): found before
    any word was committed, the profile's method takes the dictation and the user's engine is
    back at once."""
    desktop.ibus_cmd("engine", "xkb:us::eng")
    typed = Profile("Typed", ("typedapp",), style="verbatim", delivery=chain.TYPING)
    driver = app_on(desktop, mic, auto_copy=False,
                    profiles=[typed.to_table(), *default_tables()])  # fmt: skip
    try:
        driver.start()
        assert driver.log.wait_line("delivery method:", 20) == "delivery method: input method"
        entry = desktop.entry("Form", wm_class="typedapp")
        lines = len(driver.log.lines)
        done = dictate(driver, mic, entry, "weather")
        assert done.said.split("@")[0].strip() == "delivered: True typing", done.said
        assert "profile: Typed" in driver.log.lines[lines:]
        users_engine_back(desktop)
        driver.quit()
        assert driver.result.exit_code == 0, driver.result.stderr[-3000:]
    finally:
        driver.cleanup()


def test_command_mode_replaces_a_text_views_selection_through_the_input_method(
    desktop: Desktop, engine: Engine
) -> None:
    view = desktop.entry("Notes", "textview")
    desktop.type(BEFORE)
    wait_until(lambda: view.text == BEFORE, 20, "the text in the view")
    desktop.xdotool("key", "shift+ctrl+Left")  # "report" selected

    found = wait_until(lambda: _read_selection(engine, "report"), 30, "the selection read")
    assert found.source == INPUT_METHOD and found.window is not None
    assert desktop.ibus_cmd("engine") == "dictate"  # until the command ends

    def summary(instruction: str, selection: str) -> str:
        assert (instruction, selection) == ("call it a summary", "report")
        return "summary"

    done = command("call it a summary", found, summary, session=engine.session)
    assert done.applied, done
    wait_until(lambda: view.text == "hey can u send me the summary", 20,
               f"the answer over the selection (got {view.text!r})")  # fmt: skip
    users_engine_back(desktop)


def test_a_refused_answer_leaves_the_text_views_selection(desktop: Desktop, engine: Engine) -> None:
    view = desktop.entry("Notes", "textview")
    desktop.type(BEFORE)
    wait_until(lambda: view.text == BEFORE, 20, "the text in the view")
    desktop.xdotool("key", "shift+ctrl+Left")
    found = wait_until(lambda: _read_selection(engine, "report"), 30, "the selection read")

    done = command("call it a summary", found,
                   lambda _i, _s: "I'm sorry, but I can't help with that.",
                   session=engine.session)  # fmt: skip
    assert not done.applied and done.reason == "the answer was a refusal"
    users_engine_back(desktop)
    assert view.text == BEFORE
    desktop.type("X")  # still selected: a key typed now replaces the selection
    wait_until(lambda: view.text == "hey can u send me the X", 20,
               f"the selection still selected (got {view.text!r})")  # fmt: skip


def test_a_field_without_a_selection_to_offer_falls_back_to_the_primary_selection(
    desktop: Desktop, engine: Engine
) -> None:
    entry = desktop.entry("Reply")  # a GTK 3 entry sends anchor == cursor: no selection
    desktop.type(BEFORE)
    wait_until(lambda: entry.text == BEFORE, 20, "the text in the entry")
    desktop.xdotool("key", "ctrl+a")

    def read() -> Selection | None:
        found = capture_selection(x11=True, session=engine.session)
        return found if found.text == BEFORE else None

    found = wait_until(read, 30, "the primary selection")
    assert found.source == PRIMARY
    users_engine_back(desktop)  # the engine asked, found none, and gave the keyboard back
    done = command("make this more formal", found, formal, session=engine.session)
    assert done.applied, done
    wait_until(lambda: entry.text == "Could you please send me the report?", 20,
               f"the answer typed over the selection (got {entry.text!r})")  # fmt: skip


def _read_selection(engine: Engine, expected: str) -> Selection | None:
    """The selection read at press through the engine; None (and the engine given back) when
    it is not the expected one yet (the selection may still be settling)."""
    found = capture_selection(x11=True, session=engine.session)
    if found.text == expected:
        return found
    if found.source == INPUT_METHOD:
        engine.session.send("end")
    return None


def test_on_wayland_the_primary_selection_is_committed_over_through_the_input_method(
    desktop: Desktop, engine: Engine
) -> None:
    """As on GNOME, where the field's text never reaches the engine and the Wayland apps'
    primary selection is read from XWayland: nothing can be typed with XTest there, so the
    answer goes through the input method into the field focused at press."""
    entry = desktop.entry("Reply")  # a GTK 3 entry sends anchor == cursor: no selection
    desktop.type(BEFORE)
    wait_until(lambda: entry.text == BEFORE, 20, "the text in the entry")
    desktop.xdotool("key", "ctrl+a")

    def read() -> Selection | None:
        found = capture_selection(x11=False, session=engine.session, x_display=True)
        if found.text == BEFORE:
            return found
        if found.source == INPUT_METHOD:
            engine.session.send("end")
        return None

    found = wait_until(read, 30, "the primary selection")
    assert found.source == INPUT_METHOD and found.window is None
    done = command("make this more formal", found, formal, session=engine.session)
    assert done.applied, done
    wait_until(lambda: entry.text == "Could you please send me the report?", 20,
               f"the answer committed over the selection (got {entry.text!r})")  # fmt: skip
    users_engine_back(desktop)
