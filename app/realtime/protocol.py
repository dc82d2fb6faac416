"""The realtime transcription wire format, shared by the client and the local engine.

Every frame is a JSON text frame. This module turns frames into small frozen dataclasses
and back, so that neither side handles raw dicts. Reading server events is lenient
(PROTOCOL.md section 3: `delta` or else `transcript`, `error.message` or else `message`,
unknown types kept as `UnknownEvent`); reading client messages is strict, because the
engine must answer every bad frame with a precise, non-fatal `failed`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

SAMPLE_RATE = 16_000
BYTES_PER_SAMPLE = 2
BYTES_PER_MS = SAMPLE_RATE * BYTES_PER_SAMPLE // 1000
AUDIO_FORMAT = "pcm_s16le_16000"

# Client -> server type names.
APPEND = "input_audio_buffer.append"
COMMIT = "input_audio_buffer.commit"
CLEAR = "input_audio_buffer.clear"
SESSION_UPDATE_NAMES = (
    "transcription_session.updated",
    "transcription_session.update",
    "session.update",
)
ECHO = "echo"

# Server -> client type names.
SESSION_CREATED = "session.created"
SESSION_UPDATED = "transcription_session.updated"
DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
FAILED = "conversation.item.input_audio_transcription.failed"
COMMITTED = "input_audio_buffer.committed"
ECHO_RESPONSE = "echo.response"


class ProtocolError(ValueError):
    """A client frame that cannot be used; `event_type` names the offending event."""

    def __init__(self, message: str, event_type: str = "unknown") -> None:
        super().__init__(message)
        self.event_type = event_type


# --- VAD parameters -------------------------------------------------------------------


_LIMITS = {
    "threshold": 1.0,
    "min_silence_duration_ms": 60_000,
    "min_speech_duration_ms": 60_000,
    "max_speech_duration_s": 3_600,
    "speech_pad_ms": 10_000,
}


@dataclass(frozen=True)
class TurnDetection:
    """Server VAD settings with Together's defaults (PROTOCOL.md section 4)."""

    threshold: float = 0.3
    min_silence_duration_ms: int = 500
    min_speech_duration_ms: int = 250
    max_speech_duration_s: float = 5.0
    speech_pad_ms: int = 250

    def merged(self, values: Mapping[str, Any]) -> TurnDetection:
        """A copy with the known keys of `values` applied; raises ValueError on a bad value."""
        changes: dict[str, Any] = {}
        for f in fields(self):
            if f.name in values and values[f.name] is not None:
                kind = float if f.type in ("float", float) else int
                try:
                    number = float(values[f.name])
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{f.name} must be a number") from exc
                if not math.isfinite(number) or not 0 <= number <= _LIMITS[f.name]:
                    raise ValueError(f"{f.name} must be between 0 and {_LIMITS[f.name]:g}")
                changes[f.name] = kind(number)
        if "threshold" in changes and not 0.0 < changes["threshold"] < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {"type": "server_vad", **{f.name: getattr(self, f.name) for f in fields(self)}}

    def as_query(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


# --- Client -> server messages --------------------------------------------------------


@dataclass(frozen=True)
class AppendAudio:
    audio: bytes


@dataclass(frozen=True)
class Commit:
    pass


@dataclass(frozen=True)
class Clear:
    pass


@dataclass(frozen=True)
class SessionUpdate:
    """`turn_detection` is absent (unchanged), None (VAD off) or a dict of parameters."""

    session: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Echo:
    echo_id: Any
    payload: Any = None


ClientMessage = AppendAudio | Commit | Clear | SessionUpdate | Echo


def encode_client_message(message: ClientMessage) -> str:
    """The JSON text frame for one client message."""
    if isinstance(message, AppendAudio):
        return json.dumps({"type": APPEND, "audio": base64.b64encode(message.audio).decode()})
    if isinstance(message, Commit):
        return json.dumps({"type": COMMIT})
    if isinstance(message, Clear):
        return json.dumps({"type": CLEAR})
    if isinstance(message, SessionUpdate):
        return json.dumps({"type": SESSION_UPDATED, "session": dict(message.session)})
    return json.dumps({"type": ECHO, "echo_id": message.echo_id, "payload": message.payload})


def decode_client_message(text: str) -> ClientMessage:
    """Parse one client text frame; raises ProtocolError for a frame that must be skipped."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"frame is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("frame must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("frame has no 'type'")
    if kind == APPEND:
        audio = data.get("audio")
        if not isinstance(audio, str):
            raise ProtocolError("append without 'audio'", kind)
        try:
            raw = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError("'audio' is not valid base64", kind) from exc
        return AppendAudio(raw)
    if kind == COMMIT:
        return Commit()
    if kind == CLEAR:
        return Clear()
    if kind in SESSION_UPDATE_NAMES:
        session = data.get("session", {})
        if not isinstance(session, dict):
            raise ProtocolError("'session' must be an object", kind)
        return SessionUpdate(session)
    if kind == ECHO:
        return Echo(data.get("echo_id"), data.get("payload"))
    raise ProtocolError(f"unknown event type {kind!r}", kind)


# --- Server -> client events ----------------------------------------------------------


@dataclass(frozen=True)
class SessionCreated:
    session_id: str
    model: str


@dataclass(frozen=True)
class SessionUpdated:
    session: Mapping[str, Any]


@dataclass(frozen=True)
class TranscriptDelta:
    """The whole text so far of the open segment; it replaces the previous delta."""

    item_id: str
    text: str


@dataclass(frozen=True)
class TranscriptCompleted:
    """Final text of one segment. `start`/`duration` (seconds of session audio) are ours."""

    item_id: str
    text: str
    start: float | None = None
    duration: float | None = None


@dataclass(frozen=True)
class AudioCommitted:
    """Our engine's answer to a commit, naming the item whose `completed` answers it."""

    item_id: str


@dataclass(frozen=True)
class TranscriptFailed:
    """A failure; without `event_type` it is fatal and the server closes the session."""

    message: str
    code: str | None = None
    error_type: str = "invalid_request_error"
    item_id: str | None = None
    event_type: str | None = None

    @property
    def fatal(self) -> bool:
        return self.event_type is None and self.item_id is None


@dataclass(frozen=True)
class EchoResponse:
    echo_id: Any
    payload: Any = None


@dataclass(frozen=True)
class UnknownEvent:
    kind: str
    data: Mapping[str, Any]


ServerEvent = (
    SessionCreated
    | SessionUpdated
    | TranscriptDelta
    | TranscriptCompleted
    | AudioCommitted
    | TranscriptFailed
    | EchoResponse
    | UnknownEvent
)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def decode_server_event(text: str | bytes) -> ServerEvent:
    """Parse one server frame leniently; anything unusable becomes an UnknownEvent."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return UnknownEvent("invalid_json", {"raw": str(text)[:200]})
    if not isinstance(data, dict):
        return UnknownEvent("invalid_json", {"raw": str(text)[:200]})
    kind = _text(data.get("type"))
    item_id = _text(data.get("item_id"))
    if kind == SESSION_CREATED:
        session = data.get("session") if isinstance(data.get("session"), dict) else {}
        assert isinstance(session, dict)
        return SessionCreated(_text(session.get("id")), _text(session.get("model")))
    if kind == SESSION_UPDATED:
        session = data.get("session")
        return SessionUpdated(session if isinstance(session, dict) else {})
    if kind == DELTA:
        value = data.get("delta")
        return TranscriptDelta(
            item_id, _text(value if value is not None else data.get("transcript"))
        )
    if kind == COMPLETED:
        return TranscriptCompleted(
            item_id,
            _text(data.get("transcript")),
            _number(data.get("start")),
            _number(data.get("duration")),
        )
    if kind == COMMITTED:
        return AudioCommitted(item_id)
    if kind in (FAILED, "error"):
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        assert isinstance(error, dict)
        message = _text(error.get("message")) or _text(data.get("message")) or "unknown error"
        code = error.get("code")
        event_type = data.get("event_type")
        return TranscriptFailed(
            message=message,
            code=code if isinstance(code, str) else None,
            error_type=_text(error.get("type")) or "invalid_request_error",
            item_id=item_id or None,
            event_type=event_type if isinstance(event_type, str) else None,
        )
    if kind == ECHO_RESPONSE:
        return EchoResponse(data.get("echo_id"), data.get("payload"))
    return UnknownEvent(kind, data)


def encode_server_event(event: ServerEvent, **extra: Any) -> str:
    """The JSON text frame for one server event (used by the engine)."""
    data: dict[str, Any]
    if isinstance(event, SessionCreated):
        data = {
            "type": SESSION_CREATED,
            "session": {
                "id": event.session_id,
                "object": "realtime.session",
                "modalities": ["audio"],
                "model": event.model,
            },
        }
    elif isinstance(event, SessionUpdated):
        data = {"type": SESSION_UPDATED, "session": dict(event.session)}
    elif isinstance(event, TranscriptDelta):
        data = {"type": DELTA, "item_id": event.item_id, "delta": event.text}
    elif isinstance(event, TranscriptCompleted):
        data = {"type": COMPLETED, "item_id": event.item_id, "transcript": event.text}
        if event.start is not None:
            data["start"] = round(event.start, 3)
        if event.duration is not None:
            data["duration"] = round(event.duration, 3)
    elif isinstance(event, AudioCommitted):
        data = {"type": COMMITTED, "item_id": event.item_id}
    elif isinstance(event, TranscriptFailed):
        data = {
            "type": FAILED,
            "error": {
                "message": event.message,
                "type": event.error_type,
                "param": None,
                "code": event.code,
            },
        }
        if event.item_id is not None:
            data["item_id"] = event.item_id
        if event.event_type is not None:
            data["event_type"] = event.event_type
    elif isinstance(event, EchoResponse):
        data = {"type": ECHO_RESPONSE, "echo_id": event.echo_id, "payload": event.payload}
    else:
        data = {"type": event.kind, **event.data}
    data.update(extra)
    return json.dumps(data)


def realtime_url(
    base: str,
    model: str,
    *,
    language: str | None = None,
    turn_detection: TurnDetection | None = TurnDetection(),
) -> str:
    """The connection URL: a base ending in `/v1` gets `/realtime` appended (PROTOCOL.md 1)."""
    url = base.rstrip("/")
    if not url.endswith("/realtime"):
        url += "/realtime"
    query: dict[str, str] = {
        "model": model,
        "input_audio_format": AUDIO_FORMAT,
        "intent": "transcription",
    }
    if language:
        query["language"] = language
    if turn_detection is None:
        query["turn_detection"] = "none"
    else:
        query.update(turn_detection.as_query())
    return f"{url}?{urlencode(query)}"
