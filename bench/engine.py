"""Engine benchmark (issue 2): latency, first partial, accuracy, concurrency, memory, idle CPU.

Run: `.venv/bin/python -m bench.engine`. Starts `dictate serve` (tiny.en, int8, CPU) in a
subprocess and drives it over loopback with paced audio, like a microphone would.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from bench.common import TOKEN, cpu_percent, pct, rss_mb, served, table
from tests.speech import TEXTS, pcm, silence, wer
from tests.wire import COMPLETED, DELTA, RawSession

UTTERANCES = ["five", "weather", "meeting", "fox", "five", "weather", "meeting", "five"]


def one_dictation(url: str, name: str, lead: float = 0.5) -> tuple[float, float]:
    """(commit -> completed seconds, speech start -> first non-empty delta seconds)."""
    s = RawSession(url, TOKEN)
    speech = pcm(name)
    started = time.monotonic()
    s.stream(silence(lead) + speech + silence(0.35), pace=1.0)
    speech_at = started + lead
    s.commit()
    committed_at = time.monotonic()
    events = s.until("input_audio_buffer.committed", 10)
    item = events[-1]["item_id"]
    done_at = 0.0
    while not done_at:
        e = s.next(10)
        if e["type"] == COMPLETED and e["item_id"] == item:
            done_at = time.monotonic()
    s.close()
    return done_at - committed_at, _first_delta_latency(s, speech_at)


def _first_delta_latency(s: RawSession, speech_at: float) -> float:
    stamps = [t for t, e in s.stamped if e["type"] == DELTA and e["delta"]]
    return stamps[0] - speech_at if stamps else float("nan")


def accuracy(url: str) -> tuple[float, float]:
    """WER of the streamed completed segments, and of one offline decode of the same audio."""
    from faster_whisper import WhisperModel

    from app.engine.models import resolve

    names = ["long", "five", "weather", "meeting", "fox"]
    audio = b"".join(pcm(n) + silence(0.8) for n in names)
    reference = " ".join(TEXTS[n] for n in names)
    s = RawSession(url, TOKEN)
    s.stream(audio, pace=None)
    _, streamed = s.commit_and_wait(120)
    s.close()
    model = WhisperModel(resolve("openai/whisper-tiny.en").path, compute_type="int8")
    samples = np.frombuffer(audio, "<i2").astype(np.float32) / 32768
    segments, _ = model.transcribe(samples, beam_size=1, language="en")
    offline = " ".join(seg.text.strip() for seg in segments)
    return wer(reference, streamed), wer(reference, offline)


def concurrent(url: str, n: int) -> float:
    """p95 commit -> completed with `n` sessions streaming at real time at once."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        for name in ("five", "weather"):
            lat, _ = one_dictation(url, name, lead=0.2 + 0.1 * i)
            with lock:
                latencies.append(lat)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pct(latencies, 95)


def main() -> None:
    with served() as (url, proc):
        time.sleep(1.0)
        idle_rss = rss_mb(proc.pid)
        idle_cpu = cpu_percent(proc.pid, 5.0)
        commits, firsts = [], []
        for name in UTTERANCES:
            lat, first = one_dictation(url, name)
            commits.append(lat)
            firsts.append(first)
        stream_wer, offline_wer = accuracy(url)
        levels = {}
        for n in (1, 2, 4, 6):
            levels[n] = concurrent(url, n)
        best = max([n for n, p95 in levels.items() if p95 <= 1.0], default=0)
        busy_rss = rss_mb(proc.pid)
    rows = [
        (
            "commit -> completed p50",
            f"{pct(commits, 50) * 1000:.0f} ms",
            "<= 150 ms",
            str(pct(commits, 50) <= 0.15),
        ),
        (
            "commit -> completed p95",
            f"{pct(commits, 95) * 1000:.0f} ms",
            "<= 400 ms",
            str(pct(commits, 95) <= 0.4),
        ),
        (
            "speech start -> first delta p50",
            f"{pct(firsts, 50) * 1000:.0f} ms",
            "<= 800 ms",
            str(pct(firsts, 50) <= 0.8),
        ),
        ("WER streamed / offline", f"{stream_wer * 100:.1f} / {offline_wer * 100:.1f} %", "", ""),
        (
            "WER streamed - offline",
            f"{(stream_wer - offline_wer) * 100:+.1f} points",
            "<= 2 points",
            str(round(stream_wer - offline_wer, 3) <= 0.02),
        ),
        *[
            (
                f"p95 commit -> completed, {n} sessions",
                f"{p * 1000:.0f} ms",
                "<= 1000 ms",
                str(p <= 1.0),
            )
            for n, p in levels.items()
        ],
        ("real-time sessions with p95 <= 1 s", str(best), ">= 4", str(best >= 4)),
        ("server RSS, model loaded, idle", f"{idle_rss:.0f} MB", "<= 400 MB", str(idle_rss <= 400)),
        ("server RSS after the runs", f"{busy_rss:.0f} MB", "", ""),
        ("server CPU, no session", f"{idle_cpu:.2f} %", "~0", str(idle_cpu < 0.5)),
    ]
    print(table(f"Engine (tiny.en int8, CPU, {os.cpu_count()} cores)", rows))


if __name__ == "__main__":
    main()
