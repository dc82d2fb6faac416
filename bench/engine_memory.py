"""Engine capacity and memory (issue 10): sessions in real time, RSS after long and many.

Run: `.venv/bin/python -m bench.engine_memory [--quick]`. Each part starts its own
`dictate serve` (tiny.en, int8, CPU) and drives it over loopback with the pause-free speech
of `tests.continuous`:

- capacity: N sessions at once, each streaming in real time two pieces of 15 s of continuous
  speech, each released 150 ms after its last word with a commit. A load passes when the
  p95 of commit -> completed over every commit is at most 1 s and every session received
  deltas all along (at least one per 3 s of speech). The row is the largest N that passes
  (4, 6, 8, 10 tried in turn until one fails). The RSS after 6 sessions comes from that run:
  right after it, and once the engine has been idle for a few seconds (it trims then).
- 30 min of dictation: 30 sessions one after the other, each 64 s of speech (the passages
  twice) with a commit at the end, sent at 10x real time (so the run takes about 4 min;
  partials still come, their interval counted in audio time being ten times longer): RSS
  every 5 sessions, and at the end after idle.

`DICTATE_DECODE_BATCHING=1` in the environment batches queued decodes, to compare.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from bench.common import TOKEN, pct, rss_mb, served, table
from tests.continuous import continuous
from tests.speech import silence
from tests.wire import COMPLETED, DELTA, RawSession

PIECE_S = 15.0
IDLE_S = 4.0  # the engine trims after 2 s without a decode


def session_run(url: str, pieces: list[bytes], pace: float) -> tuple[list[float], list[int]]:
    """Stream each piece then commit; (commit -> completed per piece, deltas per piece)."""
    s = RawSession(url, TOKEN)
    latencies: list[float] = []
    deltas: list[int] = []
    try:
        for piece in pieces:
            mark = len(s.stamped)
            s.stream(piece + silence(0.15), pace=pace)
            committed = time.monotonic()
            s.commit_and_wait(120)
            done = [t for t, e in s.stamped[mark:] if e["type"] == COMPLETED]
            latencies.append(done[-1] - committed if done else float("nan"))
            deltas.append(sum(1 for _, e in s.stamped[mark:] if e["type"] == DELTA))
    finally:
        s.close()
    return latencies, deltas


def concurrent(url: str, n: int, pieces: list[bytes]) -> tuple[list[float], list[list[int]]]:
    results: list[tuple[list[float], list[int]]] = [([], [])] * n

    def run(i: int) -> None:
        results[i] = session_run(url, pieces, 1.0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.25)  # sessions start a little apart, as people do
    for t in threads:
        t.join()
    latencies = [x for lat, _ in results for x in lat]
    return latencies, [d for _, d in results]


def capacity(quick: bool) -> tuple[list[tuple[str, str, str, str]], int]:
    audio, _ = continuous()
    size = int(PIECE_S * 16000) * 2
    pieces = [audio[:size], audio[size : 2 * size]]
    rows: list[tuple[str, str, str, str]] = []
    best = 0
    with served(0, "--max-sessions", "12") as (url, proc):
        time.sleep(1.0)
        for n in (6,) if quick else (6, 8, 10, 4):
            if n == 4 and best >= 6:
                break
            latencies, deltas = concurrent(url, n, pieces)
            p95 = pct(latencies, 95)
            flowing = all(min(d) >= PIECE_S / 3 for d in deltas)
            ok = p95 <= 1.0 and flowing
            rows.append(
                (
                    f"{n} real-time sessions: commit -> completed p95, deltas flowing",
                    f"{p95 * 1000:.0f} ms, {'yes' if flowing else 'no'} "
                    f"(fewest deltas per piece {min(min(d) for d in deltas)})",
                    "<= 1000 ms, yes",
                    str(ok),
                )
            )
            if n == 6:
                after = rss_mb(proc.pid)
                time.sleep(IDLE_S)
                idle = rss_mb(proc.pid)
                rows.append(
                    (
                        "engine RSS after 6 concurrent sessions (then idle)",
                        f"{after:.0f} MB ({idle:.0f} MB)",
                        "<= 350 MB",
                        str(after <= 350),
                    )
                )
            if ok:
                best = max(best, n)
            else:
                break
    return rows, best


def long_dictation(quick: bool) -> list[tuple[str, str, str, str]]:
    audio, _ = continuous()
    piece = audio + silence(0.3) + audio
    sessions = 3 if quick else 30
    samples: list[str] = []
    with served(0) as (url, proc):
        time.sleep(1.0)
        start = rss_mb(proc.pid)
        for i in range(sessions):
            session_run(url, [piece], 10.0)
            if (i + 1) % 5 == 0:
                samples.append(f"{rss_mb(proc.pid):.0f}")
        end = rss_mb(proc.pid)
        time.sleep(IDLE_S)
        idle = rss_mb(proc.pid)
    minutes = sessions * len(piece) / 32000 / 60
    return [
        ("engine RSS idle after start", f"{start:.0f} MB", "", ""),
        (
            f"engine RSS after {minutes:.0f} min of dictation (then idle)",
            f"{end:.0f} MB ({idle:.0f} MB)",
            "<= 250 MB",
            str(end <= 250),
        ),
        ("  RSS every 5 sessions", " ".join(samples) + " MB", "flat", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="6 sessions and 3 dictations only")
    parser.add_argument("--part", choices=("all", "capacity", "memory"), default="all")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    if args.part in ("all", "capacity"):
        cap_rows, best = capacity(args.quick)
        rows += cap_rows
        rows.append(("real-time sessions within the limits", str(best), ">= 6", str(best >= 6)))
    if args.part in ("all", "memory"):
        rows += long_dictation(args.quick)
    batching = os.environ.get("DICTATE_DECODE_BATCHING", "0") == "1"
    title = (
        f"Engine capacity and memory (tiny.en int8, {os.cpu_count()} cores, "
        f"batching {'on' if batching else 'off'})"
    )
    print(table(title, rows))


if __name__ == "__main__":
    main()
