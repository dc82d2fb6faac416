"""The user's input method is left as it was when Dictate's engine goes away: after a normal
exit, with or without a dictation, and after the engine process is killed mid-dictation.

The user's engine is a stand-in installed the way real input methods are (a component file the
daemon runs, tests/delivery/user_ime.py), so the daemon's own fallback cannot hide a failure;
that it is really active again is seen by typing through it ("a" becomes "ä").
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.desktop import (
    ROOT,
    SYSTEM_PYTHON,
    USER_IME,
    Desktop,
    entered,
    needs_desktop,
    needs_ibus,
)
from tests.delivery.engine_process import Engine
from tests.desktops.session import exited
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, user_ime=True)


def users_engine_works(desktop: Desktop, title: str) -> None:
    assert desktop.ibus_cmd("engine") == USER_IME
    entry = desktop.entry(title)
    desktop.type("a")
    wait_until(lambda: entry.text == "ä", 10, "the key 'a' through the user's input method")
    entry.close()


def test_the_users_input_method_comes_back_after_exit_and_after_a_kill(
    desktop: Desktop, tmp_path: Path
) -> None:
    memory = tmp_path / "ibus-engine"
    desktop.ibus_cmd("engine", USER_IME)
    wait_until(lambda: desktop.ibus_cmd("engine") == USER_IME, 10, "the user's engine")

    # Started and stopped with no dictation.
    engine = Engine(memory)
    engine.session.stop()
    assert engine.wait("restored")["ok"]
    users_engine_works(desktop, "AfterQuit")
    assert memory.read_text().strip() == USER_IME

    # A dictation, then a normal exit.
    engine = Engine(memory)
    entry = desktop.entry("Dictated")
    engine.session.send("begin")
    assert engine.wait("begun")["previous"] == USER_IME
    engine.session.send("commit", "Hello.")
    engine.wait("committed")
    engine.session.send("end")
    engine.wait("ended")
    wait_until(lambda: entry.text == "Hello.", 10, "the dictation")
    assert desktop.ibus_cmd("engine") == USER_IME
    engine.session.stop()
    engine.wait("exited")
    entry.close()
    users_engine_works(desktop, "AfterDictation")

    # The engine process killed in the middle of a dictation (its engine active): the app's
    # side puts the user's engine back.
    engine = Engine(memory)
    engine.session.send("begin")
    engine.wait("begun")
    wait_until(lambda: desktop.ibus_cmd("engine") == "dictate", 10, "Dictate's engine active")
    assert engine.session.proc is not None
    engine.session.proc.send_signal(signal.SIGKILL)
    engine.wait("exited")
    assert engine.session.restored.is_set()
    users_engine_works(desktop, "AfterKill")
    engine.session.stop()


def test_a_start_after_both_processes_died_puts_the_remembered_engine_back(
    desktop: Desktop, tmp_path: Path
) -> None:
    memory = tmp_path / "ibus-engine"
    desktop.ibus_cmd("engine", USER_IME)
    wait_until(lambda: desktop.ibus_cmd("engine") == USER_IME, 10, "the user's engine")
    engine = Engine(memory)  # remembers the user's engine
    engine.session.send("begin")
    engine.wait("begun")
    assert engine.session.proc is not None
    # Killed with no chance to restore (as when app and engine die together): the daemon is
    # left with no engine.
    engine.session.restored.set()  # keep the app's side from repairing it
    engine.session.proc.send_signal(signal.SIGKILL)
    engine.wait("exited")
    wait_until(lambda: desktop.ibus_cmd("engine") == "", 10, "no engine set")

    assert memory.read_text().strip() == USER_IME
    engine = Engine(memory)  # the next start
    assert engine.wait("restored")["engine"] == USER_IME
    users_engine_works(desktop, "NextStart")
    engine.session.stop()


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """A desktop whose IBus knows Dictate's engine from the .deb's component file (its
    program this checkout's engine)."""
    packaged = (ROOT / "packaging" / "linux" / "org.dictate.Dictate.Engine.xml").read_text()
    engine = ROOT / "app" / "delivery" / "ibus" / "engine.py"
    xml = re.sub(r"<exec>.*</exec>", f"<exec>{SYSTEM_PYTHON} {engine} --ibus</exec>", packaged)
    yield from entered(monkeypatch, components={"dictate.xml": xml})


def test_the_installed_engine_chosen_without_the_app_is_a_plain_keyboard(
    installed: Desktop,
) -> None:
    """The .deb installs a component file, so "Dictate" is an input source a user can pick
    with the app not running: ibus-daemon then starts the engine itself (`--ibus`). It must
    stay up and let keys through, or the user is left with no input method."""
    installed.ibus_cmd("engine", "dictate")
    wait_until(lambda: installed.ibus_cmd("engine") == "dictate", 10, "Dictate's engine")
    started = subprocess.run(
        ["pgrep", "-f", "engine.py --ibus"], check=False, capture_output=True, text=True
    )
    mine = f"DISPLAY={installed.display}\0".encode()  # this desktop's, no other test's
    pids = [int(p) for p in started.stdout.split() if mine in _environ(int(p))]
    assert pids, "ibus-daemon started the engine"
    entry = installed.entry("Plain")
    installed.type("ab")
    wait_until(lambda: entry.text == "ab", 10, "the keys, passed through")
    assert not any(map(exited, pids)), "the engine is still running"
    assert installed.ibus_cmd("engine") == "dictate"


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes() + b"\0"
    except OSError:
        return b""
