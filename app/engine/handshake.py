"""The opening handshake: who becomes a session, and when a connection has become one.

PROTOCOL.md section 5 is enforced here, before a session exists: path, origin, key (header,
query or subprotocol), model, audio format, VAD parameters and the session limit, each
refused with the status and error code Together uses. A handshake that passes claims a slot
(`engine.slots`), tied to its TCP connection.

While the engine loads its model a valid handshake waits for it, for as long as the
handshake timeout allows, instead of being refused: a client that connects the moment the
port opens gets `session.created` a second later, not a 503 it has to retry. `/ready` still
answers 503 while loading, for load balancers, and checks that need no model (origin, key)
answer at once.

The handshake timeout bounds everything from the TCP connection on, and a handshake only ends
when the client has shown it is there after the upgrade: a first frame, or the pong to the
ping sent with `session.created`. A 101 answer is a few hundred bytes that the kernel
accepts for a client that never reads; without this a client that sent a valid request and
then stalled would hold a session slot until the keepalive gave up, 40 s later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from app.engine import http
from app.engine.asr import ModelRegistry, Recognizer
from app.engine.config import ServerConfig
from app.engine.items import SessionOptions
from app.engine.metrics import EngineMetrics
from app.engine.models import ModelNotAvailableError
from app.engine.slots import Slots
from app.realtime.protocol import AUDIO_FORMAT, TurnDetection

log = logging.getLogger(__name__)

PATHS = ("/v1/realtime", "/realtime")
KEY_SUBPROTOCOL = "openai-insecure-api-key."
INVALID = "invalid_request_error"
UNAVAILABLE = "service_unavailable_error"


class HandshakeRefusal(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.code, self.kind = status, code, kind


@dataclass
class Admitted:
    """What a handshake decided for its session."""

    recognizer: Recognizer
    options: SessionOptions


class TimedConnection(ServerConnection):
    """A connection that knows when it was accepted: the handshake timeout counts from
    there, and so does every wait the handshake does within it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_at = self.loop.time()


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


def select_subprotocol(
    connection: ServerConnection, offered: list[Subprotocol] | Any
) -> Subprotocol | None:
    names = [str(p) for p in offered]
    if "realtime" in names:
        return Subprotocol("realtime")
    plain = [p for p in names if not p.startswith(KEY_SUBPROTOCOL)]
    return Subprotocol(plain[0]) if plain else None


