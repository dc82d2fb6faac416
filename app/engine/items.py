"""What a session tracks: the client's choices, the segments on their way to a `completed`,
and the last partial decode (which the final may reuse)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.realtime.protocol import TurnDetection


@dataclass
class SessionOptions:
    """What a client chose at the handshake (and may change with a session update)."""

    language: str | None = None
    turn_detection: TurnDetection | None = field(default_factory=TurnDetection)
    prompt: str | None = None
    partial_interval_ms: int = 400
    max_buffered_s: float = 300.0


@dataclass
class Item:
    """One segment on its way to a `completed`."""

    id: str
    start: int
    last_delta: str = ""
    closed: bool = False  # finalized or cleared: no more deltas
    answers_commit: bool = False


@dataclass
class _Partial:
    item_id: str
    start: int
    end: int
    text: str


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"
