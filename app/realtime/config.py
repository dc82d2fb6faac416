"""How the realtime client connects and paces itself; every knob in one frozen value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websocket

from app.realtime.backoff import Backoff
from app.realtime.protocol import SessionUpdate, TurnDetection, encode_client_message


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
    min_chunk_ms: int = 60  # fewer, larger appends: a third of the CPU of 20 ms ones
    max_chunk_ms: int = 250
    queue_frames: int = 3000
    max_reconnects: int = 30
    backoff: Backoff = field(default_factory=Backoff)


Connector = Callable[[str, list[str], float], Any]


def connect_websocket(url: str, headers: list[str], timeout: float) -> websocket.WebSocket:
    return websocket.create_connection(
        url, header=headers, timeout=timeout, suppress_origin=True, enable_multithread=True
    )


def open_session(connect: Connector, url: str, config: ClientConfig) -> Any:
    """Connect with the key, and send the vocabulary before any audio (PROTOCOL.md 7)."""
    headers = [f"Authorization: Bearer {config.api_key}"] if config.api_key else []
    ws = connect(url, headers, config.connect_timeout_s)
    ws.settimeout(config.io_timeout_s)
    if config.prompt:
        ws.send(encode_client_message(SessionUpdate({"prompt": config.prompt})))
    return ws
