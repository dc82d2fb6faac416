"""What the realtime client tells its owner, on the client's receive or send thread.

Small frozen dataclasses, so they can cross to the GUI thread as they are. The owner must
not block in its callback: the app forwards them through its Qt bridge, the command line
prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import DictationError


@dataclass(frozen=True)
class Status:
    """`connecting`, `connected`, `reconnecting`, `idle` (closed until needed) or `closed`."""

    state: str
    detail: str = ""


@dataclass(frozen=True)
class TextChanged:
    """The open segments' live text changed (it may still change). The settled text is the
    `SegmentCompleted` events' (the owner keeps them: `app.dictation.live.LiveText`)."""

    live: str


@dataclass(frozen=True)
class SegmentCompleted:
    text: str


@dataclass(frozen=True)
class SegmentFailed:
    """One segment could not be transcribed; the session goes on."""

    message: str


@dataclass(frozen=True)
class Fatal:
    error: DictationError


ClientEvent = Status | TextChanged | SegmentCompleted | SegmentFailed | Fatal


@dataclass(frozen=True)
class DictationResult:
    """The outcome of `finish`: text if any, and the audio whatever happened (empty when the
    caller has it already: `ClientConfig.return_audio`)."""

    text: str
    segments: tuple[str, ...]
    audio: bytes
    error: DictationError | None
    reconnects: int
    dropped_frames: int
