"""The Wayland probes of the delivery chain: the compositor's registry asked over a real
socket (sway's and mutter's are asked for real in tests/desktops/), wtype offered only with the
virtual-keyboard protocol, ydotool only with a writable /dev/uinput, and what Settings says."""

from __future__ import annotations

import os
import stat
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.delivery import chain, wayland, wayland_registry
from app.delivery.chain import Environment
from tests.fake_compositor import FakeCompositor, answer

SWAY_LIKE = {"wl_compositor": 6, "wl_seat": 7, wayland_registry.VIRTUAL_KEYBOARD: 1}
MUTTER_LIKE = {"wl_compositor": 5, "wl_seat": 8, "zwp_text_input_manager_v3": 1}


@pytest.fixture
def sway_like() -> Iterator[FakeCompositor]:
    compositor = FakeCompositor(SWAY_LIKE)
    yield compositor
    compositor.close()


@pytest.fixture
def mutter_like() -> Iterator[FakeCompositor]:
    compositor = FakeCompositor(MUTTER_LIKE)
    yield compositor
    compositor.close()


def tool_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        fake = tmp_path / name
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")


def test_the_registry_is_read_from_the_compositor(sway_like: FakeCompositor) -> None:
    assert wayland_registry.globals_of(sway_like.env) == SWAY_LIKE
    # What was asked: wl_display (1) get_registry (opcode 1) -> id 2, sync (opcode 0) -> id 3.
    assert sway_like.requests == [struct.pack("=6I", 1, 12 << 16 | 1, 2, 1, 12 << 16, 3)]
    assert wayland_registry.has_virtual_keyboard(sway_like.env)


def test_no_virtual_keyboard_on_a_mutter_like_compositor(mutter_like: FakeCompositor) -> None:
    assert wayland_registry.globals_of(mutter_like.env) == MUTTER_LIKE
    assert not wayland_registry.has_virtual_keyboard(mutter_like.env)


def test_no_compositor_or_a_silent_one_means_nothing_offered(tmp_path: Path) -> None:
    assert wayland_registry.globals_of({"XDG_RUNTIME_DIR": str(tmp_path)}) == {}
    assert wayland_registry.globals_of({}) == {}  # no runtime folder at all
    silent = FakeCompositor(SWAY_LIKE, silent=True)
    try:
        started = time.monotonic()
        assert wayland_registry.globals_of(silent.env, timeout=0.3) == {}
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_a_stream_cut_anywhere_yields_the_globals_seen_so_far() -> None:
    whole = answer(SWAY_LIKE)
    assert wayland_registry.parse_globals(whole) == (SWAY_LIKE, True, "")
    done_ends = len(whole) - 12  # the callback's `done`, then wl_display.delete_id (12 bytes)
    for cut in range(len(whole)):
        found, done, error = wayland_registry.parse_globals(whole[:cut])
        assert done == (cut >= done_ends) and not error
        assert set(found) <= set(SWAY_LIKE) and (found == SWAY_LIKE or not done)


def test_wtype_only_where_the_compositor_has_the_virtual_keyboard(
    sway_like: FakeCompositor, mutter_like: FakeCompositor, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(wayland, "UINPUT", str(tmp_path / "no-uinput"))
    tool_on_path(tmp_path, monkeypatch, "wtype", "ydotool")
    assert wayland.tool(sway_like.env) == "wtype"
    assert wayland.why_not(sway_like.env) == ""
    assert wayland.tool(mutter_like.env) is None
    assert wayland.why_not(mutter_like.env) == (
        "this compositor has no virtual keyboard for wtype, "
        f"{tmp_path / 'no-uinput'} is not writable for ydotool"
    )
    uinput = tmp_path / "uinput"
    uinput.touch()
    monkeypatch.setattr(wayland, "UINPUT", str(uinput))
    assert wayland.tool(mutter_like.env) == "ydotool"  # uinput works on any compositor


def test_settings_say_why_the_clipboard_is_used_on_a_mutter_like_desktop(
    mutter_like: FakeCompositor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool_on_path(tmp_path, monkeypatch, "wtype")
    env = Environment.detect({**mutter_like.env, "XDG_SESSION_TYPE": "wayland",
                              "HOME": str(tmp_path)})  # fmt: skip
    assert env.wayland and not env.x11 and env.wayland_tool is None and not env.ibus
    assert chain.usable(env) == [chain.CLIPBOARD]
    assert chain.describe(chain.AUTO, env) == (
        "clipboard on this desktop (this compositor has no virtual keyboard for wtype, "
        "ydotool is not installed)"
    )
