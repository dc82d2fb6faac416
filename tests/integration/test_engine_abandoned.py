"""Upgrade requests whose clients vanish or go quiet give their session slots back (issue 20).

A client that sends a complete, valid upgrade request and then drops, resets or half-closes
its TCP connection, or never reads the answer, must not keep a session slot: four such
clients used to lock a `--max-sessions 4` engine until it was restarted: the handshake put
its reservation back after an await that the connection's loss had already cleaned up after.
Drops, resets and half-closes run on an in-process engine, where the client's threads share
the interpreter with the engine's worker thread and so make that await long enough to lose
the connection in, as a busy machine does (`test_engine_model_wait` makes it certain);
stalls run on a real `dictate serve` with a small `--max-sessions` and a short
`--handshake-timeout-s`. Raw sockets on loopback; afterwards `/ready` is 200, no slot is
held and a real session starts.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from tests.conftest import Engine, start_engine
from tests.served import Served, http_get, metrics
from tests.speech import TEXTS, pcm, silence, wer
from tests.waiting import wait_until
from tests.wire import RawSession, upgrade_request

KEY = "team-key-4e7a90"
MAX_SESSIONS = 2
QUERY = "/v1/realtime?model=openai/whisper-tiny.en"


def _abandon(port: int, how: str, key: str = KEY) -> socket.socket | None:
    """Send a complete upgrade request, then go away as `how` says. The socket of a client
    that stays (half-closed, stalled) is returned; it never reads."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(upgrade_request(port, QUERY, f"Authorization: Bearer {key}").encode())
    if how == "drop":
        sock.close()
        return None
    if how == "reset":  # SO_LINGER 0: close sends a TCP RST
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return None
    if how == "half-close":
        sock.shutdown(socket.SHUT_WR)
    return sock


def _no_slot_held(port: int) -> bool:
    samples = metrics(port)
    held = samples["dictate_slots_reserved"] + samples["dictate_sessions_open"]
    return held == 0 and http_get(port, "/ready")[0] == 200


def _closed_by_the_engine(sock: socket.socket) -> None:
    """Read what the engine sent until it closed the connection (EOF or reset)."""
    sock.settimeout(15)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass


def _a_real_session_works(url: str, key: str) -> None:
    s = RawSession(url, key)
    assert s.created is not None and s.created["type"] == "session.created"
    s.stream(pcm("fox") + silence(0.3), pace=None)
    _, text = s.commit_and_wait()
    assert wer(TEXTS["fox"], text) <= 0.35, text
    s.close()


@pytest.fixture(scope="module")
def patient() -> Iterator[Engine]:
    """A handshake timeout far longer than any wait below: a slot that comes back in time
    came back because the socket was gone, not because the timeout ran out."""
    running = start_engine(max_sessions=MAX_SESSIONS, handshake_timeout_s=120.0, token=KEY)
    yield running
    running.embedded.stop()


def _engine_holds_nothing(engine: Engine) -> bool:
    server = engine.embedded.server
    return (
        server.reserved_count == 0
        and server.session_count == 0
        and http_get(server.port, "/ready")[0] == 200
    )


@pytest.mark.parametrize("how", ["drop", "reset", "half-close"])
def test_a_client_gone_after_its_request_frees_its_slot_at_once(patient: Engine, how: str) -> None:
    port = patient.embedded.server.port
    stay = [_abandon(port, how) for _ in range(MAX_SESSIONS * 3)]
    try:
        wait_until(lambda: _engine_holds_nothing(patient), 30, f"every slot free after {how}")
        _a_real_session_works(patient.url, KEY)
    finally:
        for sock in stay:
            if sock is not None:
                sock.close()


def test_dropped_requests_with_a_wrong_key_hold_nothing(patient: Engine) -> None:
    server = patient.embedded.server
    for _ in range(MAX_SESSIONS * 3):
        _abandon(server.port, "drop", key="wrong-key-0b3c11")
    wait_until(lambda: server.connection_tasks == 0, 30, "every request answered")
    assert _engine_holds_nothing(patient)
    refused = metrics(server.port)['dictate_sessions_refused_total{reason="invalid_api_key"}']
    assert refused == MAX_SESSIONS * 3
    _a_real_session_works(patient.url, KEY)


def test_clients_that_never_read_are_dropped_by_the_handshake_timeout() -> None:
    served = Served(
        "--port", "0", "--token", KEY, "--max-sessions", str(MAX_SESSIONS),
        "--handshake-timeout-s", "1",
    )  # fmt: skip
    try:
        # A client that reads but says nothing: it answers the engine's ping, and keeps its
        # session past the handshake timeout.
        quiet = RawSession(served.url, KEY)
        stalled = [_abandon(served.port, "stall") for _ in range(MAX_SESSIONS * 2)]
        for sock in stalled:  # the one that got the last slot and those refused (429)
            assert sock is not None
            _closed_by_the_engine(sock)
            sock.close()
        assert metrics(served.port)['dictate_sessions_refused_total{reason="no_answer"}'] >= 1
        # The stalled ones connected later: their deadline passed after the quiet one's.
        quiet.stream(pcm("fox") + silence(0.3), pace=None)
        _, text = quiet.commit_and_wait()
        assert wer(TEXTS["fox"], text) <= 0.35, text
        quiet.close()
        wait_until(lambda: _no_slot_held(served.port), 30, "every slot free after stalls")
        _a_real_session_works(served.url, KEY)
    finally:
        served.close()
