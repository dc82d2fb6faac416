"""Upgrade requests whose clients vanish or go quiet (issue 20): the session slots they leave
held. Prints a table (not a test).

100 clients of each kind send a complete upgrade request, then drop the connection (with the
right key and with a wrong one), reset it (SO_LINGER 0), half-close it, or stall without ever
reading. Against the app's in-process engine and a `dictate serve` subprocess, both with
--max-sessions 4 and a 2 s handshake timeout: the slots still held once the engine handles
none of their connections any more, how long that took, and whether a real client then
gets `session.created`. `BENCH_ENGINES=in-process` measures only the first (it also runs on
the code from before the fix, whose metrics do not count reserved slots).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable

from app.engine.embedded import EmbeddedEngine
from app.engine.server import ServerConfig  # (its old home: this bench also runs on older code)
from bench.common import TOKEN, table
from tests.served import Served, http_get, metrics
from tests.wire import RawSession, upgrade_request

COUNT = 100
MAX_SESSIONS = 4
TIMEOUT_S = 2.0
QUERY = "/v1/realtime?model=openai/whisper-tiny.en"
KINDS = ("drop", "drop, wrong key", "reset", "half-close", "stall")


def abandon(port: int, kind: str) -> socket.socket | None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = "wrong-key" if kind == "drop, wrong key" else TOKEN
    sock.sendall(upgrade_request(port, QUERY, f"Authorization: Bearer {key}").encode())
    if kind == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if kind == "half-close":
        sock.shutdown(socket.SHUT_WR)
        return sock
    if kind == "stall":
        return sock
    sock.close()
    return None


Count = Callable[[], int]


def measure(port: int, url: str, held: Count, busy: Count, kind: str) -> tuple[int, float, bool]:
    """(slots held once every connection is over, seconds until then, a real session after)."""
    stay = [abandon(port, kind) for _ in range(COUNT)]
    started = time.monotonic()
    # Accepted after all of them (the listen queue is first in, first out): from now on the
    # engine counts every one of them that it still handles.
    assert http_get(port, "/health")[0] == 200
    deadline = started + TIMEOUT_S + 10
    while busy() and time.monotonic() < deadline:
        time.sleep(0.02)  # polling against a deadline
    settled = time.monotonic() - started
    left = held()
    for sock in stay:
        if sock is not None:
            sock.close()
    try:
        session = RawSession(url, TOKEN)
        works = session.created is not None and session.created["type"] == "session.created"
        session.close()
    except Exception:
        works = False
    return left, settled, works


def rows_for(name: str, port: int, url: str, held: Count, busy: Count) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for kind in KINDS:
        left, settled, works = measure(port, url, held, busy, kind)
        rows.append(
            (
                f"{name}: slots held after {COUNT} upgrades, {kind}",
                f"{left} (settled in {settled:.2f} s; then a session: {'yes' if works else 'NO'})",
                "0",
                "yes" if left == 0 and works else "no",
            )
        )
        deadline = time.monotonic() + 15  # the next kind starts on an idle engine
        while busy() and time.monotonic() < deadline:
            time.sleep(0.02)
    return rows


def main() -> None:
    rows: list[tuple[str, ...]] = []
    config = ServerConfig(
        port=0, token=TOKEN, max_sessions=MAX_SESSIONS, handshake_timeout_s=TIMEOUT_S
    )
    embedded = EmbeddedEngine(config)
    embedded.start()
    url, _ = embedded.wait_ready(120)
    server = embedded.server
    try:
        rows += rows_for(
            "in-process",
            server.port,
            url,
            lambda: server.reserved_count + server.session_count,
            lambda: server.connection_tasks,
        )
    finally:
        embedded.stop()

    if os.environ.get("BENCH_ENGINES") == "in-process":
        print(table(title(), rows))  # type: ignore[arg-type]
        return
    served = Served(
        "--port", "0", "--token", TOKEN, "--max-sessions", str(MAX_SESSIONS),
        "--handshake-timeout-s", str(TIMEOUT_S),
    )  # fmt: skip

    def held() -> int:
        samples = metrics(served.port)
        return int(samples["dictate_sessions_open"] + samples["dictate_slots_reserved"])

    def busy() -> int:
        return int(metrics(served.port)["dictate_connections_open"]) - 1  # (not this one)

    try:
        rows += rows_for("dictate serve", served.port, served.url, held, busy)
    finally:
        served.close()
    print(table(title(), rows))  # type: ignore[arg-type]


def title() -> str:
    return (
        f"abandoned upgrades (--max-sessions {MAX_SESSIONS}, handshake timeout {TIMEOUT_S} s, "
        f"{os.cpu_count()} cores, shared)"
    )


if __name__ == "__main__":
    main()
