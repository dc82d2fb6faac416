"""The target app is captured at press on its own thread, and waited for off the GUI thread."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from app.delivery.xtest import Window
from app.dictation.target import UNKNOWN, Target, TargetCapture, capture, process_name
from tests.waiting import wait_until


def test_without_x11_no_window_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWAYSOCK", raising=False)  # not sway: nothing to ask either
    assert capture(x11=False) == UNKNOWN
    assert UNKNOWN.typing_window is None and UNKNOWN.wm_class == "" and UNKNOWN.pid == 0


def test_the_process_of_a_window_is_named() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        # Until the child has exec'd it is still a copy of this Python.
        wait_until(lambda: process_name(child.pid) == "sleep", 10, "the child to be `sleep`",
                   step=0.01)  # fmt: skip
    finally:
        child.kill()
        child.wait()
    assert process_name(0) == ""


def test_dictates_own_window_is_known_but_not_typed_into() -> None:
    editor = Window("0x1", "notes.txt - Editor", "editor.Editor", 4242)
    target = Target(editor, "editor")
    assert (target.wm_class, target.title, target.pid) == ("editor.Editor", "notes.txt - Editor",
                                                           4242)  # fmt: skip
    assert target.typing_window == editor
    own = Target(Window("0x2", "Dictate", "dictate.Dictate", os.getpid()), "python", own=True)
    assert own.typing_window is None and own.title == "Dictate"


def test_the_capture_runs_apart_and_its_reader_waits_for_it() -> None:
    release = threading.Event()
    editor = Target(Window("0x1", "notes", "editor.Editor", 4242), "editor")
    asked_on: list[str] = []

    def find() -> Target:
        asked_on.append(threading.current_thread().name)
        release.wait(10)
        return editor

    found = TargetCapture(find)  # returns at once: the press never waits for the window
    assert found.result(timeout=0.05) == UNKNOWN  # not answered in time: unknown
    release.set()
    assert found.result() == editor
    assert asked_on == ["target"]
    assert TargetCapture().result() == UNKNOWN
    assert TargetCapture.known(editor).result(timeout=0) == editor
