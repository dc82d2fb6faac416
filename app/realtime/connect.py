"""How the realtime client opens a connection: the socket library, the key, the vocabulary.

Kept apart from config.py so that the settings, and the pure bookkeeping that reads them
(uplink.py, liveness.py), never import the socket library. Tests replace `connect_websocket`
with a scripted socket through `RealtimeClient(connect=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import websocket

from app.realtime.config import ClientConfig
from app.realtime.protocol import SessionUpdate, encode_client_message

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
