"""Notices with a lifetime: a warning holds while its condition holds, and no longer.

A `Notice` with a `topic` ("the microphone delivers pure silence") lasts until a
`NoticeEnded` for the same topic (sound arrives); one without a topic is a one-off message
that fades on its own. `NoticeBoard` keeps the notices that still hold, so that when one ends
the status line shows the newest of the others, never a stale one, and an ended warning never
clears a newer message.
"""

from __future__ import annotations

from dataclasses import dataclass

# The conditions that end on their own; the names are stable for tests and logs.
MICROPHONE_SILENT = "microphone-silent"
MICROPHONE_FALLBACK = "microphone-fallback"
MICROPHONE_STALLED = "microphone-stalled"  # it stopped delivering audio, until sound returns
SETTINGS_DAMAGED = "settings-damaged"  # until the settings are saved again
HISTORY_UNWRITABLE = "history-unwritable"  # until the kept dictations are written
RECONNECTING = "reconnecting"
ENGINE = "engine"
FAILED = "dictation-failed"  # the server gave up while the user still speaks


@dataclass(frozen=True)
class Notice:
    """A warning for the status line; `topic` names the condition that can end it."""

    message: str
    topic: str = ""


@dataclass(frozen=True)
class NoticeEnded:
    """The condition behind the notices of `topic` is over."""

    topic: str


class NoticeBoard:
    """The notices that still hold, in the order they came; `current` is what to show."""

    def __init__(self) -> None:
        self._held: list[Notice] = []
        self._latest: Notice | None = None  # the newest one-off, until it fades or is replaced

    @property
    def current(self) -> Notice | None:
        if self._latest is not None:
            return self._latest
        return self._held[-1] if self._held else None

    def holds(self, topic: str) -> bool:
        """`topic`'s condition was reported and has not ended (shown or not)."""
        return any(n.topic == topic for n in self._held)

    def add(self, notice: Notice) -> None:
        if notice.topic:
            self._held = [n for n in self._held if n.topic != notice.topic]
            self._held.append(notice)
            self._latest = None  # a newer condition outranks an older one-off
        else:
            self._latest = notice

    def end(self, topic: str) -> bool:
        """Forget `topic`'s notice; True if what is shown changes."""
        before = self.current
        self._held = [n for n in self._held if n.topic != topic]
        return self.current != before

    def fade(self, notice: Notice) -> bool:
        """A one-off has been shown long enough; True if what is shown changes."""
        if self._latest is notice:
            self._latest = None
            return True
        return False
