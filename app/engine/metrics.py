"""The engine's Prometheus metrics, all in one place.

Each `EngineServer` owns its own `CollectorRegistry` (not prometheus_client's global one), so
several engines in one process (the app's embedded engine, a test suite's engines) never
clash over metric names and each `/metrics` answers for its own engine only. The server and
its session subclass call the small `observe_*` methods; nothing else touches the collectors.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds: decodes of tiny.en on a CPU take 0.05-2 s; a commit's answer should stay under 1 s.
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class EngineMetrics:
    """Collectors for one engine; `render` gives the text exposition format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.sessions_open = Gauge(
            "dictate_sessions_open", "WebSocket sessions open now", registry=r
        )
        self.connections_open = Gauge(
            "dictate_connections_open",
            "connections being handled: handshakes, sessions, this /metrics request",
            registry=r,
        )
        self.slots_reserved = Gauge(
            "dictate_slots_reserved",
            "session slots held by handshakes that are not sessions (yet)",
            registry=r,
        )
        self.sessions = Counter("dictate_sessions", "sessions opened (upgraded)", registry=r)
        self.refused = Counter(
            "dictate_sessions_refused",
            "handshakes refused, by error code (no_answer: silent after its upgrade)",
            ["reason"],
            registry=r,
        )
        self.http_requests = Counter(
            "dictate_http_requests",
            "plain HTTP requests answered without a WebSocket, by path",
            ["path"],
            registry=r,
        )
        self.audio_seconds = Counter(
            "dictate_audio_seconds", "seconds of audio received from clients", registry=r
        )
        self.decode_seconds = Histogram(
            "dictate_decode_seconds",
            "time a decode ran on a worker, by kind",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "dictate_decode_queue_wait_seconds",
            "time a decode waited for a free worker, by kind",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.commit_latency = Histogram(
            "dictate_commit_to_completed_seconds",
            "from a client's commit to the `completed` that answers it",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.partial_lag = Histogram(
            "dictate_partial_lag_seconds",
            "audio received but not yet covered by a delta, when the delta is sent",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_load = Gauge(
            "dictate_model_load_seconds", "time to load a model", ["model"], registry=r
        )
        self.draining = Gauge(
            "dictate_draining", "1 while the engine drains before stopping", registry=r
        )

    def track_open_sessions(self, count: Callable[[], int]) -> None:
        self.sessions_open.set_function(lambda: float(count()))

    def track_reserved_slots(self, count: Callable[[], int]) -> None:
        self.slots_reserved.set_function(lambda: float(count()))

    def track_connections(self, count: Callable[[], int]) -> None:
        self.connections_open.set_function(lambda: float(count()))

    def observe_decode(self, kind: str, waited_s: float, ran_s: float) -> None:
        self.queue_wait.labels(kind).observe(waited_s)
        self.decode_seconds.labels(kind).observe(ran_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)