class Handshake:
    """Admission for one engine: websockets' `process_request`, the model the handshakes
    wait for (`settle`), the drain flag, and the check that an upgraded client is there."""

    def __init__(
        self,
        config: ServerConfig,
        registry: ModelRegistry,
        metrics: EngineMetrics,
        slots: Slots[Admitted | HandshakeRefusal],
    ) -> None:
        self.config = config
        self.registry = registry
        self.metrics = metrics
        self.slots = slots
        self.default: Recognizer | None = None
        self.draining = False
        self._settled = asyncio.Event()  # the first load is over, loaded or not
        self.waiting = 0  # handshakes waiting for it now

    @property
    def margin_s(self) -> float:
        """Time kept back from the handshake timeout for what comes after a wait: the 503
        that says the model is still loading, or the client's pong after the upgrade."""
        return min(1.0, self.config.handshake_timeout_s / 4)

    def settle(self, default: Recognizer | None) -> None:
        """The first load is over: waiting handshakes go on (None: it failed)."""
        self.default = default
        self._settled.set()

    def readiness(self) -> http.Readiness:
        return http.Readiness(
            loaded=self.default is not None,
            draining=self.draining,
            open_sessions=self.slots.held,
            max_sessions=self.config.max_sessions,
        )

    async def process_request(
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
                self.slots.claim(connection, refusal)  # told after session.created
                return None
            body = {"error": {"message": str(refusal), "type": refusal.kind, "code": refusal.code}}
            response = connection.respond(refusal.status, json.dumps(body) + "\n")
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            return response
        return None

    def _deadline(self, connection: ServerConnection) -> float:
        opened = getattr(connection, "opened_at", connection.loop.time())
        return float(opened) + self.config.handshake_timeout_s

    async def _unless_gone(
        self, connection: ServerConnection, job: asyncio.Future[Any], timeout: float | None = None
    ) -> None:
        """Wait for `job` (at most `timeout`), but not for a client that has left: websockets
        goes on with `process_request` after the connection is lost, and a handshake that
        nobody will hear should not hold a task until the load ends or the timeout runs out."""
        lost = connection.connection_lost_waiter
        await asyncio.wait({job, lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if not job.done() and lost.done():
            raise HandshakeRefusal(
                HTTPStatus.SERVICE_UNAVAILABLE,  # (never sent: there is nobody to send it to)
                "client_gone",
                "the client left during the handshake",
                INVALID,
            )

    async def _wait_for_model(self, connection: ServerConnection) -> None:
        """Wait for the first load, leaving time to say so if it is not over by then."""
        loop = asyncio.get_running_loop()
        remaining = self._deadline(connection) - self.margin_s - loop.time()
        if remaining > 0 and not self._settled.is_set():
            settled = asyncio.ensure_future(self._settled.wait())
            self.waiting += 1
            try:
                await self._unless_gone(connection, settled, remaining)
            finally:
                self.waiting -= 1
                settled.cancel()
        if self.default is None:
            loading = not self._settled.is_set()
            raise HandshakeRefusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "model_loading" if loading else "model_load_failed",
                "this engine is still loading its model: try again shortly"
                if loading
                else "this engine could not load its model",
                UNAVAILABLE,
            )

    def _refuse_if_draining(self) -> None:
        if self.draining:
            raise HandshakeRefusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_shutdown",
                "this engine is shutting down: try again shortly",
                UNAVAILABLE,
            )

    def _check_caller(self, request: Request, query: dict[str, list[str]]) -> None:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.config.allowed_origins:
            raise HandshakeRefusal(
                HTTPStatus.FORBIDDEN,
                "origin_not_allowed",
                f"origin {origin} is not allowed (start the engine with --allow-origin)",
                INVALID,
            )
        if self.config.token is not None:
            key = offered_key(request, query)
            if not key:
                raise HandshakeRefusal(
                    HTTPStatus.UNAUTHORIZED, "missing_api_key", "no API key was sent", INVALID
                )
            if not hmac.compare_digest(key.encode(), self.config.token.encode()):
                raise HandshakeRefusal(
                    HTTPStatus.UNAUTHORIZED, "invalid_api_key", "the API key is not valid", INVALID
                )

    async def _admit(self, connection: ServerConnection, request: Request) -> None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        if parts.path.rstrip("/") not in PATHS:
            raise HandshakeRefusal(HTTPStatus.NOT_FOUND, "not_found", "use /v1/realtime", INVALID)
        self._refuse_if_draining()
        self._check_caller(request, query)
        model_id = (query.get("model") or [""])[0]
        if not model_id:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST,
                "missing_model",
                "the 'model' query parameter is required",
                INVALID,
            )
        audio_format = (query.get("input_audio_format") or [AUDIO_FORMAT])[0]
        if audio_format != AUDIO_FORMAT:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST,
                "unsupported_format",
                f"unsupported format {audio_format!r}: only {AUDIO_FORMAT} is accepted",
                INVALID,
            )
        try:
            turn_detection = parse_vad(query)
        except ValueError as exc:
            raise HandshakeRefusal(
                HTTPStatus.BAD_REQUEST, "invalid_value", str(exc), INVALID
            ) from exc
        await self._wait_for_model(connection)
        self._refuse_if_draining()  # (it may have begun during the wait)
        if self.slots.full:
            raise HandshakeRefusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too_many_sessions",
                f"this engine serves at most {self.config.max_sessions} sessions at once",
                "rate_limit_error",
            )
        slot = self.slots.claim(connection)  # no await since `full`: nobody took it meanwhile
        recognizer = self.registry.loaded(model_id)
        if recognizer is None:  # another model: loaded on a worker thread, the slot held
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(None, self.registry.get, model_id)
            job.add_done_callback(lambda f: f.cancelled() or f.exception())  # read, if left
            try:
                await self._unless_gone(connection, job)
                recognizer = job.result()
            except ModelNotAvailableError as exc:
                raise HandshakeRefusal(
                    HTTPStatus.BAD_REQUEST, "model_not_available", str(exc), INVALID
                ) from exc
            finally:
                if recognizer is None:
                    slot.release()
        language = (query.get("language") or [""])[0] or None
        options = SessionOptions(
            language=language,
            turn_detection=turn_detection,
            partial_interval_ms=self.config.partial_interval_ms,
            max_buffered_s=self.config.max_buffered_s,
        )
        slot.admitted = Admitted(recognizer, options)  # a no-op if the client left meanwhile

    async def confirm(self, connection: ServerConnection, heard: asyncio.Event) -> bool:
        """After the upgrade: wait until the client shows it is there, until the handshake
        timeout; else drop the connection, which frees its slot. Most clients send at once
        (audio, `session.update`): a frame (`heard`) is enough and costs nothing. One that is
        still quiet halfway gets a ping, and its pong will do. True if it answered (or is
        gone anyway)."""
        loop = asyncio.get_running_loop()
        deadline = max(self._deadline(connection), loop.time() + self.margin_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(heard.wait(), (deadline - loop.time()) / 2)
        if heard.is_set():
            return True
        try:
            pong = asyncio.ensure_future(await connection.ping())
        except ConnectionClosed:
            return True
        spoke = asyncio.ensure_future(heard.wait())
        try:
            done, _ = await asyncio.wait(
                {pong, spoke},
                timeout=max(0.0, deadline - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            spoke.cancel()
        if done:
            return True
        self.metrics.refused.labels("no_answer").inc()
        log.info("dropped a connection that did not answer after its upgrade")
        connection.transport.abort()
        return False


def request_query(connection: ServerConnection) -> dict[str, list[str]]:
    """The query of the request that opened `connection`."""
    return parse_qs(urlsplit(connection.request.path if connection.request else "").query)
