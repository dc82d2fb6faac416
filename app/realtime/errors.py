"""Turning what the server or the network said into errors a user can act on."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import websocket

from app.core.errors import (
    AuthError,
    ConfigError,
    ConnectionLostError,
    DictationError,
    ServerError,
    TransientError,
)
from app.realtime.protocol import TranscriptFailed

_AUTH_CODES = {"missing_api_key", "invalid_api_key"}
_CONFIG_CODES = {"model_not_available", "model_not_accessible", "missing_model", "invalid_value"}
_FORMAT_WORDS = ("unsupported format", "unsupported input sample rate", "invalid audio data format")
_TRANSIENT_CODES = {"no_healthy_upstream", "idle_timeout", "server_shutdown", "model_loading"}
# Together's overload answer (docs/protocol-notes.md): an error code in a `failed` event or an
# HTTP body, or a WebSocket close with code 4503 and no JSON frame at all. Reconnecting at
# once would only hit the same full service: the client waits with backoff first.
OVERLOAD_CODES = {"no_healthy_workers"}
OVERLOAD_CLOSE_CODES = {4503, 1013}  # 1013: RFC 6455 "Try Again Later"
_TRANSIENT_CODES |= OVERLOAD_CODES
_TRANSIENT_TYPES = {"service_unavailable_error", "request_timeout", "server_error"}


def _body_error(body: bytes | None) -> tuple[str, str]:
    """(code, message) from a JSON error body, or ("", raw text)."""
    if not body:
        return "", ""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return "", text[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return "", data["message"]
    return "", text[:200]


def from_handshake(exc: BaseException, url: str) -> DictationError:
    host = urlsplit(url).netloc or url
    if isinstance(exc, websocket.WebSocketBadStatusException):
        status = exc.status_code
        code, message = _body_error(exc.resp_body)
        detail = f"HTTP {status}" + (f", {code}" if code else "")
        if status in (401, 403):
            if code == "missing_api_key":
                return AuthError(f"{host} needs an API key and none was sent", detail=detail)
            if code == "origin_not_allowed":
                return ConfigError(f"{host} refused this client: {message}", detail=detail)
            return AuthError(f"{host} refused the API key", detail=detail)
        if status == 400:
            return ConfigError(message or f"{host} refused the request", detail=detail)
        if status == 429:
            return TransientError(f"{host} is busy (too many requests)", detail=detail)
        if status >= 500:
            return TransientError(f"{host} had a problem", detail=detail)
        return ServerError(f"{host} answered the connection with HTTP {status}", detail=message)
    if isinstance(exc, TimeoutError | websocket.WebSocketTimeoutException):
        return TransientError(f"{host} did not answer in time")
    if isinstance(exc, ConnectionRefusedError):
        return TransientError(f"nothing is listening at {host}")
    return TransientError(f"cannot reach {host}", detail=str(exc) or type(exc).__name__)


def from_close(code: int | None, reason: str = "") -> DictationError | None:
    """The error a server's close frame means, when it means one (4503: no free workers)."""
    if code in OVERLOAD_CLOSE_CODES:
        why = f": {reason}" if reason else ""
        return TransientError(f"the server is busy{why}", detail=f"close {code}")
    return None


def is_overload(error: DictationError) -> bool:
    """An answer that says the service is full: retry, but only after a backoff delay."""
    return error.detail in OVERLOAD_CODES or error.detail in {
        f"close {c}" for c in OVERLOAD_CLOSE_CODES
    }


def from_fatal_event(event: TranscriptFailed) -> DictationError:
    code = event.code or ""
    detail = code or event.error_type
    if code in _AUTH_CODES:
        return AuthError("the server refused the API key", detail=detail)
    if code in _CONFIG_CODES or any(w in event.message.lower() for w in _FORMAT_WORDS):
        return ConfigError(event.message, detail=detail)
    if code in _TRANSIENT_CODES or event.error_type in _TRANSIENT_TYPES:
        return TransientError(event.message, detail=detail)
    return ServerError(event.message, detail=detail)


def gave_up(error: DictationError, seconds: float, *, connected: bool) -> ConnectionLostError:
    """The client stops trying after `error`; the audio is kept, and it says how much."""
    what = "lost the connection and could not reconnect" if connected else "could not connect"
    return ConnectionLostError(
        f"{what}: {error.message}; the {seconds:.1f} s of audio are kept", detail=error.detail
    )
