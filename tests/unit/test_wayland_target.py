"""The target on Wayland: what the input method's client name and the field's purpose say, what
sway's tree says, and how the engine's answer is taken: only the one meant for this dictation's
`begin`, within a bounded wait. The engine here is a small stand-in process speaking the real
protocol (JSON lines on its stdin and stdout) through the real `IBusSession`."""

from __future__ import annotations

import contextlib
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.delivery import ibus, sway
from app.delivery.ibus import IBusSession
from app.dictation.profiles import TERMINAL, Profile, Profiles, app_names
from app.dictation.target import UNKNOWN, Target, TargetCapture, client_program

EDITOR = Profile("Editor", ("texteditor",), style="email")
GEDIT = Profile("Gedit", ("gedit",))


def test_the_client_name_says_the_program() -> None:
    assert client_program("gtk3-im:gedit") == "gedit"
    assert client_program("gtk4-im:org.gnome.TextEditor") == "org.gnome.TextEditor"
    assert client_program("gtk-im:mousepad") == "mousepad"
    for nobody in ("gnome-shell", "fake", "xim", "", "gtk3-im:", "Qt:thing"):
        assert client_program(nobody) == "", nobody


def test_a_client_program_or_an_app_id_chooses_a_profile_as_a_class_does() -> None:
    rules = Profiles((EDITOR, GEDIT, TERMINAL))
    editor = UNKNOWN.with_input_method("gtk4-im:org.gnome.TextEditor", 0)
    assert editor.known and editor.typing_window is None
    assert rules.choose(editor) == EDITOR  # a part of the id
    assert Profiles((Profile("Whole", ("org.gnome.texteditor",)),)).choose(editor) is not None
    assert rules.choose(UNKNOWN.with_input_method("gtk3-im:gedit", 0)) == GEDIT
    assert app_names(editor) == ("texteditor",)
    on_sway = Target(app_id="org.gnome.TextEditor", name="notes", app_pid=4242)
    assert rules.choose(on_sway) == EDITOR and app_names(on_sway) == ("texteditor",)
    assert (on_sway.title, on_sway.pid) == ("notes", 4242)
    foot = Target(app_id="foot", app_pid=4343)
    assert foot.terminal and rules.choose(foot) == TERMINAL
    # GNOME on Wayland: one context for every app, named "gnome-shell": no app, and no
    # profile, unless the field says it is a terminal.
    shell = UNKNOWN.with_input_method("gnome-shell", 0)
    assert not shell.known and rules.choose(shell) is None and app_names(shell) == ()
    vte = UNKNOWN.with_input_method("gnome-shell", 10)  # IBus.InputPurpose.TERMINAL
    assert vte.terminal and rules.choose(vte) == TERMINAL
    assert rules.choose(Target(app_id="gedit", own=True)) is None  # Dictate's own window


def test_sways_tree_names_the_focused_window() -> None:
    tree = {"type": "root", "nodes": [{"type": "output", "nodes": [{"type": "workspace",
            "nodes": [{"type": "con", "focused": False, "app_id": "foot", "pid": 1, "name": "~"},
                      {"type": "con", "focused": True, "app_id": None, "pid": 77, "name": "Mail",
                       "window_properties": {"class": "Thunderbird"}}],
            "floating_nodes": []}]}]}  # fmt: skip
    assert sway.focused_in(tree) == sway.SwayWindow("Thunderbird", "Mail", 77)
    assert sway.focused_in({"type": "root", "focused": True, "nodes": []}) is None
    assert sway.focused_in("no tree") is None
    assert sway.focused({"PATH": "/usr/bin"}) is None  # not sway: nothing asked


def test_a_capture_waits_for_the_input_methods_part_but_not_for_ever() -> None:
    found = TargetCapture.known(Target(app_id="foot"))
    found.expect_input_method()
    started = time.monotonic()
    assert found.result(timeout=0.3) == Target(app_id="foot")  # it never came: as known
    assert time.monotonic() - started >= 0.3
    found.input_method("gtk3-im:foot", 10)
    assert found.result(timeout=0).terminal_field and found.result(0).client == "foot"
    unheard = TargetCapture()
    unheard.expect_input_method()
    unheard.input_method(None)  # the engine said nothing in time: nothing more known
    assert unheard.result(timeout=0) == UNKNOWN


# The stand-in engine: `ready`; for each `begin`, what FRONT says: "stale" answers with the
# id of the begin before (a focus seen for an earlier dictation), "late" answers only after
# the next `end` (the dictation is over), anything else answers at once.
STAND_IN = textwrap.dedent("""
    import json, os, sys
    def say(**event):
        print(json.dumps(event), flush=True)
    say(event="ready", previous="xkb:us::eng")
    late = None
    for line in sys.stdin:
        command = json.loads(line)
        op, ident = command["op"], command.get("id")
        mode = os.environ["FRONT"]
        if op == "begin":
            say(event="begun", previous="xkb:us::eng")
            if mode == "stale":
                say(event="front", id=ident - 1, client="gtk3-im:old", field=True, purpose=0)
            elif mode == "late":
                late = ident
            else:
                say(event="front", id=ident, client="gtk3-im:gedit", field=True, purpose=10)
        elif op == "end":
            if late is not None:
                say(event="front", id=late, client="gtk3-im:old", field=True, purpose=0)
            say(event="ended", undelivered="", refused="")
        elif op == "quit":
            say(event="restored", engine="xkb:us::eng", ok=True)
            break
""")


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "engine.py"
    script.write_text(STAND_IN)
    monkeypatch.setattr(ibus, "ENGINE", script)
    monkeypatch.setenv("DICTATE_SYSTEM_PYTHON", sys.executable)
    return tmp_path


@contextlib.contextmanager
def session_with(folder: Path, front: str) -> Iterator[IBusSession]:
    session = IBusSession(lambda _event: None, folder / "memory")
    assert session.start(env={"FRONT": front, "PATH": "/usr/bin:/bin"}) is None
    try:
        yield session
    finally:
        session.stop()


def test_the_answer_for_this_begin_is_taken(stand_in: Path) -> None:
    with session_with(stand_in, "answer") as session:
        assert session.front(timeout=1) is None  # nothing asked: nothing to wait for
        for _ in range(2):
            session.send("begin")
            front = session.front(timeout=10)
            assert front == ibus.Front("gtk3-im:gedit", True, 10)
            session.send("end")
            assert session.front(timeout=1) is None  # over: the answer is gone with it


def test_a_focus_seen_for_an_earlier_dictation_is_never_taken(stand_in: Path) -> None:
    with session_with(stand_in, "stale") as session:
        session.send("begin")
        started = time.monotonic()
        assert session.front(timeout=0.5) is None  # bounded: no profile, nothing lost
        assert time.monotonic() - started >= 0.5


def test_an_answer_after_the_dictation_ended_is_dropped(stand_in: Path) -> None:
    with session_with(stand_in, "late") as session:
        session.send("begin")
        session.send("end")  # the late answer comes now, for a begin that is over
        session.send("begin")
        assert session.front(timeout=0.5) is None
