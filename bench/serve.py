"""`dictate serve` as a team's service: capacity on one engine and behind HAProxy with two,
handshakes per second, drain time, failover gap. Prints tables (not a test).

Every process runs on this machine: the engines, HAProxy and the clients share its cores, so
the two-engine figures show the balancer working, not a second machine's capacity.
"""

from __future__ import annotations

import os
import threading
import time

import websocket

from app.realtime.events import TextChanged
from bench.common import TOKEN, table
from bench.engine import concurrent
from tests.balanced import Balancer
from tests.integration.test_client import Recorder, config, dictate, dictation_audio
from tests.served import Served, http_get, metrics
from tests.speech import pcm, silence
from tests.waiting import wait_until
from tests.wire import RawSession

LEVELS_ONE = (1, 2, 3, 4, 6)
LEVELS_TWO = (2, 4, 6, 8)


def engine(*extra: str) -> Served:
    return Served("--port", "0", "--token", TOKEN, "--max-sessions", "16", *extra)


def capacity(url: str, levels: tuple[int, ...]) -> tuple[int, dict[int, float]]:
    """The most sessions at real time whose p95 commit -> completed stays <= 1 s."""
    seen: dict[int, float] = {}
    best = 0
    for n in levels:
        seen[n] = concurrent(url, n)
        if seen[n] > 1.0:
            break
        best = n
    return best, seen


def handshakes_per_second(url: str, total: int = 200, threads: int = 4) -> float:
    """Upgrades that reach `session.created`, then close, from `threads` clients at once."""
    per = total // threads

    def run() -> None:
        for _ in range(per):
            ws = websocket.create_connection(
                f"{url}?model=openai/whisper-tiny.en",
                header=[f"Authorization: Bearer {TOKEN}"],
                suppress_origin=True,
                timeout=10,
            )
            assert "session.created" in ws.recv()
            ws.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per * threads / (time.perf_counter() - started)


def drain_seconds(with_session: bool) -> float:
    """SIGTERM -> exit 0; with a session that commits its last words right after SIGTERM."""
    served = engine()
    try:
        session = None
        if with_session:
            session = RawSession(served.url, TOKEN)
            session.stream(silence(0.3) + pcm("weather"), pace=1.0)
        at = time.perf_counter()
        served.terminate()
        if session is not None:  # (without one the engine may be gone before /ready is read)
            wait_until(lambda: http_get(served.port, "/ready")[0] == 503, 10, "draining")
            session.commit_and_wait(30)
            session.close()
        assert served.wait(60) == 0
        return time.perf_counter() - at
    finally:
        served.close()


def failover_gap(engines: list[Served], balancer: Balancer) -> tuple[float, int]:
    """Seconds from killing a dictation's engine to its live text flowing again."""
    gap: list[float] = []

    def kill_while_speaking(recorder: Recorder) -> None:
        recorder.wait_for(lambda e: isinstance(e, TextChanged) and bool(e.live))
        victim = next(e for e in engines if metrics(e.port)["dictate_sessions_open"] >= 1)
        seen = len(recorder.events)
        victim.kill()
        at = time.monotonic()
        recorder.wait_for(
            lambda e: (
                isinstance(e, TextChanged) and bool(e.live) and recorder.events.index(e) >= seen
            )
        )
        gap.append(time.monotonic() - at)

    result, _ = dictate(
        config(balancer.url, TOKEN), dictation_audio(), realtime=True, during=kill_while_speaking
    )
    assert result.error is None, result.error
    return gap[0], result.reconnects


def p95_rows(label: str, seen: dict[int, float]) -> list[tuple[str, str, str, str]]:
    """One row per load level: its p95 commit -> completed against the 1 s target."""
    return [
        (label.format(n=n), f"{p95:.2f} s", "<= 1 s", "yes" if p95 <= 1 else "no")
        for n, p95 in seen.items()
    ]


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []
    one = engine()
    try:
        best_one, seen_one = capacity(one.url, LEVELS_ONE)
        hps = handshakes_per_second(one.url)
    finally:
        one.close()
    rows += p95_rows("one engine, {n} at real time: p95 commit->completed", seen_one)
    rows.append(
        (
            "one engine: sessions at real time, p95 <= 1 s",
            str(best_one),
            ">= 1",
            "yes" if best_one >= 1 else "no",
        )
    )
    rows.append(("handshakes per second (4 clients, one engine)", f"{hps:.0f}", "-", "-"))

    two = [engine("--workers", "1"), engine("--workers", "1")]  # the same 2 cores, split
    balancer = None
    try:
        balancer = Balancer(two)
        best_two, seen_two = capacity(balancer.url, LEVELS_TWO)
        hps_lb = handshakes_per_second(balancer.url)
        spread = [metrics(e.port)["dictate_sessions_total"] for e in two]
        gap, reconnects = failover_gap(two, balancer)
    finally:
        if balancer is not None:
            balancer.close()
        for e in two:
            e.close()
    rows += p95_rows("HAProxy + 2 engines (1 worker each), {n} at real time: p95", seen_two)
    rows.append(
        (
            "HAProxy + 2 engines: sessions at real time, p95 <= 1 s",
            str(best_two),
            "(same cores)",
            "-",
        )
    )
    rows.append(
        (
            "sessions per engine behind HAProxy (leastconn)",
            " / ".join(f"{s:.0f}" for s in spread),
            "even",
            "-",
        )
    )
    rows.append(("handshakes per second through HAProxy", f"{hps_lb:.0f}", "-", "-"))
    rows.append(
        (
            "failover gap: kill -> live text again",
            f"{gap:.2f} s",
            "< 5 s",
            "yes" if gap < 5 else "no",
        )
    )
    rows.append(
        (
            "reconnects in that dictation",
            str(reconnects),
            ">= 1",
            "yes" if reconnects >= 1 else "no",
        )
    )
    idle = drain_seconds(False)
    busy = drain_seconds(True)
    rows.append(
        (
            "drain: SIGTERM -> exit 0, no session",
            f"{idle:.2f} s",
            "< 5 s",
            "yes" if idle < 5 else "no",
        )
    )
    rows.append(
        (
            "drain: SIGTERM -> exit 0, a session finishing",
            f"{busy:.2f} s",
            "< 30 s",
            "yes" if busy < 30 else "no",
        )
    )
    print(
        table(f"dictate serve for a team (tiny.en int8, CPU, {os.cpu_count()} cores, shared)", rows)
    )


if __name__ == "__main__":
    main()
