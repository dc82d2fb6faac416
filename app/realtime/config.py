"""How the realtime client connects and paces itself; every knob in one frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.realtime.backoff import Backoff
from app.realtime.protocol import TurnDetection


@dataclass(frozen=True)
class ClientConfig:
    url: str  # a base (`wss://api.together.ai/v1`) or the realtime endpoint itself
    model: str
    api_key: str | None = None
    language: str | None = None
    prompt: str | None = None  # the user's vocabulary (core.words.vocabulary_prompt)
    turn_detection: TurnDetection | None = field(default_factory=TurnDetection)
    connect_timeout_s: float = 10.0
    io_timeout_s: float = 5.0
    ping_interval_s: float = 10.0
    ping_timeout_s: float = 10.0
    idle_close_s: float = 240.0
    quiet_period_s: float = 1.2
    finish_cap_s: float = 20.0
    # True: the server announces the item that answers each commit (our engine); None: learn
    # it from the first `input_audio_buffer.committed`; until then Together's rules apply.
    commit_ack: bool | None = None
    # False: the caller has the audio already (a file): only the audio not yet confirmed is
    # kept, long silence is committed so that it can be let go of, and the result's audio is
    # empty. The app's dictation keeps it True: it saves the audio for Retry.
    return_audio: bool = True
    min_chunk_ms: int = 60  # fewer, larger appends: a third of the CPU of 20 ms ones
    max_chunk_ms: int = 250
    queue_frames: int = 3000
    max_reconnects: int = 30
    backoff: Backoff = field(default_factory=Backoff)
