"""A recognizer that hears a fixed script: the real realtime client over a scripted socket.

`RealtimeClient(connect=...)` takes it in place of the WebSocket, so a test runs the whole
client (uplink, ledger, answers, finishing rule) with no network, no model and no timing: the
first audio gets a partial of the first segment; each commit gets every scripted segment as
completed, the last one as that commit's answer. What each connection asked for (its URL,
with the language, and its vocabulary prompt) is kept for the test to check.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import websocket

from app.backends import Backend
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent
from app.realtime.protocol import COMMITTED, COMPLETED, DELTA

URL = "ws://scripted.invalid/v1"


class FakeSocket:
    """What the client needs of a websocket-client connection, with frames from a queue (the
    session is created at once); subclasses answer what the client sends."""

    def __init__(self, model: str = "scripted") -> None:
        self.frames: queue.Queue[str] = queue.Queue()
        self.frames.put(json.dumps({"type": "session.created", "session": {"model": model}}))

    def settimeout(self, _timeout: float) -> None:
        pass

    def send(self, frame: str) -> None:
        raise NotImplementedError

    def recv_data(self, control_frame: bool = False) -> tuple[int, bytes]:
        try:
            return websocket.ABNF.OPCODE_TEXT, self.frames.get(timeout=0.05).encode()
        except queue.Empty:
            raise websocket.WebSocketTimeoutException("no frame") from None

    def ping(self) -> None:
        pass

    def close(self, **_kw: Any) -> None:
        pass

    def abort(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


class ScriptedSocket(FakeSocket):
    def __init__(self, script: Sequence[str]) -> None:
        super().__init__()
        self.script = list(script)
        self.heard = False
        self.commits = 0
        self.prompts: list[str] = []

    def send(self, frame: str) -> None:
        message = json.loads(frame)
        kind = message["type"]
        if "session" in message:  # the vocabulary, before any audio
            self.prompts.append(message["session"].get("prompt", ""))
        elif kind == "input_audio_buffer.append" and not self.heard and self.script:
            self.heard = True
            self._answer(DELTA, "said_1", delta=self.script[0][:8])
        elif kind == "input_audio_buffer.commit":
            self.commits += 1
            item = f"item_{self.commits}"
            self._answer(COMMITTED, item)
            for number, text in enumerate(self.script[:-1], 1):
                self._answer(COMPLETED, f"said_{number}", transcript=text)
            self._answer(COMPLETED, item, transcript=self.script[-1] if self.script else "")
            self.script = []

    def _answer(self, kind: str, item: str, **fields: str) -> None:
        self.frames.put(json.dumps({"type": kind, "item_id": item, **fields}))


class ScriptedRecognizer:
    """Each connection hears `script` (a list of segments) again."""

    def __init__(self, script: Sequence[str]) -> None:
        self.script = list(script)
        self.sockets: list[ScriptedSocket] = []
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def _connect(self, url: str, _headers: list[str], _timeout: float) -> ScriptedSocket:
        with self._lock:
            self.urls.append(url)
            self.sockets.append(ScriptedSocket(self.script))
            return self.sockets[-1]

    def open_client(
        self, config: ClientConfig, on_event: Callable[[ClientEvent], None] | None = None
    ) -> RealtimeClient:
        """In place of `app.backends.realtime_client`."""
        return RealtimeClient(config, on_event, connect=self._connect)

    def languages(self) -> list[str]:
        return [parse_qs(urlsplit(url).query).get("language", [""])[0] for url in self.urls]

    def prompts(self) -> list[str]:
        return [prompt for socket in self.sockets for prompt in socket.prompts]


def backend() -> Backend:
    """A backend whose client config points at the script (answers each commit it names)."""
    return Backend("local", "scripted", URL, None)
