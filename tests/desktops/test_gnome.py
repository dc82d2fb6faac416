"""The real app on a real GNOME Shell on Wayland (headless, IBus as gnome-shell drives it):
dictations through Dictate's IBus engine into native Wayland GTK 3 and GTK 4 windows and an
XWayland window, with nothing set for the input method (GNOME's default); and the delivery
chain's probe finding no virtual keyboard, so no wtype. One shell for the module, one
dictation per target."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.delivery import chain, wayland_registry
from app.delivery.chain import Environment
from app.storage.settings import Settings
from app.ui.first_run import FirstRunDialog
from app.ui.settings_dialog import SettingsDialog
from tests.delivery.test_command_mode import BEFORE
from tests.desktops import gnome as desktop
from tests.desktops.dictation import dictate
from tests.desktops.gnome import USERS_ENGINE, Gnome
from tests.llm_server import LLMServer, tidy
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(bool(desktop.missing()), reason=desktop.missing() or "-"),
    pytest.mark.timeout(300),
]


CONTROL = 0xFFE3  # the Control_L keysym


@pytest.fixture(scope="module")
def gnome() -> Iterator[Gnome]:
    running = Gnome()
    yield running
    running.stop()


def test_mutter_has_no_virtual_keyboard_so_the_chain_offers_no_wtype(gnome: Gnome) -> None:
    offered = wayland_registry.globals_of(gnome.env)
    assert "wl_compositor" in offered and "zwp_text_input_manager_v3" in offered
    assert wayland_registry.VIRTUAL_KEYBOARD not in offered
    here = Environment.detect(gnome.env)
    assert here.wayland and here.ibus and here.wayland_tool is None
    assert "no virtual keyboard for wtype" in here.wayland_note
    assert chain.choose(chain.AUTO, here) == chain.INPUT_METHOD
    # The engine's component (as the .deb installs it) is known to gnome-shell's IBus.
    assert "dictate - Dictate" in gnome.ibus("list-engine")
    without_ibus = Environment(**{**here.__dict__, "ibus": False})
    assert chain.usable(without_ibus) == [chain.CLIPBOARD]
    described = chain.describe(chain.WAYLAND, without_ibus)
    assert described.startswith("wayland typing is not available here: clipboard is used (")
    assert "no virtual keyboard for wtype" in described


def test_settings_and_the_first_run_say_what_works_on_gnome(gnome: Gnome, qtbot: QtBot) -> None:
    here = Environment.detect(gnome.env)  # the real answer: asked of this shell and its IBus
    dialog = SettingsDialog(Settings(delivery=chain.WAYLAND), [], False, environment=here)
    qtbot.addWidget(dialog)
    said = "wayland typing is not available here: input method is used"
    assert dialog.delivery_now.text() == said
    without_ibus = Environment(**{**here.__dict__, "ibus": False})
    wizard = FirstRunDialog(Settings(), environment=without_ibus)
    qtbot.addWidget(wizard)
    assert wizard.delivery.here.text().startswith("Here: clipboard on this desktop (")
    assert "no virtual keyboard for wtype" in wizard.delivery.here.text()


def test_dictations_at_the_caret_of_wayland_and_xwayland_windows(
    gnome: Gnome, voice: VirtualMic
) -> None:
    app = gnome.app(voice, "wayland", auto_copy=False)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        targets = (
            ("Gtk3Wayland", 3, {"GDK_BACKEND": "wayland"}, "five"),
            ("Gtk4Wayland", 4, {"GDK_BACKEND": "wayland"}, "weather"),
            ("Gtk3XWayland", 3, {"GDK_BACKEND": "x11", **gnome.x11}, "meeting"),
        )
        for title, gtk, env, phrase in targets:
            entry = gnome.entry(title, gtk, **env)
            done = dictate(app, voice, entry, phrase)
            assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
            assert any(p for p in entry.preedits), f"no live words at the caret of {title}"
            assert entry.preedits[-1] == "", "the preedit was left at the caret"
            assert gnome.ibus("engine") == USERS_ENGINE  # the user's engine is back
            entry.close()
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
        # Dictate's engine process has gone with the app: GNOME's IBus, which knows the
        # engine from the .deb's component file too, still has the user's engine.
        wait_until(lambda: gnome.ibus("engine") == USERS_ENGINE, 10, "the user's engine")
    finally:
        app.cleanup()


def test_a_terminal_field_gets_the_terminal_profile(gnome: Gnome, voice: VirtualMic) -> None:
    """GNOME names no app to the input method (one context, "gnome-shell", for every Wayland
    app), but it forwards the field's input purpose: a terminal's gets the terminal profile."""
    app = gnome.app(voice, "wayland", auto_copy=False)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        entry = gnome.entry("Console", 3, args=("terminal",), GDK_BACKEND="wayland")
        lines = len(app.log.lines)
        done = dictate(app, voice, entry, "weather")
        assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
        said = app.log.lines[lines:]
        assert "profile: Terminals" in said and "target: a terminal field" in said, said
        assert gnome.ibus("engine") == USERS_ENGINE
        entry.close()
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
    finally:
        app.cleanup()


def test_command_mode_replaces_a_selection_read_through_xwayland(
    gnome: Gnome, voice: VirtualMic
) -> None:
    """GNOME's IBus client does not resend a field's unchanged text, so Dictate's engine
    never sees a selection made before the command; mutter hands the Wayland apps' primary
    selection to XWayland, where it is read, and the answer is committed through the input
    method into the field that had the focus, over its selection."""
    with LLMServer() as server:
        app = gnome.app(voice, "wayland", auto_copy=False, cleanup=True,
                        cleanup_provider="custom", cleanup_urls={"custom": server.url},
                        cleanup_models={"custom": "clean"})  # fmt: skip
        try:
            assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
            view = gnome.entry("Notes", 3, args=("textview",), GDK_BACKEND="wayland",
                               ENTRY_TEXT=BEFORE)  # fmt: skip
            assert view.text == BEFORE
            gnome.press(CONTROL, ord("a"))  # the user selects it all, with a key
            wait_until(lambda: gnome.run("xclip", "-o", "-selection", "primary") == BEFORE, 10,
                       "the Wayland window's selection to reach XWayland")  # fmt: skip
            voice.flush()
            app.ptt("command")
            voice.play(silence(0.6) + pcm("five") + silence(0.3))  # the instruction
            wait_until(lambda: voice.idle, 60, "the speech to be played")
            app.ptt("command")
            edited = tidy(BEFORE)  # the model's edit of the selection
            wait_until(lambda: view.text == edited, 60, f"the edit in the view ({view.text!r})")
            (asked,) = server.requests
            # What XWayland's primary selection held: the text selected in the Wayland window.
            assert f"<selection>\n{BEFORE}\n</selection>" in asked["messages"][-1]["content"]
            wait_until(lambda: gnome.ibus("engine") == USERS_ENGINE, 10, "the user's engine")
            view.close()
            app.quit()
            assert app.result.exit_code == 0, app.result.stderr[-3000:]
        finally:
            app.cleanup()


def test_the_users_engine_is_back_after_the_app_is_killed(gnome: Gnome, voice: VirtualMic) -> None:
    app = gnome.app(voice, "wayland", auto_copy=False)
    try:
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        assert app.proc is not None
        app.proc.send_signal(signal.SIGKILL)
        app.proc.wait(10)
        # Its engine process sees its input end and puts the user's engine back as it goes.
        wait_until(lambda: gnome.ibus("engine") == USERS_ENGINE, 10, "the user's engine")
    finally:
        app.cleanup()


def test_a_shell_that_hangs_at_start_is_replaced_by_a_fresh_one() -> None:
    hung = Gnome(hang_first=True)
    try:
        assert hung.starts == 2
        assert hung.ibus("engine") == USERS_ENGINE  # the second shell's IBus is up
        assert hung.run("gdbus", "introspect", "--session", "--dest", "org.gnome.Shell",
                        "--object-path", "/org/gnome/Shell")  # fmt: skip
    finally:
        hung.stop()
