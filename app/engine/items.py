"""What a session tracks: the client's choices, the segments on their way to a `completed`,
and the last partial decode (which the final may reuse)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from app.realtime.protocol import TurnDetection


@dataclass
class SessionOptions:
    """What a client chose at the handshake (and may change with a session update)."""

    language: str | None = None
    turn_detection: TurnDetection | None = field(default_factory=TurnDetection)
    prompt: str | None = None
    partial_interval_ms: int = 600
    max_buffered_s: float = 300.0


@dataclass
class Item:
    """One segment on its way to a `completed`."""

    id: str
    start: int
    last_delta: str = ""
    closed: bool = False  # finalized or cleared: no more deltas
    answers_commit: bool = False
    end: int = 0  # where its audio ends once finalized (a word-boundary final moves it back)
    # Set while `start` waits for the item before it: a cut in running speech hands the
    # words that straddle the cut to this item once the earlier final has placed them.
    start_ready: asyncio.Future[int] | None = None
    # Samples before `start` that its final decode hears, and whose words it leaves to the
    # item before: after a cut in running speech the first word would otherwise start
    # right at the clip's edge, where Whisper drops it.
    lead_in: int = 0
    paused: bool = False  # the speaker stopped after it (full silence or a commit)

    @property
    def start_known(self) -> bool:
        return self.start_ready is None or self.start_ready.done()


@dataclass
class _Partial:
    item_id: str
    start: int
    end: int
    text: str
    prompt: tuple[str | None, str | None] = (None, None)  # (the user's, recent text)
    final_grade: bool = False  # decoded as a final would be: its text may become the final


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"
