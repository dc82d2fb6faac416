"""The local engine's WebSocket server: Together's realtime protocol on our own machine.

Plain HTTP (/health, /ready, /metrics, probes) is answered by `engine.http` before anything
else. The handshake (`_admit`) enforces PROTOCOL.md section 5 before a session exists: origin,
key (header, query or subprotocol), model, audio format, VAD parameters and the session
limit, each refused with the status and error code Together uses. A slot is reserved only
for a handshake that passed every check, and the reservation is tied to the TCP connection:
it becomes the session's when the upgrade completes and is released the moment the
connection is lost, whatever happened in between (refused, aborted, timed out). After the upgrade
`_serve` reads frames in order, answers bad ones with a non-fatal `failed`, and ends the
session on binary or oversize frames and on the idle timeout. `EmbeddedEngine` runs the
same server on a thread of its own (`engine.embedded`), for the app and for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from app.engine import http
from app.engine.asr import ModelRegistry, Recognizer
from app.engine.items import SessionOptions, new_id
from app.engine.metrics import EngineMetrics
from app.engine.models import DEFAULT_MODEL_ID, ModelNotAvailableError
from app.engine.scheduler import DecodeScheduler
from app.engine.session import Session
from app.realtime.protocol import (
    AUDIO_FORMAT,
    SAMPLE_RATE,
    AppendAudio,
    AudioCommitted,
    ProtocolError,
    ServerEvent,
    SessionCreated,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
    TurnDetection,
    decode_client_message,
    encode_server_event,
)

log = logging.getLogger(__name__)

PATHS = ("/v1/realtime", "/realtime")
KEY_SUBPROTOCOL = "openai-insecure-api-key."


def random_token() -> str:
    """A key for a server started without one. Hex, never base64: a key that begins with
    "-" (one in 64 of `token_urlsafe`'s) is read as an option by `--api-key KEY`."""
    return secrets.token_hex(20)


@dataclass
class ServerConfig:
    """Everything `dictate serve` can be told; the limits are stated in its --help."""

    host: str = "127.0.0.1"
    port: int = 8765
    model_id: str = DEFAULT_MODEL_ID
    device: str = "auto"
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    max_sessions: int = 8
    max_message_bytes: int = 1 << 20
    idle_timeout_s: float = 300.0
    max_buffered_s: float = 300.0
    decode_workers: int = 2
    # One stream of continuous speech on 2 cores: 400 ms cost 44 % of a core, 600 ms 32 %,
    # with the newest word shown 0.5 to 0.8 s after it was said either way (bench.streaming).
    partial_interval_ms: int = 600
    shutdown_grace_s: float = 5.0
    handshake_timeout_s: float = 10.0
    # "status": a configuration error (model, format, VAD values) is refused with HTTP 400 at
    # the upgrade, as PROTOCOL.md says; "session": the upgrade succeeds and the error comes
    # as a fatal `failed` after `session.created`, as Together's service and SDK now do it.
    config_errors: str = "status"


@dataclass
class _Admitted:
    recognizer: Recognizer
    options: SessionOptions


@dataclass
class _Live:
    connection: ServerConnection
    session: Session
    closing: bool = field(default=False)


class MeteredSession(Session):
    """A session whose events feed the engine's metrics (commit latency, partial lag)."""

    def __init__(self, metrics: EngineMetrics, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics
        self._committed_at: dict[str, float] = {}

    async def emit(self, event: ServerEvent, *, echo: bool = False) -> None:
        await super().emit(event, echo=echo)
        now = time.perf_counter()
        if isinstance(event, AudioCommitted):
            self._committed_at[event.item_id] = now
        elif isinstance(event, TranscriptCompleted):
            started = self._committed_at.pop(event.item_id, None)
            if started is not None:
                self._metrics.commit_latency.observe(now - started)
        elif isinstance(event, TranscriptDelta):
            lag = (self._audio.end - self._partial_end) / SAMPLE_RATE
            self._metrics.partial_lag.observe(max(0.0, lag))


class HandshakeRefusal(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.code, self.kind = status, code, kind


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


def offered_subprotocols(headers: Headers) -> list[str]:
    return [
        p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")
    ]


def offered_key(request: Request, query: dict[str, list[str]]) -> str | None:
    """The key from the Authorization header, `?authorization=`, or the subprotocol list."""
    key = _bearer(request.headers.get("Authorization"))
    if key is None and query.get("authorization"):
        key = _bearer(query["authorization"][0])
    if key is None:
        for proto in offered_subprotocols(request.headers):
            if proto.startswith(KEY_SUBPROTOCOL):
                key = proto[len(KEY_SUBPROTOCOL) :]
    return key


def parse_vad(query: dict[str, list[str]]) -> TurnDetection | None:
    mode = (query.get("turn_detection") or ["server_vad"])[0]
    if mode == "none":
        return None
    if mode != "server_vad":
        raise ValueError(f"turn_detection must be server_vad or none, not {mode!r}")
    return TurnDetection().merged({k: v[0] for k, v in query.items()})


class EngineServer:
    """The asyncio server; `start` loads the default model and listens."""

    def __init__(self, config: ServerConfig, registry: ModelRegistry | None = None) -> None:
        self.config = config
        self.registry = registry or ModelRegistry(config.device, config.decode_workers)
        self.metrics = EngineMetrics()
        self.metrics.track_open_sessions(lambda: len(self._live))
        self.scheduler = DecodeScheduler(config.decode_workers, self.metrics.observe_decode)
        self.default: Recognizer | None = None
        self.port = config.port
        self.draining = False
        self._server: Server | None = None
        # Handshakes that passed every check, by connection: a slot each. None while the
        # model loads; a refusal when it is delivered after the upgrade (config_errors).
        self._admitted: dict[Any, _Admitted | HandshakeRefusal | None] = {}
        self._live: dict[Any, _Live] = {}
        self._idle = asyncio.Event()

    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/v1/realtime"

    @property
    def session_count(self) -> int:
        return len(self._live)

    @property
    def reserved_count(self) -> int:
        """Slots held by handshakes that have not become sessions (yet)."""
        return len(self._admitted)

    @property
    def connection_tasks(self) -> int:
        """Connections the server is handling now: handshakes in progress and sessions."""
        return 0 if self._server is None else len(self._server.handler_tasks)

    def readiness(self) -> http.Readiness:
        return http.Readiness(
            loaded=self.default is not None,
            draining=self.draining,
            open_sessions=len(self._live) + len(self._admitted),
            max_sessions=self.config.max_sessions,
        )

    async def start(self) -> None:
        """Listen at once (/health answers, /ready says "loading"), then load the model."""
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            max_size=self.config.max_message_bytes * 4,
            compression=None,
            open_timeout=self.config.handshake_timeout_s,
            ping_interval=20,
            ping_timeout=20,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        try:
            self.default = await loop.run_in_executor(None, self.registry.get, self.config.model_id)
        except BaseException:
            self._server.close()
            await self._server.wait_closed()
            raise
        self.metrics.model_load.labels(self.default.model_id).set(self.default.load_seconds)
        self.scheduler.start()

    def begin_drain(self) -> None:
        """Stop taking sessions (/ready 503, new upgrades 503); open ones carry on."""
        self.draining = True
        self.metrics.draining.set(1)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no session is open, at most `timeout` seconds; True if none is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._live or self._admitted:
            self._idle.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), remaining)
        return True

    async def stop(self) -> None:
        """Give every open session its pending finals, then a fatal `failed` and a close."""
        if self._server is None:
            return
        self.begin_drain()
        self._server.close(close_connections=False)
        await asyncio.gather(*(self._shut(live) for live in list(self._live.values())))
        await self._server.wait_closed()
        await self.scheduler.stop()

    async def _shut(self, live: _Live) -> None:
        live.closing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.session.drain(), self.config.shutdown_grace_s)
        await self._fatal(
            live.connection,
            live.session,
            "the server is shutting down",
            "server_shutdown",
            "service_unavailable_error",
        )

    # --- handshake ---------------------------------------------------------------------

    def _select_subprotocol(
        self, connection: ServerConnection, offered: list[Subprotocol] | Any
    ) -> Subprotocol | None:
        names = [str(p) for p in offered]
        if "realtime" in names:
            return Subprotocol("realtime")
        plain = [p for p in names if not p.startswith(KEY_SUBPROTOCOL)]
        return Subprotocol(plain[0]) if plain else None

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        plain = http.answer(connection, request, self.readiness(), self.metrics)
        if plain is not None:
            return plain
        try:
            await self._admit(connection, request)
        except HandshakeRefusal as refusal:
            self.metrics.refused.labels(refusal.code).inc()
            log.info("refused a connection: %s %s", refusal.status.value, refusal.code)
            if refusal.status == HTTPStatus.BAD_REQUEST and self.config.config_errors == "session":
                self._reserve(connection, refusal)  # told after session.created, in _handle
                return None
            body = {"error": {"message": str(refusal), "type": refusal.kind, "code": refusal.code}}
            response = connection.respond(refusal.status, json.dumps(body) + "\n")
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            return response
        return None

    def _reserve(
        self, connection: ServerConnection, value: _Admitted | HandshakeRefusal | None
    ) -> None:
        """Hold a slot for this connection until it becomes a session or is lost."""
        cid = connection.id
        if cid not in self._admitted:
            connection.connection_lost_waiter.add_done_callback(lambda _: self._release(cid))
        self._admitted[cid] = value

    def _release(self, cid: Any) -> None:
        self._admitted.pop(cid, None)
        if not self._live and not self._admitted:
            self._idle.set()

    async def _admit(self, connection: ServerConnection, request: Request) -> None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        invalid = "invalid_request_error"
        if parts.path.rstrip("/") not in PATHS:
            raise HandshakeRefusal(HTTPStatus.NOT_FOUND, "not_found", "use /v1/realtime", invalid)
        if self.default is None or self.draining:
            why = "is still loading its model" if self.default is None else "is shutting down"
            raise HandshakeRefusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_shutdown" if self.draining else "model_loading",
                f"this engine {why}: try again shortly",
                "service_unavailable_error",
            )
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.config.allowed_origins:
            raise HandshakeRefusal(
                HTTPStatus.FORBIDDEN,
                "origin_not_allowed",
                f"origin {origin} is not allowed (start the engine with --allow-origin)",
                invalid,
            )
        if self.config.token is not None:
            key = offered_key(request, query)
            if not key:
                raise HandshakeRefusal(
                    HTTPStatus.UNAUTHORIZED, "missing_api_key", "no API key was sent", invalid
                )
            if not hmac.compare_digest(key.encode(), self.config.token.encode()):
                raise HandshakeRefusal(
                    HTTPStatus.UNAUTHORIZED, "invalid_api_key", "the API key is not valid", invalid
                )
        model_id = (query.get("model") or [""])[0]
        if not model_id:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST,
                "missing_model",
                "the 'model' query parameter is required",
                invalid,
            )
        audio_format = (query.get("input_audio_format") or [AUDIO_FORMAT])[0]
        if audio_format != AUDIO_FORMAT:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST,
                "unsupported_format",
                f"unsupported format {audio_format!r}: only {AUDIO_FORMAT} is accepted",
                invalid,
            )
        try:
            turn_detection = parse_vad(query)
        except ValueError as exc:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST, "invalid_value", str(exc), invalid
            ) from exc
        if len(self._live) + len(self._admitted) >= self.config.max_sessions:
            raise HandshakeRefusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too_many_sessions",
                f"this engine serves at most {self.config.max_sessions} sessions at once",
                "rate_limit_error",
            )
        self._reserve(connection, None)
        loop = asyncio.get_running_loop()
        try:
            recognizer = await loop.run_in_executor(None, self.registry.get, model_id)
        except ModelNotAvailableError as exc:
            self._release(connection.id)
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST, "model_not_available", str(exc), invalid
            ) from exc
        language = (query.get("language") or [""])[0] or None
        options = SessionOptions(
            language=language,
            turn_detection=turn_detection,
            partial_interval_ms=self.config.partial_interval_ms,
            max_buffered_s=self.config.max_buffered_s,
        )
        self._admitted[connection.id] = _Admitted(recognizer, options)

    # --- session -----------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        admitted = self._admitted.pop(connection.id, None)
        if isinstance(admitted, HandshakeRefusal):
            await self._refuse_in_session(connection, admitted)
            return
        if admitted is None:
            await connection.close(1011, "handshake state lost")
            return
        session = MeteredSession(
            self.metrics, admitted.recognizer, self.scheduler, connection.send, admitted.options
        )
        live = _Live(connection, session)
        self._live[connection.id] = live
        self.metrics.sessions.inc()
        log.info("session %s opened (%s)", session.id, admitted.recognizer.model_id)
        try:
            await session.emit(SessionCreated(session.id, admitted.recognizer.model_id))
            await self._serve(live)
        except ConnectionClosed:
            pass
        finally:
            session.close()
            self.scheduler.trim()  # what its decodes left free in the heaps goes back
            self._live.pop(connection.id, None)
            if not self._live and not self._admitted:
                self._idle.set()
            log.info("session %s closed", session.id)

    async def _refuse_in_session(
        self, connection: ServerConnection, refusal: HandshakeRefusal
    ) -> None:
        """A configuration error the way Together's SDK expects: created, then fatal failed."""
        query = parse_qs(urlsplit(connection.request.path if connection.request else "").query)
        model = (query.get("model") or [""])[0]
        try:
            await connection.send(encode_server_event(SessionCreated(new_id("sess"), model)))
            failed = TranscriptFailed(str(refusal), refusal.code, refusal.kind)
            await connection.send(encode_server_event(failed))
            await connection.close(1000, refusal.code)
        except ConnectionClosed:
            pass

    async def _serve(self, live: _Live) -> None:
        connection, session = live.connection, live.session
        loop = asyncio.get_running_loop()
        last_append = loop.time()
        limit = self.config.max_message_bytes
        while not live.closing:
            remaining = self.config.idle_timeout_s - (loop.time() - last_append)
            if remaining <= 0:
                await self._fatal(
                    connection,
                    session,
                    "no audio for too long: session closed",
                    "idle_timeout",
                    "request_timeout",
                )
                return
            try:
                frame = await asyncio.wait_for(connection.recv(), remaining)
            except TimeoutError:
                continue
            if live.closing:
                return
            if isinstance(frame, bytes):
                await self._fatal(
                    connection,
                    session,
                    "binary frames are not part of the protocol: send JSON text",
                    "invalid_frame",
                    "invalid_request_error",
                )
                return
            if len(frame) > limit:
                await self._fatal(
                    connection,
                    session,
                    f"message of {len(frame)} bytes is over the {limit} byte limit",
                    "message_too_large",
                    "invalid_request_error",
                )
                return
            try:
                message = decode_client_message(frame)
                if isinstance(message, AppendAudio):
                    last_append = loop.time()
                    self.metrics.audio_seconds.inc(len(message.audio) / (2 * SAMPLE_RATE))
                await session.handle(message)
            except ProtocolError as exc:
                await session.emit(
                    TranscriptFailed(str(exc), "invalid_request", event_type=exc.event_type)
                )
            except ValueError as exc:
                await session.emit(
                    TranscriptFailed(
                        str(exc), "invalid_value", event_type="transcription_session.updated"
                    )
                )
            except Exception as exc:  # a bug of ours: this frame fails, the session goes on
                log.exception("could not handle a frame")
                await session.emit(
                    TranscriptFailed(
                        f"the server could not handle this event: {exc}",
                        "server_error",
                        "server_error",
                        event_type="unknown",
                    )
                )

    async def _fatal(
        self, connection: ServerConnection, session: Session, message: str, code: str, kind: str
    ) -> None:
        try:
            await session.emit(TranscriptFailed(message, code, kind))
            await connection.close(1000, code)
        except ConnectionClosed:
            pass
