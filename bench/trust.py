"""Text you can trust (issue 20): doubled phrases, punctuation, and live text under load.

Run: `.venv/bin/python -m bench.trust` (alone: it measures time on 2 cores). Starts `dictate
serve` (tiny.en, int8, CPU) and streams `tests.phrases` (short phrases in four voices and
three rates, pauses of 0.3 to 1 s) at real time, at 8x, and at real time through a connection
cut after the first phrase (the client replays what was not transcribed), then counts:
- phrases written twice that the script says once, per 100 segments (target 0);
- word error against the script with case and punctuation kept ("Fail again." is not
  "fail again"), beside one offline decode of the whole recording by the same model
  (target: not above offline);
- the longest stretch of running speech without a delta, per session, with 1, 4 and 6
  sessions streaming `tests.continuous` at real time at once (target <= 2 s with 4).
`bench.streaming` measures long continuous reading against the offline decode, with
WhisperLiveKit beside it; `bench.handshakes` the slots held after abandoned handshakes.
"""

from __future__ import annotations

import os
import threading
import time
from statistics import median

import jiwer
import numpy as np

from bench.common import TOKEN, served, table
from tests.continuous import continuous
from tests.phrases import all_phrases, doubled_phrases
from tests.speech import wer
from tests.wire import COMPLETED, DELTA, RawSession

GAP_SECONDS = 20.0  # of continuous reading per session


def stream(url: str, audio: bytes, pace: float | None) -> RawSession:
    s = RawSession(url, TOKEN)
    s.stream(audio, pace=pace)
    s.commit_and_wait(180)
    s.close()
    return s


def texts_of(s: RawSession) -> list[str]:
    return [e["transcript"] for e in s.seen if e["type"] == COMPLETED and e["transcript"]]


def replayed(url: str, audio: bytes) -> list[str]:
    """The app's client at real time through a proxy that cuts the connection once the first
    phrase has completed: the segments of the dictation, replay included."""
    from app.realtime.events import SegmentCompleted
    from tests.integration.test_client import Recorder, config, dictate
    from tests.proxy import FaultProxy

    port = int(url.split(":")[2].split("/", maxsplit=1)[0])
    proxy = FaultProxy("127.0.0.1", port)

    def cut(recorder: Recorder) -> None:
        recorder.wait_for(lambda e: isinstance(e, SegmentCompleted), 60)
        proxy.cut()

    try:
        _result, recorder = dictate(config(proxy.url(), TOKEN), audio, realtime=True, during=cut)
    finally:
        proxy.close()
    return [e.text for e in recorder.events if isinstance(e, SegmentCompleted) and e.text]


def offline_text(audio: bytes) -> str:
    from faster_whisper import WhisperModel

    from app.engine.models import resolve

    model = WhisperModel(resolve("openai/whisper-tiny.en").path, compute_type="int8")
    samples = np.frombuffer(audio, "<i2").astype(np.float32) / 32768
    segments, _ = model.transcribe(samples, beam_size=1, language="en")
    return " ".join(s.text.strip() for s in segments)


def longest_gaps(url: str, audio: bytes, sessions: int) -> list[float]:
    """Per session: the longest time without a new delta while the speech goes on."""
    seconds = len(audio) / 32000
    gaps = [0.0] * sessions

    def run(i: int) -> None:
        s = RawSession(url, TOKEN)
        started = time.monotonic()
        s.stream(audio, pace=1.0)
        s.commit_and_wait(180)
        s.close()
        times = [t - started for t, e in s.stamped if e["type"] == DELTA and e["delta"]]
        during = [t for t in times if t <= seconds]
        gaps[i] = float(np.max(np.diff([0.0, *during, seconds])))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return gaps


def main() -> None:
    audio, script = all_phrases()
    offline = offline_text(audio)
    reading = continuous()[0][: int(GAP_SECONDS * 32000)]
    rows: list[tuple[str, str, str, str]] = []
    with served(0, "--max-sessions", "8") as (url, _proc):
        time.sleep(1.0)
        runs = {
            "real time": texts_of(stream(url, audio, 1.0)),
            "8x": texts_of(stream(url, audio, 8.0)),
            "replay after a cut": replayed(url, audio),
        }
        fast = texts_of(stream(url, audio, None))
        gaps = {n: longest_gaps(url, reading, n) for n in (1, 4, 6)}
    for name, segments in runs.items():
        doubled = doubled_phrases(" ".join(segments), script)
        per_100 = 100 * len(doubled) / max(1, len(segments))
        rows.append(
            (
                f"phrases doubled per 100 segments, {name}",
                f"{per_100:.1f} ({len(doubled)} in {len(segments)})",
                "0",
                str(not doubled),
            )
        )
    offline_cwer = jiwer.wer(script, offline)
    for name, segments in (("real time", runs["real time"]), ("full speed", fast)):
        text = " ".join(segments)
        cwer = jiwer.wer(script, text)
        rows.append(
            (
                f"WER with case and punctuation, {name} (offline {offline_cwer * 100:.1f} %)",
                f"{cwer * 100:.1f} %",
                "<= offline",
                str(cwer <= offline_cwer),
            )
        )
        rows.append(
            (
                f"WER lower-cased, no punctuation, {name}",
                f"{wer(script, text) * 100:.1f} % (offline {wer(script, offline) * 100:.1f} %)",
                "",
                "",
            )
        )
    rows.append(
        (
            "same text at real time, 8x and full speed",
            str(runs["real time"] == runs["8x"] == fast),
            "True",
            str(runs["real time"] == runs["8x"] == fast),
        )
    )
    for n, per_session in gaps.items():
        rows.append(
            (
                f"longest stretch of speech without a delta, {n} session(s): max / median",
                f"{max(per_session):.2f} / {median(per_session):.2f} s",
                "<= 2 s" if n <= 4 else "",
                str(max(per_session) <= 2.0) if n <= 4 else "",
            )
        )
    print(table(f"Text you can trust (tiny.en int8, {os.cpu_count()} cores)", rows))
    print(f"\nscript:  {script}\nstreamed: {' '.join(runs['real time'])}\noffline: {offline}")


if __name__ == "__main__":
    main()
