"""Scripted servers for the client's error handling: fixed HTTP answers, or fixed frames."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from typing import Any

from websockets.sync.server import ServerConnection, serve


class HttpAnswer:
    """Answers every upgrade with one HTTP status and JSON body; counts the attempts."""

    def __init__(self, status: int, body: dict[str, Any] | None = None, *, silent: bool = False):
        self.status, self.body, self.silent = status, body or {}, silent
        self.attempts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.attempts += 1
            if self.silent:  # accept, read, never answer
                self._held.append(conn)
                continue
            with conn:
                conn.recv(65536)
                payload = json.dumps(self.body).encode()
                head = (
                    f"HTTP/1.1 {self.status} Scripted\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                )
                conn.sendall(head.encode() + payload)

    def close(self) -> None:
        self.listener.close()
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()


class FrameScript:
    """A WebSocket server whose handler is a test's function of the connection."""

    def __init__(self, handler: Callable[[ServerConnection], None]) -> None:
        self.server = serve(handler, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.server.shutdown()


def created(model: str = "scripted") -> str:
    return json.dumps({"type": "session.created", "session": {"id": "s1", "model": model}})
