"""The local engine's WebSocket server: Together's realtime protocol on our own machine.

Plain HTTP (/health, /ready, /metrics, probes) is answered by `engine.http` before anything
else; who may become a session, and when one has, is `engine.handshake`'s to decide, and the
session limit is counted in `engine.slots`. This module serves: it listens before the model
has loaded (the handshakes wait for it), turns each admitted connection into a session, reads
its frames in order, answers bad ones with a non-fatal `failed`, and ends the session on
binary or oversize frames, on the idle timeout and on shutdown. `EmbeddedEngine` runs the
same server on a thread of its own (`engine.embedded`), for the app and for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.engine import http
from app.engine.asr import ModelRegistry, Recognizer
from app.engine.config import ServerConfig, random_token
from app.engine.handshake import (
    Admitted,
    Handshake,
    HandshakeRefusal,
    TimedConnection,
    request_query,
    select_subprotocol,
)
from app.engine.items import new_id
from app.engine.metrics import EngineMetrics
from app.engine.scheduler import DecodeScheduler
from app.engine.session import Session
from app.engine.slots import Slots
from app.realtime.protocol import (
    SAMPLE_RATE,
    AppendAudio,
    AudioCommitted,
    ProtocolError,
    ServerEvent,
    SessionCreated,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
    decode_client_message,
    encode_server_event,
)

# The config's old home: code that imports it from here keeps working.
__all__ = ["EngineServer", "MeteredSession", "ServerConfig", "random_token"]

log = logging.getLogger(__name__)


@dataclass
class _Live:
    connection: ServerConnection
    session: Session
    closing: bool = field(default=False)
    heard: asyncio.Event = field(default_factory=asyncio.Event)  # a frame came from the client


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
            self._metrics.partial_lag.observe(self.partial_lag_s())


class EngineServer:
    """The asyncio server; `start` listens, then loads the default model."""

    def __init__(self, config: ServerConfig, registry: ModelRegistry | None = None) -> None:
        self.config = config
        self.registry = registry or ModelRegistry(config.device, config.decode_workers)
        self.metrics = EngineMetrics()
        self.slots: Slots[Admitted | HandshakeRefusal] = Slots(config.max_sessions)
        self.handshake = Handshake(config, self.registry, self.metrics, self.slots)
        self.metrics.track_open_sessions(lambda: len(self._live))
        self.metrics.track_reserved_slots(lambda: self.slots.reserved)
        self.metrics.track_connections(lambda: self.connection_tasks)
        self.scheduler = DecodeScheduler(config.decode_workers, self.metrics.observe_decode)
        self.port = config.port
        self._server: Server | None = None
        self._live: dict[Any, _Live] = {}

    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/v1/realtime"

    @property
    def default(self) -> Recognizer | None:
        """The default model's recognizer once loaded, else None."""
        return self.handshake.default

    @property
    def draining(self) -> bool:
        return self.handshake.draining

    @property
    def session_count(self) -> int:
        return len(self._live)

    @property
    def reserved_count(self) -> int:
        """Slots held by handshakes that have not become sessions (yet)."""
        return self.slots.reserved

    @property
    def connection_tasks(self) -> int:
        """Connections the server is handling now: handshakes in progress and sessions."""
        return 0 if self._server is None else len(self._server.handler_tasks)

    def readiness(self) -> http.Readiness:
        return self.handshake.readiness()

    async def start(self) -> None:
        """Listen at once (/health answers, /ready says "loading", handshakes wait), then
        load the model."""
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self.handshake.process_request,
            select_subprotocol=select_subprotocol,
            max_size=self.config.max_message_bytes * 4,
            compression=None,
            open_timeout=self.config.handshake_timeout_s,
            ping_interval=20,
            ping_timeout=20,
            create_connection=TimedConnection,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        try:
            default = await loop.run_in_executor(None, self.registry.get, self.config.model_id)
        except BaseException:
            self.handshake.settle(None)  # the waiting handshakes are told at once
            self._server.close()
            await self._server.wait_closed()
            raise
        self.metrics.model_load.labels(default.model_id).set(default.load_seconds)
        self.scheduler.start()
        self.handshake.settle(default)

    def begin_drain(self) -> None:
        """Stop taking sessions (/ready 503, new upgrades 503); open ones carry on."""
        self.handshake.draining = True
        self.metrics.draining.set(1)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no session is open nor slot held, at most `timeout` seconds; True if
        none is."""
        return await self.slots.wait_idle(timeout)

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

    # --- session -----------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        """The upgraded connection: its slot becomes a session's, and is given back when the
        session ends (or at once, when the connection is lost)."""
        slot = self.slots.take(connection)
        admitted = slot.admitted if slot is not None else None
        try:
            if admitted is None:  # gone already, or not admitted by us
                await connection.close(1011, "handshake state lost")
            elif isinstance(admitted, HandshakeRefusal):
                if slot is not None:  # never a session: not one of --max-sessions meanwhile
                    slot.release()
                await self._refuse_in_session(connection, admitted)
            else:
                await self._session(connection, admitted)
        finally:
            if slot is not None:
                slot.release()

    async def _session(self, connection: ServerConnection, admitted: Admitted) -> None:
        session = MeteredSession(
            self.metrics, admitted.recognizer, self.scheduler, connection.send, admitted.options
        )
        live = _Live(connection, session)
        self._live[connection.id] = live
        self.metrics.sessions.inc()
        log.info("session %s opened (%s)", session.id, admitted.recognizer.model_id)
        confirm: asyncio.Task[bool] | None = None
        try:
            await session.emit(SessionCreated(session.id, admitted.recognizer.model_id))
            confirm = asyncio.create_task(self.handshake.confirm(connection, live.heard))
            await self._serve(live)
        except ConnectionClosed:
            pass
        finally:
            if confirm is not None:
                confirm.cancel()
            session.close()
            self.scheduler.trim()  # what its decodes left free in the heaps goes back
            self._live.pop(connection.id, None)
            log.info("session %s closed", session.id)

    async def _refuse_in_session(
        self, connection: ServerConnection, refusal: HandshakeRefusal
    ) -> None:
        """A configuration error the way Together's SDK expects: created, then fatal failed."""
        model = (request_query(connection).get("model") or [""])[0]
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
            live.heard.set()
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
