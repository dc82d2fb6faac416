"""Connections that never become sessions hold nothing (issue 11).

Plain HTTP, probes, refused, malformed and aborted upgrades, slow-loris partial request lines
and silent half-open sockets, hundreds of them on loopback: afterwards no slot is reserved,
no connection task is left, and the engine still serves as many sessions as it allows.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from tests.conftest import Engine, start_engine
from tests.served import http_get
from tests.speech import TEXTS, pcm, silence, wer
from tests.waiting import wait_until
from tests.wire import RawSession, upgrade_request

MAX_SESSIONS = 2
QUERY = "/v1/realtime?model=openai/whisper-tiny.en"


@pytest.fixture(scope="module")
def small() -> Iterator[Engine]:
    running = start_engine(max_sessions=MAX_SESSIONS, handshake_timeout_s=1.0)
    yield running
    running.embedded.stop()


def _request(port: int, head: str, *, abort: bool = False) -> bytes:
    """Send one raw HTTP request; the answer (up to the close), or its first bytes when the
    client aborts (a TCP reset) as soon as the server has begun to answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        if abort:
            first = sock.recv(12)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return first
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _real_sessions_work(engine: Engine, count: int) -> None:
    port = engine.embedded.server.port
    sessions = [RawSession(engine.url, engine.token) for _ in range(count)]
    # Every slot taken: a load balancer's check sees "full" and sends no one else here.
    status, body = http_get(port, "/ready")
    assert (status, body) == (503, f"not ready: full: {count} of {MAX_SESSIONS} sessions open\n")
    for s in sessions:
        s.stream(pcm("fox") + silence(0.3), pace=None)
    for s in sessions:
        _, text = s.commit_and_wait()
        assert wer(TEXTS["fox"], text) <= 0.35, text
        s.close()
    wait_until(lambda: http_get(port, "/ready")[0] == 200, 10, "/ready 200 again")


def test_hundreds_of_non_sessions_leave_no_slot_and_no_task(small: Engine) -> None:
    server = small.embedded.server
    port = server.port
    auth = f"Authorization: Bearer {small.token}"
    statuses: dict[str, set[int]] = {}

    def record(kind: str, answer: bytes) -> None:
        statuses.setdefault(kind, set()).add(_status(answer))

    for i in range(60):
        record("plain", _request(port, f"GET /?n={i} HTTP/1.1\r\nHost: x\r\n\r\n"))
        record("health", _request(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
        # A complete, authorized request that is not an upgrade: answered, never admitted.
        record("no-upgrade", _request(port, f"GET {QUERY} HTTP/1.1\r\nHost: x\r\n{auth}\r\n\r\n"))
        # Passes every check of ours, then fails websockets' own (no Sec-WebSocket-Key).
        record("malformed", _request(port, upgrade_request(port, QUERY, auth, key=False)))
        record("no-key", _request(port, upgrade_request(port, QUERY)))
        record("origin", _request(port, upgrade_request(port, QUERY, auth, "Origin: http://evil")))
        record("model", _request(port, upgrade_request(port, "/v1/realtime?model=x/none", auth)))
    assert statuses == {
        "plain": {426},
        "health": {200},
        "no-upgrade": {426},
        "malformed": {400},
        "no-key": {401},
        "origin": {403},
        "model": {400},
    }
    # Valid upgrades whose clients go away before reading the answer: sessions for a moment.
    for _ in range(60):
        assert _status(_request(port, upgrade_request(port, QUERY, auth), abort=True)) == 101
    wait_until(lambda: server.connection_tasks == 0, 10, "the aborted sessions end")
    assert server.session_count == server.reserved_count == 0

    # Slow-loris and half-open sockets, held open while real sessions use every slot.
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(30)]
    for sock in idle[:15]:
        sock.sendall(b"GET /v1/rea")
    try:
        _real_sessions_work(small, MAX_SESSIONS)
    finally:
        # The handshake timeout closes them on the server's side: recv sees the end.
        for sock in idle:
            sock.settimeout(10)
            assert sock.recv(100) == b""
            sock.close()

    wait_until(
        lambda: (
            server.reserved_count == 0
            and server.session_count == 0
            and server.connection_tasks == 0
        ),
        10,
        "no slot reserved, no session, no connection task",
    )
    _real_sessions_work(small, MAX_SESSIONS)
