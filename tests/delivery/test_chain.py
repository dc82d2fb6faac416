"""The delivery chain's X11 methods into real windows under openbox: typing with a German
layout, paste into a terminal (Ctrl+Shift+V) with the clipboard put back after, and a target
window that closed before the text came, reported as such; and the choice of method."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.delivery import chain, xtest
from app.delivery.chain import Environment
from tests.delivery.desktop import Desktop, entered, needs_desktop
from tests.waiting import wait_until

needs_x = [needs_desktop, pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


@pytest.mark.skipif(not shutil.which("setxkbmap"), reason="needs setxkbmap")
@pytest.mark.parametrize("layout", ["de"])
def test_typing_arrives_exactly_with_a_german_layout(desktop: Desktop, layout: str) -> None:
    subprocess.run(["setxkbmap", layout], env=desktop.env, check=True, timeout=10)
    entry = desktop.entry("TypeTest")
    target = xtest.active_window()
    assert target is not None and target.name == "TypeTest"
    text = "Grüße aus Zürich: y=z, ß & Ölöfen? 42 € {ok} @home"
    copies: list[str] = []
    outcome = chain.deliver(chain.TYPING, text, target, copies.append)
    assert outcome == chain.Outcome(chain.TYPING, True, "typed into TypeTest")
    wait_until(lambda: entry.text == text, 20, f"{text!r} in the entry (got {entry.text!r})")
    assert copies == []


@pytest.mark.skipif(not shutil.which("xterm"), reason="needs xterm")
def test_paste_into_a_terminal_with_ctrl_shift_v_and_the_clipboard_back(
    desktop: Desktop, tmp_path: Path
) -> None:
    out = tmp_path / "line"
    # Ctrl+Shift+V pastes, as in GNOME Terminal and Konsole (xterm needs it bound).
    desktop.spawn([
        "xterm", "-T", "TermTest", "-xrm",
        "XTerm*VT100.translations: #override Ctrl Shift <Key>V: insert-selection(CLIPBOARD)",
        "-e", "sh", "-c", f'read line; printf %s "$line" > {out}',
    ])  # fmt: skip
    desktop.activate("TermTest")
    desktop.set_clipboard("what the user had copied")
    target = wait_until(xtest.active_window, 10, "the terminal to be active")
    assert target.terminal, target
    text = "echo 'dictated' && ls -la"
    outcome = chain.deliver(chain.PASTE, text, target, lambda _t: None)
    assert outcome == chain.Outcome(chain.PASTE, True, "pasted into TermTest")
    desktop.xdotool("key", "Return")
    wait_until(lambda: out.exists() and out.read_text() == text, 10, "the pasted line")
    wait_until(lambda: desktop.clipboard() == "what the user had copied", 10, "the clipboard back")


def test_a_window_that_closed_before_the_text_came_is_reported(desktop: Desktop) -> None:
    entry = desktop.entry("GoneTest")
    target = xtest.active_window()
    assert target is not None and target.name == "GoneTest"
    entry.close()  # the user closed it while speaking
    wait_until(lambda: not xtest.window_exists(target), 10, "the window to go")
    copies: list[str] = []
    outcome = chain.deliver(chain.TYPING, "lost words", target, copies.append)
    assert outcome == chain.Outcome(chain.CLIPBOARD, False, "GoneTest closed: copied: press Ctrl+V")
    assert copies == ["lost words"]


def test_the_chain_prefers_the_input_method_and_falls_back_along_it() -> None:
    x11 = Environment(x11=True, wayland=False, ibus=False, xdotool=True, xclip=True,
                      wayland_tool=None)  # fmt: skip
    assert chain.choose("auto", x11) == chain.TYPING
    assert chain.choose("auto", x11, prefer_paste=True) == chain.PASTE
    with_ibus = Environment(**{**x11.__dict__, "ibus": True})
    assert chain.choose("auto", with_ibus, prefer_paste=True) == chain.INPUT_METHOD
    assert chain.choose("paste", with_ibus) == chain.PASTE
    gnome_wayland = Environment(x11=False, wayland=True, ibus=False, xdotool=True, xclip=True,
                                wayland_tool=None)  # fmt: skip
    assert chain.usable(gnome_wayland) == [chain.CLIPBOARD]
    assert (
        chain.describe("typing", gnome_wayland) == "typing is not available here: clipboard is used"
    )
    sway = Environment(**{**gnome_wayland.__dict__, "wayland_tool": "wtype"})
    assert chain.choose("auto", sway) == chain.WAYLAND


pytestmark = needs_x
