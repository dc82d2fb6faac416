"""Streaming benchmark (issue 10): does streaming write what offline decoding writes, in time?

Run: `.venv/bin/python -m bench.streaming [--label NAME]`. Starts `dictate serve` (tiny.en,
int8, CPU) in a subprocess and drives it over loopback with the pause-free continuous speech
of `tests.continuous` (paced like a microphone, and at full speed) and with short dictations
released 150 ms after the last word. The offline reference is one faster-whisper decode of
the whole file by the same model. `DICTATE_CONTEXT_CHARS=0` in the environment turns the
engine's context prompt off, to measure without it. Prints one table, with a column for the
offline decode and one for WhisperLiveKit (`bench.peer`: installed on demand into its own venv
under `bench/.work/`, skipped with the reason when it cannot be; `--peer none` leaves it out).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

import numpy as np

from bench import peer
from bench.common import TOKEN, cpu_seconds, pct, rss_mb, served, side_by_side
from tests.continuous import continuous
from tests.speech import normalize, pcm, silence, wer
from tests.wire import COMPLETED, DELTA, RawSession

DICTATIONS = ["five", "weather", "meeting", "fox", "five", "weather", "meeting", "five"]


def offline_decode(audio: bytes) -> tuple[str, list[float]]:
    """The whole file decoded at once: its text and the end time of each word."""
    from faster_whisper import WhisperModel

    from app.engine.models import resolve

    model = WhisperModel(resolve("openai/whisper-tiny.en").path, compute_type="int8")
    samples = np.frombuffer(audio, "<i2").astype(np.float32) / 32768
    segments, _ = model.transcribe(samples, beam_size=1, language="en", word_timestamps=True)
    segments = list(segments)
    ends = [w.end for s in segments for w in (s.words or [])]
    return " ".join(s.text.strip() for s in segments), ends


def stream_once(url: str, audio: bytes, pace: float | None) -> tuple[RawSession, float]:
    s = RawSession(url, TOKEN)
    started = time.monotonic()
    s.stream(audio, pace=pace)
    s.commit_and_wait(180)
    s.close()
    return s, started


def joined_finals(s: RawSession) -> str:
    return " ".join(e["transcript"] for e in s.seen if e["type"] == COMPLETED and e["transcript"])


def final_after(s: RawSession, started: float, seconds: float) -> float:
    """Seconds from the end of audio streamed at real time to its last `completed`."""
    return max(t for t, e in s.stamped if e["type"] == COMPLETED) - started - seconds


def partial_lags(s: RawSession, started: float, word_ends: list[float]) -> list[float]:
    """For each delta: seconds from the audio time of its newest word (by the offline word
    timings, counting the words of the segments before it) to when it was shown. A segment's
    deltas may come before the previous segment's `completed`: words are counted per
    segment, in the order the segments began."""
    words: dict[str, int] = {}  # per item, in order of appearance: its latest word count
    lags: list[float] = []
    events = s.stamped
    for k, (arrived, e) in enumerate(events):
        following = events[k + 1][1] if k + 1 < len(events) else {}
        if following.get("type") == COMPLETED and following.get("transcript") == e.get("delta"):
            continue  # the final's own delta: not a partial (after a cut it may hold fewer words)
        if e["type"] == DELTA and e["delta"]:
            count = len(normalize(e["delta"]).split())
            words[e["item_id"]] = count
            before = 0
            for item, n in words.items():
                if item == e["item_id"]:
                    break
                before += n
            if 0 < before + count <= len(word_ends):
                lags.append(arrived - started - word_ends[before + count - 1])
        elif e["type"] == COMPLETED:
            words[e["item_id"]] = len(normalize(e["transcript"]).split())
    return lags


def dictation(url: str, name: str) -> tuple[float, float]:
    """(commit -> completed, speech start -> first delta), released 150 ms after the words."""
    s = RawSession(url, TOKEN)
    lead = 0.5
    started = time.monotonic()
    s.stream(silence(lead) + pcm(name) + silence(0.15), pace=1.0)
    s.commit()
    committed = time.monotonic()
    item = s.until("input_audio_buffer.committed", 10)[-1]["item_id"]
    while True:
        e = s.next(10)
        if e["type"] == COMPLETED and e["item_id"] == item:
            done = time.monotonic()
            break
    s.close()
    firsts = [t for t, e in s.stamped if e["type"] == DELTA and e["delta"]]
    return done - committed, (firsts[0] - started - lead) if firsts else float("nan")


def concurrent(
    url: str, audio: bytes, n: int, word_ends: list[float]
) -> tuple[list[RawSession], list[list[float]]]:
    """`n` sessions streaming the same audio at real time at once; their partial lags."""
    sessions: list[Any] = [None] * n
    lags: list[list[float]] = [[] for _ in range(n)]

    def run(i: int) -> None:
        s, started = stream_once(url, audio, 1.0)
        sessions[i] = s
        lags[i] = partial_lags(s, started, word_ends)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sessions, lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="engine")
    parser.add_argument("--peer", choices=["whisperlivekit", "none"], default="whisperlivekit")
    args = parser.parse_args()
    audio, reference = continuous()
    seconds = len(audio) / 32000
    import faster_whisper  # noqa: F401  (imported before the offline decode's clock starts)

    wall0, cpu0 = time.monotonic(), time.process_time()
    offline_text, word_ends = offline_decode(audio)
    offline_s, offline_cpu = time.monotonic() - wall0, time.process_time() - cpu0
    offline_wer = wer(reference, offline_text)
    with served(0) as (url, proc):
        time.sleep(1.0)
        cpu0 = cpu_seconds(proc.pid)
        paced, started = stream_once(url, audio, 1.0)
        cpu_one = (cpu_seconds(proc.pid) - cpu0) / seconds * 100
        lags1 = partial_lags(paced, started, word_ends)
        fast, _ = stream_once(url, audio, None)
        commits, firsts = zip(*(dictation(url, n) for n in DICTATIONS), strict=True)
        four_audio = audio[: 16000 * 2 * 15]
        cpu0 = cpu_seconds(proc.pid)
        four, four_lags = concurrent(url, four_audio, 4, word_ends)
        cpu_four = (cpu_seconds(proc.pid) - cpu0) / (len(four_audio) / 32000) * 100 / 4
        lags4 = [x for lags in four_lags for x in lags]
        flowing = sum(1 for s in four if len([e for e in s.seen if e["type"] == DELTA]) >= 5)
        rss = rss_mb(proc.pid)
        behind = max(final_after(s, s.stamped[0][0], len(four_audio) / 32000) for s in four)
    peer_column = None
    if args.peer == "whisperlivekit":
        peer_column = peer.column(
            audio,
            reference,
            offline_wer,
            word_ends,
            short=four_audio,
            dictations=DICTATIONS,
            sessions=4,
        )
    paced_wer, fast_wer = wer(reference, joined_finals(paced)), wer(reference, joined_finals(fast))

    def ms(v: float) -> str:
        return f"{v * 1000:.0f} ms"

    rows = [
        ("offline WER (one decode of the file)", f"{offline_wer * 100:.1f} %", "", ""),
        (
            "streamed WER - offline, paced",
            f"{(paced_wer - offline_wer) * 100:+.1f} points",
            "<= 1",
            str(paced_wer - offline_wer <= 0.01),
        ),
        (
            "streamed WER - offline, full speed",
            f"{(fast_wer - offline_wer) * 100:+.1f} points",
            "<= 1",
            str(fast_wer - offline_wer <= 0.01),
        ),
        ("commit -> completed p50", ms(pct(list(commits), 50)), "<= 150 ms", ""),
        ("commit -> completed p95", ms(pct(list(commits), 95)), "<= 400 ms", ""),
        ("speech start -> first delta p50", ms(pct(list(firsts), 50)), "<= 500 ms", ""),
        ("partial lag p95, 1 session", ms(pct(lags1, 95)), "<= 1000 ms", ""),
        ("partial lag p95, 4 sessions", ms(pct(lags4, 95)), "<= 1500 ms", ""),
        ("sessions of 4 with deltas flowing", str(flowing), "4", str(flowing == 4)),
        (
            "end of audio -> final text, paced, 1 / 4 sessions",
            f"{final_after(paced, started, seconds) * 1000:.0f} / {behind * 1000:.0f} ms",
            "",
            "",
        ),
        (
            "engine CPU per real-time stream, 1 / 4",
            f"{cpu_one:.0f} / {cpu_four:.0f} %",
            "<= 35 %",
            str(max(cpu_one, cpu_four) <= 35),
        ),
        ("engine RSS after the runs", f"{rss:.0f} MB", "<= 350 MB", str(rss <= 350)),
    ]
    for i, row in enumerate(rows):
        if row[3] == "" and row[2].startswith("<="):
            limit = float(row[2].split()[1])
            value = float(row[1].split()[0].lstrip("+"))
            rows[i] = (*row[:3], str(value <= limit))
    context = os.environ.get("DICTATE_CONTEXT_CHARS", "200")
    title = f"Streaming, {args.label} (tiny.en int8, {os.cpu_count()} cores, context {context})"
    columns = {
        "offline decode": {
            "offline WER (one decode of the file)": f"{offline_wer * 100:.1f} %",
            "end of audio -> final text, paced, 1 / 4 sessions": f"{ms(offline_s)} whole file",
            "engine CPU per real-time stream, 1 / 4": f"{offline_cpu / seconds * 100:.0f} %",
        }
    }
    if peer_column:
        columns[peer_column[0]] = peer_column[1]
    print(side_by_side(title, rows, columns))


if __name__ == "__main__":
    main()
