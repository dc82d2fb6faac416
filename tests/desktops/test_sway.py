"""The real app on a real sway (headless, wlroots): dictations typed with wtype into native
Wayland GTK 3 and GTK 4 windows, and through Dictate's IBus engine into apps that use IBus
(GTK_IM_MODULE=ibus, as sway users set it); and the delivery chain's probe seeing sway's
virtual keyboard. One sway for the module, one dictation per target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.delivery import chain, wayland, wayland_registry
from app.delivery.chain import Environment
from app.dictation.profiles import Profile, default_tables
from tests.delivery.test_command_mode import BEFORE
from tests.desktops import sway as desktop
from tests.desktops.dictation import dictate
from tests.desktops.sway import Sway
from tests.llm_server import LLMServer
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(bool(desktop.missing()), reason=desktop.missing() or "-"),
    pytest.mark.timeout(240),
]


@pytest.fixture(scope="module")
def sway() -> Iterator[Sway]:
    running = Sway()
    yield running
    running.stop()


def test_sway_offers_the_virtual_keyboard_so_the_chain_types_with_wtype(sway: Sway) -> None:
    assert wayland_registry.VIRTUAL_KEYBOARD in wayland_registry.globals_of(sway.env)
    here = Environment.detect(sway.env)
    assert here.wayland and not here.x11
    assert here.wayland_tool == "wtype" and here.wayland_note == ""
    without_ibus = Environment(**{**here.__dict__, "ibus": False})
    assert chain.choose(chain.AUTO, without_ibus) == chain.WAYLAND
    assert chain.describe(chain.AUTO, without_ibus) == "wayland typing on this desktop"


def test_dictations_typed_with_wtype_into_gtk3_and_gtk4(sway: Sway, voice: VirtualMic) -> None:
    app = sway.app(voice, "wayland", delivery=chain.WAYLAND, auto_copy=False)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: wayland typing"
        for gtk, phrase in ((3, "weather"), (4, "meeting")):
            entry = sway.entry(f"Gtk{gtk}Wtype", gtk, GDK_BACKEND="wayland")
            done = dictate(app, voice, entry, phrase)
            assert done.said.endswith("typed with wtype"), done.said
            entry.close()
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
    finally:
        app.cleanup()


def test_dictations_through_the_input_method_into_apps_that_use_ibus(
    sway: Sway, voice: VirtualMic
) -> None:
    sway.start_ibus()
    app = sway.app(voice, "wayland", auto_copy=False)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        for gtk, phrase in ((3, "five"), (4, "thanks")):
            entry = sway.entry(f"Gtk{gtk}IBus", gtk, "ibus", GDK_BACKEND="wayland")
            done = dictate(app, voice, entry, phrase)
            assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
            assert any(p for p in entry.preedits), "no live words at the caret"
            assert entry.preedits[-1] == "", "the preedit was left at the caret"
            assert sway.ibus("engine") == "xkb:us::eng"  # the user's engine is back
            entry.close()
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
    finally:
        app.cleanup()


def test_two_programs_get_their_own_profiles(sway: Sway, voice: VirtualMic) -> None:
    """Wayland lets no app ask which window is in front: sway's IPC and the input method's
    client name ("gtk3-im:<program>") say it, and each window's profile applies."""
    sway.start_ibus()
    letters = Profile("Letters", ("lettersapp",), style="email", vocabulary=("Siobhan",))
    notes = Profile("Notes", ("notesapp",), style="verbatim", one_line=True)
    tables = [letters.to_table(), notes.to_table(), *default_tables()]
    app = sway.app(voice, "wayland", auto_copy=False, profiles=tables)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        for title, program, phrase in (("Letters", "lettersapp", "five"),
                                       ("Notes", "notesapp", "thanks")):  # fmt: skip
            entry = sway.entry(title, 3, "ibus", GDK_BACKEND="wayland", ENTRY_WM_CLASS=program)
            lines = len(app.log.lines)
            done = dictate(app, voice, entry, phrase)
            assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
            said = app.log.lines[lines:]
            assert f"profile: {title}" in said, said
            target = next(x for x in said if x.startswith("target: "))
            assert target.split(":", 1)[1].strip().lower().startswith(program), target
            entry.close()
        # The input method named the second window's program too (the first focus of a run
        # comes without the client's name).
        assert "client notesapp" in target, target
        assert sway.ibus("engine") == "xkb:us::eng"
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
    finally:
        app.cleanup()


def test_command_mode_replaces_a_text_views_selection_through_the_input_method(
    sway: Sway, voice: VirtualMic
) -> None:
    """The field's own text, through the input method, holds the selection (no XWayland
    here to read a primary selection from), and the language model's answer is committed
    over it."""
    sway.start_ibus()
    with LLMServer() as server:
        app = sway.app(voice, "wayland", auto_copy=False, cleanup=True, cleanup_provider="custom",
                       cleanup_urls={"custom": server.url},
                       cleanup_models={"custom": "clean"})  # fmt: skip
        try:
            assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
            view = sway.entry("Notes", 3, "ibus", args=("textview",), GDK_BACKEND="wayland",
                              ENTRY_TEXT=BEFORE)  # fmt: skip
            assert view.text == BEFORE  # its last word, "report", selected
            voice.flush()
            app.ptt("command")
            voice.play(silence(0.6) + pcm("five") + silence(0.3))  # the instruction
            wait_until(lambda: voice.idle, 60, "the speech to be played")
            app.ptt("command")
            # The model's edit of the selection: a capital and a full stop.
            edited = BEFORE.replace("report", "Report.")
            wait_until(lambda: view.text == edited, 60, f"the edit in the view ({view.text!r})")
            (asked,) = server.requests
            assert "<selection>" in str(asked["messages"])
            wait_until(lambda: sway.ibus("engine") == "xkb:us::eng", 10, "the user's engine")
            app.quit()
            assert app.result.exit_code == 0, app.result.stderr[-3000:]
        finally:
            app.cleanup()


def test_typing_tools_are_offered_only_where_they_can_type(sway: Sway) -> None:
    assert wayland.tool(sway.env) == "wtype"
    assert wayland.uinput_writable("/nonexistent/uinput") is False
