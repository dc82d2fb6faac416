"""A raw protocol peer for tests: JSON frames over websocket-client, events on a queue.

Deliberately not `app.realtime.client`: the engine's conformance tests must see exactly the
frames on the wire, and the client's tests must not depend on the client to check itself.
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import threading
import time
from typing import Any
from urllib.parse import urlencode

import websocket

from tests.speech import chunks

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
FAILED = "conversation.item.input_audio_transcription.failed"


class Closed(Exception):
    pass


class RawSession:
    """One connection; `events` is filled by a reader thread, in arrival order."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        query: dict[str, str] | None = None,
        *,
        headers: list[str] | None = None,
        subprotocols: list[str] | None = None,
        auth_in_header: bool = True,
        wait_created: bool = True,
    ) -> None:
        params = {"model": "openai/whisper-tiny.en", "input_audio_format": "pcm_s16le_16000"}
        params.update(query or {})
        params = {k: v for k, v in params.items() if v is not None}
        hdrs = list(headers or [])
        if token and auth_in_header:
            hdrs.append(f"Authorization: Bearer {token}")
        self.ws = websocket.create_connection(
            f"{base_url}?{urlencode(params)}",
            header=hdrs,
            subprotocols=subprotocols,
            suppress_origin=not any(h.lower().startswith("origin:") for h in hdrs),
            timeout=30,
            enable_multithread=True,  # the reader thread answers pings while we send
        )
        self.events: queue.Queue[dict[str, Any] | Closed] = queue.Queue()
        self.close_code: int | None = None
        self.seen: list[dict[str, Any]] = []
        self.stamped: list[tuple[float, dict[str, Any]]] = []  # (arrival monotonic, event)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.created: dict[str, Any] | None = None
        if wait_created:
            self.created = self.next(10)

    def _read(self) -> None:
        try:
            while True:
                opcode, data = self.ws.recv_data(control_frame=False)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                    self.ws.shutdown()  # type: ignore[no-untyped-call]  # handshake done: drop TCP
                    break
                event = json.loads(data)
                self.stamped.append((time.monotonic(), event))
                self.events.put(event)
        except Exception:
            pass
        self.events.put(Closed())

    # --- sending -----------------------------------------------------------------------

    def send(self, payload: dict[str, Any] | str) -> None:
        self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    def append(self, pcm: bytes) -> None:
        self.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})

    def commit(self) -> None:
        self.send({"type": "input_audio_buffer.commit"})

    def stream(self, pcm: bytes, *, chunk_ms: int = 100, pace: float | None = 1.0) -> None:
        """Send audio in chunks; `pace` 1.0 is real time, None as fast as possible."""
        started = time.monotonic()
        sent = 0.0
        for piece in chunks(pcm, chunk_ms):
            self.append(piece)
            sent += len(piece) / 32000
            if pace:
                delay = started + sent / pace - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing: audio arrives as a microphone would send it

    # --- receiving ---------------------------------------------------------------------

    def next(self, timeout: float = 30) -> dict[str, Any]:
        item = self.events.get(timeout=timeout)
        if isinstance(item, Closed):
            raise item
        self.seen.append(item)
        return item

    def until(self, kind: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Every event up to and including the first of `kind`."""
        deadline = time.monotonic() + timeout
        got: list[dict[str, Any]] = []
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            got.append(event)
            if event["type"] == kind:
                return got

    def drain(self) -> list[dict[str, Any]]:
        """What has arrived so far, without waiting."""
        got: list[dict[str, Any]] = []
        while True:
            try:
                item = self.events.get_nowait()
            except queue.Empty:
                return got
            if isinstance(item, Closed):
                self.events.put(item)
                return got
            self.seen.append(item)
            got.append(item)

    def commit_and_wait(self, timeout: float = 30) -> tuple[list[dict[str, Any]], str]:
        """Commit, then read up to the `completed` that answers it.

        Returns the events read and the joined text of every `completed` among them (the
        VAD may have finalized segments before the commit's own answer).
        """
        self.commit()
        events = self.until("input_audio_buffer.committed", timeout)
        item_id = events[-1]["item_id"]
        while True:
            event = self.next(timeout)
            events.append(event)
            if event["type"] == COMPLETED and event["item_id"] == item_id:
                return events, " ".join(t for t in completed_texts(events) if t)

    def wait_closed(self, timeout: float = 10) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            item = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(item, Closed):
                return got
            got.append(item)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def completed_texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["transcript"] for e in events if e["type"] == COMPLETED]


def handshake_error(base_url: str, query: str, headers: list[str] | None = None) -> tuple[int, Any]:
    """(HTTP status, JSON body) of a refused upgrade."""
    try:
        ws = websocket.create_connection(
            f"{base_url}?{query}", header=headers or [], suppress_origin=True, timeout=30
        )
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code, json.loads(exc.resp_body or b"{}")
    ws.close()
    raise AssertionError("the upgrade was accepted")


def upgrade_request(port: int, path: str, *extra: str, key: bool = True) -> str:
    """A complete WebSocket upgrade request as raw HTTP, for clients that misbehave after
    sending it; `key=False` leaves out Sec-WebSocket-Key (websockets refuses it)."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        *(["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="] if key else []),
        *extra,
    ]
    return "\r\n".join(lines) + "\r\n\r\n"
