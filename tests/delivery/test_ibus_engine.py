"""The IBus engine on its own, driven as the app drives it, into a real GTK entry."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest

from app.delivery.ibus import IBusSession
from tests.delivery.desktop import Desktop, entered, needs_desktop, needs_ibus
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch)


def test_preedit_commit_escape_and_the_keyboard_untouched(desktop: Desktop) -> None:
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    seen: list[dict[str, Any]] = []

    def wait_event(name: str) -> dict[str, Any]:
        def got() -> dict[str, Any] | None:
            while not events.empty():
                seen.append(events.get())
            return next((e for e in seen if e["event"] == name), None)

        found: dict[str, Any] = wait_until(got, 10, f"the engine's {name!r}")
        seen.remove(found)
        return found

    session = IBusSession(events.put)
    assert session.start() is None
    try:
        desktop.ibus_cmd("engine", "xkb:us::eng")  # the user's own engine
        before = wait_until(lambda: desktop.ibus_cmd("engine"), 10, "the user's engine")
        entry = desktop.entry()
        desktop.type("abc ")
        wait_until(lambda: entry.text == "abc ", 10, "typed keys before")
        session.send("begin")
        wait_event("begun")
        assert wait_event("focus")["in"]
        session.send("preedit", "hello wor")
        wait_until(lambda: "hello wor" in entry.preedits, 10, "the preedit")
        session.send("commit", "Hello world.")
        assert wait_event("committed")["focused"]
        session.send("preedit", "and more")
        wait_until(lambda: "and more" in entry.preedits, 10, "the second preedit")
        desktop.xdotool("key", "Escape")
        wait_event("escape")
        session.send("end")
        assert wait_event("ended")["undelivered"] == ""
        wait_until(lambda: entry.preedits and entry.preedits[-1] == "", 10, "the preedit removed")
        assert entry.text == "abc hello world."  # mid-sentence: fitted to the caret
        assert desktop.ibus_cmd("engine") == before  # the user's engine is back
        desktop.type(" xyz")
        wait_until(lambda: entry.text == "abc hello world. xyz", 10, "typed keys after")
    finally:
        session.stop()
