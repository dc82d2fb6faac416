"""Handshakes that wait for a model: the first load of the default one, or another model a
client asks for (issue 20).

A client that connects the moment the port opens waits for the model and gets
`session.created`, while `/ready` keeps telling load balancers "loading"; a load that
outlasts the handshake timeout is a 503 that says so. A client that goes away while its
handshake waits gives its slot back at once, also when the load ends after it left: the
code after the wait can no longer put a reservation back for a connection that is gone.

The engine runs in-process with the real registry and the real tiny.en model; only the
start of a load is held back until the test lets it go (`GatedRegistry`), so the test can
act while a load is under way however fast this machine loads.
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from app.engine.asr import ModelRegistry, Recognizer
from app.engine.config import ServerConfig
from app.engine.embedded import EmbeddedEngine
from app.engine.models import DEFAULT_MODEL_ID, resolve
from tests.served import http_get
from tests.speech import TEXTS, pcm, silence, wer
from tests.waiting import wait_until
from tests.wire import RawSession, handshake_error, upgrade_request

MODEL = "model=openai/whisper-tiny.en"


class GatedRegistry(ModelRegistry):
    """The real registry; a load of a gated id starts only once its gate is open."""

    def __init__(self, *gated: str) -> None:
        super().__init__("auto", 2)
        self.gates = {model_id: threading.Event() for model_id in gated}
        self.asked: set[str] = set()

    def get(self, model_id: str) -> Recognizer:
        gate = self.gates.get(model_id)
        if gate is not None:
            self.asked.add(model_id)
            assert gate.wait(60), "the test never opened the gate"
        return super().get(model_id)

    def open_all(self) -> None:
        for gate in self.gates.values():
            gate.set()


def _embedded(registry: GatedRegistry, **overrides: Any) -> EmbeddedEngine:
    engine = EmbeddedEngine(ServerConfig(port=0, max_sessions=2, **overrides), registry)
    engine.start()
    return engine


def _no_slot_held(engine: EmbeddedEngine) -> bool:
    server = engine.server
    return (
        server.reserved_count == 0
        and server.session_count == 0
        and http_get(server.port, "/ready")[0] == 200
    )


def _transcribes(engine: EmbeddedEngine, session: RawSession) -> None:
    assert session.created is not None and session.created["type"] == "session.created"
    session.stream(pcm("fox") + silence(0.3), pace=None)
    _, text = session.commit_and_wait()
    assert wer(TEXTS["fox"], text) <= 0.35, text
    session.close()
    wait_until(lambda: _no_slot_held(engine), 30, "the slot given back")


def test_a_client_connecting_during_the_load_waits_and_gets_its_session() -> None:
    registry = GatedRegistry(DEFAULT_MODEL_ID)
    engine = _embedded(registry, handshake_timeout_s=60)
    try:
        wait_until(lambda: DEFAULT_MODEL_ID in registry.asked, 30, "the load began")
        port = engine.server.port
        assert http_get(port, "/health") == (200, "ok\n")
        assert http_get(port, "/ready") == (503, "not ready: loading the model\n")
        token = engine.config.token
        assert token is not None
        got: dict[str, Any] = {}

        def connect() -> None:
            try:
                got["session"] = RawSession(engine.server.url, token)
            except Exception as exc:
                got["error"] = exc

        client = threading.Thread(target=connect, daemon=True)
        client.start()
        # One that gives up while it waits: it held no slot, and leaves none behind.
        gone = socket.create_connection(("127.0.0.1", port), timeout=10)
        gone.sendall(
            upgrade_request(
                port, f"/v1/realtime?{MODEL}", f"Authorization: Bearer {token}"
            ).encode()
        )
        wait_until(lambda: engine.server.handshake.waiting == 2, 30, "both handshakes wait")
        gone.close()
        wait_until(lambda: engine.server.handshake.waiting == 1, 30, "the one that left stops")
        # Still loading: a load balancer's check keeps sending clients elsewhere.
        assert http_get(port, "/ready") == (503, "not ready: loading the model\n")
        assert engine.server.reserved_count == 0
        registry.open_all()
        client.join(60)
        assert "error" not in got, got
        _transcribes(engine, got["session"])
    finally:
        registry.open_all()
        engine.stop()


def test_a_load_longer_than_the_handshake_timeout_is_a_503_that_says_so() -> None:
    registry = GatedRegistry(DEFAULT_MODEL_ID)
    engine = _embedded(registry, handshake_timeout_s=1.5)
    try:
        wait_until(lambda: DEFAULT_MODEL_ID in registry.asked, 30, "the load began")
        auth = [f"Authorization: Bearer {engine.config.token}"]
        status, body = handshake_error(engine.server.url, MODEL, auth)
        assert (status, body["error"]["code"]) == (503, "model_loading")
        assert "still loading its model" in body["error"]["message"]
        # Checks that need no model are not held up by the load.
        status, body = handshake_error(engine.server.url, MODEL, ["Authorization: Bearer no"])
        assert (status, body["error"]["code"]) == (401, "invalid_api_key")
        registry.open_all()
        url, token = engine.wait_ready(60)
        _transcribes(engine, RawSession(url, token))
    finally:
        registry.open_all()
        engine.stop()


@pytest.fixture(scope="module")
def tiny_dir() -> Path:
    return Path(resolve(DEFAULT_MODEL_ID).path)


@pytest.mark.parametrize("how", ["drop", "reset", "half-close"])
def test_a_client_gone_while_its_model_loads_leaves_no_slot(
    tmp_path: Path, tiny_dir: Path, how: str
) -> None:
    # A model directory of its own (tiny.en under another path): loaded for this client.
    other = tmp_path / "whisper-other"
    other.symlink_to(tiny_dir, target_is_directory=True)
    registry = GatedRegistry(str(other))
    engine = _embedded(registry, handshake_timeout_s=60)
    try:
        url, token = engine.wait_ready(60)
        server = engine.server
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        path = f"/v1/realtime?model={quote(str(other))}"
        sock.sendall(upgrade_request(server.port, path, f"Authorization: Bearer {token}").encode())
        wait_until(lambda: str(other) in registry.asked, 30, "its model is loading")
        assert server.reserved_count == 1  # admitted: its slot is held during the load
        if how == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if how == "half-close":
            sock.shutdown(socket.SHUT_WR)
        else:
            sock.close()
        wait_until(lambda: server.reserved_count == 0, 30, "the slot given back at once")
        registry.open_all()  # the load ends after the client left
        wait_until(lambda: server.connection_tasks == 0, 30, "the handshake is over")
        assert _no_slot_held(engine)
        sock.close()
        for _ in range(2):  # every slot is there to take
            _transcribes(engine, RawSession(url, token))
    finally:
        registry.open_all()
        engine.stop()
