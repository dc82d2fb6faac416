"""Dictate's IBus engine process as the app runs it (`IBusSession`), with the events it sent:
for the tests that drive the engine without the app."""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

from app.delivery.ibus import IBusSession
from tests.waiting import wait_until


class Engine:
    """The engine process, its events in arrival order; `wait` takes the first of a kind."""

    def __init__(self, memory: Path) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.session = IBusSession(self.events.put, memory)
        assert self.session.start() is None

    def wait(self, name: str) -> dict[str, Any]:
        def got() -> dict[str, Any] | None:
            while not self.events.empty():
                self.seen.append(self.events.get())
            return next((e for e in self.seen if e["event"] == name), None)

        found: dict[str, Any] = wait_until(got, 15, f"the engine's {name!r}")
        self.seen.remove(found)
        return found

    def dictate(self, live: str, final: str) -> dict[str, Any]:
        """One dictation as the app sends it, live words then the text, at once (the engine
        must cope with a commit before the client told it the text before the caret); the
        `ended` event, and the dictation's events in `self.seen`."""
        while not self.events.empty():
            self.events.get()
        self.seen.clear()
        self.session.send("begin")
        self.wait("begun")
        self.session.send("preedit", live)
        self.session.send("commit", final)
        self.session.send("end")
        return self.wait("ended")
