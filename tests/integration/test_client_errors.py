"""The client against scripted servers: each failure gets the right error, and nothing hangs."""

from __future__ import annotations

import json
import threading
import time

import pytest
from websockets.sync.server import ServerConnection

from app.core.errors import AuthError, ConfigError, ConnectionLostError
from app.realtime.backoff import Backoff
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent, Fatal, SegmentFailed, Status
from tests.scripted import FrameScript, HttpAnswer, created
from tests.speech import silence

COMPLETED = "conversation.item.input_audio_transcription.completed"


def run(url: str, **kw: object) -> tuple[object, list[ClientEvent], float]:
    options: dict[str, object] = {
        "url": url,
        "model": "m",
        "api_key": "k",
        "connect_timeout_s": 0.5,
        "backoff": Backoff(base=0.02, cap=0.05, attempts=3),
    }
    options.update(kw)
    events: list[ClientEvent] = []
    client = RealtimeClient(ClientConfig(**options), events.append)  # type: ignore[arg-type]
    started = time.monotonic()
    client.start()
    client.send_audio(silence(0.5))
    result = client.finish(10)
    return result, events, time.monotonic() - started


@pytest.mark.parametrize(
    ("status", "code", "kind", "words"),
    [
        (401, "invalid_api_key", AuthError, "refused the API key"),
        (401, "missing_api_key", AuthError, "needs an API key"),
        (403, "", AuthError, "refused the API key"),
        (400, "model_not_available", ConfigError, "model 'm' is not available"),
    ],
)
def test_refusals_are_reported_at_once_and_never_retried(
    status: int, code: str, kind: type, words: str
) -> None:
    body = {"error": {"code": code, "message": "model 'm' is not available; available: x"}}
    server = HttpAnswer(status, body)
    try:
        result, events, elapsed = run(server.url)
    finally:
        server.close()
    error = result.error  # type: ignore[attr-defined]
    assert isinstance(error, kind) and words in str(error)
    assert server.attempts == 1
    assert any(isinstance(e, Fatal) for e in events)
    assert result.audio == silence(0.5)  # type: ignore[attr-defined]
    assert elapsed < 5


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_broken_servers_are_retried_then_given_up_on(status: int) -> None:
    server = HttpAnswer(status, {"error": {"code": "no_healthy_upstream"}})
    try:
        result, _events, elapsed = run(server.url)
    finally:
        server.close()
    error = result.error  # type: ignore[attr-defined]
    assert isinstance(error, ConnectionLostError)
    assert "could not connect" in error.message and "audio are kept" in error.message
    assert server.attempts == 4  # the first try and three retries
    assert elapsed < 5


def test_a_server_that_never_answers_times_out_without_hanging() -> None:
    server = HttpAnswer(200, silent=True)
    try:
        result, _events, elapsed = run(server.url)
    finally:
        server.close()
    error = result.error  # type: ignore[attr-defined]
    assert isinstance(error, ConnectionLostError) and "did not answer in time" in error.message
    assert elapsed < 8


def test_malformed_and_unknown_frames_are_ignored() -> None:
    def handler(ws: ServerConnection) -> None:
        ws.send(created())
        ws.send("{not json")
        ws.send(json.dumps({"type": "rate_limits.updated", "limits": []}))
        ws.send(
            json.dumps(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": "a",
                    "transcript": "hello wor",
                }
            )
        )
        for message in ws:
            if json.loads(message)["type"] == "input_audio_buffer.commit":
                ws.send(
                    json.dumps({"type": COMPLETED, "item_id": "a", "transcript": "hello world"})
                )

    server = FrameScript(handler)
    try:
        result, _events, _ = run(server.url, quiet_period_s=0.3)
    finally:
        server.close()
    assert result.error is None  # type: ignore[attr-defined]
    assert result.text == "hello world"  # type: ignore[attr-defined]


def test_a_fatal_failed_after_the_upgrade_is_an_auth_error() -> None:
    def handler(ws: ServerConnection) -> None:
        ws.send(
            json.dumps(
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    "error": {"code": "invalid_api_key", "message": "bad key"},
                }
            )
        )
        ws.close(1000)

    server = FrameScript(handler)
    try:
        result, _events, elapsed = run(server.url)
    finally:
        server.close()
    assert isinstance(result.error, AuthError)  # type: ignore[attr-defined]
    assert elapsed < 5


def test_a_failed_segment_is_reported_and_the_session_goes_on() -> None:
    def handler(ws: ServerConnection) -> None:
        ws.send(created())
        ws.send(
            json.dumps(
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    "item_id": "x",
                    "event_type": "transcription",
                    "error": {"message": "decode failed"},
                }
            )
        )
        for message in ws:
            if json.loads(message)["type"] == "input_audio_buffer.commit":
                ws.send(json.dumps({"type": COMPLETED, "item_id": "b", "transcript": "still here"}))

    server = FrameScript(handler)
    try:
        result, events, _ = run(server.url)
    finally:
        server.close()
    assert result.error is None  # type: ignore[attr-defined]
    assert result.text == "still here"  # type: ignore[attr-defined]
    assert any(isinstance(e, SegmentFailed) and "decode failed" in e.message for e in events)


def test_finish_after_the_sender_stopped_with_a_full_queue_keeps_the_audio() -> None:
    """A refused key ends the sender; a microphone that goes on filling the queue must not
    make `finish` raise (`queue.Full`, after 5 s): the dictation is over, the audio is kept."""
    server = HttpAnswer(401, {"error": {"code": "invalid_api_key", "message": "bad key"}})
    closed = threading.Event()

    def on_event(event: ClientEvent) -> None:
        if isinstance(event, Status) and event.state == "closed":
            closed.set()  # the sender's last act

    client = RealtimeClient(ClientConfig(url=server.url, model="m", queue_frames=4), on_event)
    try:
        client.start()
        assert closed.wait(10)
    finally:
        server.close()
    frames = [silence(0.1)[:-2] + i.to_bytes(2, "little") for i in range(10)]
    for frame in frames:  # four fit; the rest are dropped and counted, as for a microphone
        client.send_audio(frame)
    started = time.monotonic()
    result = client.finish(10)
    assert time.monotonic() - started < 2  # nothing waited for a queue no one empties
    assert isinstance(result.error, AuthError)
    assert result.audio == b"".join(frames[:4]) and result.dropped_frames == 6
