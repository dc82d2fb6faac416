"""Plain HTTP on the engine's port: /health, /ready and /metrics, and a clear answer to
anything else that is not a WebSocket upgrade.

Load balancers, Prometheus, browsers and port scanners talk HTTP, not WebSocket. They are
answered here, inside websockets' `process_request`, before any session state exists, and
each answer closes its connection: a probe never holds a session slot, a task or memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from app.engine.metrics import CONTENT_TYPE, EngineMetrics

HEALTH, READY, METRICS = "/health", "/ready", "/metrics"


@dataclass(frozen=True)
class Readiness:
    """What /ready reports: why the engine would refuse a new session now, or None."""

    loaded: bool
    draining: bool
    open_sessions: int
    max_sessions: int

    @property
    def reason(self) -> str | None:
        if not self.loaded:
            return "loading the model"
        if self.draining:
            return "draining: the engine is stopping"
        if self.open_sessions >= self.max_sessions:
            return f"full: {self.open_sessions} of {self.max_sessions} sessions open"
        return None


def is_upgrade(request: Request) -> bool:
    """The request asks for a WebSocket (RFC 6455 section 4.1), as websockets will check."""
    upgrade = request.headers.get("Upgrade", "")
    connection = request.headers.get("Connection", "")
    return upgrade.strip().lower() == "websocket" and "upgrade" in connection.lower()


def _text(connection: ServerConnection, status: HTTPStatus, text: str) -> Response:
    response = connection.respond(status, text)
    response.headers["Cache-Control"] = "no-store"
    return response


def answer(
    connection: ServerConnection,
    request: Request,
    readiness: Readiness,
    metrics: EngineMetrics,
) -> Response | None:
    """The answer to a plain HTTP request, or None to go on with the WebSocket handshake."""
    path = urlsplit(request.path).path.rstrip("/") or "/"
    if path == HEALTH:
        metrics.http_requests.labels(HEALTH).inc()
        return _text(connection, HTTPStatus.OK, "ok\n")
    if path == READY:
        metrics.http_requests.labels(READY).inc()
        reason = readiness.reason
        if reason is None:
            return _text(connection, HTTPStatus.OK, "ready\n")
        return _text(connection, HTTPStatus.SERVICE_UNAVAILABLE, f"not ready: {reason}\n")
    if path == METRICS:
        metrics.http_requests.labels(METRICS).inc()
        response = connection.respond(HTTPStatus.OK, "")
        body = metrics.render()
        del response.headers["Content-Type"]
        del response.headers["Content-Length"]
        response.headers["Content-Type"] = CONTENT_TYPE
        response.headers["Content-Length"] = str(len(body))
        response.headers["Cache-Control"] = "no-store"
        return Response(response.status_code, response.reason_phrase, response.headers, body)
    if not is_upgrade(request):
        metrics.http_requests.labels("other").inc()
        response = _text(
            connection,
            HTTPStatus.UPGRADE_REQUIRED,
            "This is a Dictate engine: connect with a WebSocket to /v1/realtime "
            "(Together's realtime transcription protocol). /health, /ready and /metrics "
            "answer plain HTTP.\n",
        )
        response.headers["Upgrade"] = "websocket"
        return response
    return None
