"""Issue 10: long continuous speech streams to what one offline decode writes.

The fixture is 30 s and more of espeak-ng speech with no pause over 300 ms, so the VAD must
cut in running speech. The reference for every check is the offline decode of the whole
file by the same model (faster-whisper's own `transcribe`, greedy, word timestamps): cuts
are checked against its word timings, and the streamed text against its word error rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

from app.engine.decode import looks_looped
from tests.conftest import Engine
from tests.continuous import continuous, longest_pause_s
from tests.speech import normalize
from tests.wire import COMPLETED, DELTA, RawSession

WORD_TOLERANCE_S = 0.1  # word timings are good to a few tens of ms, both ways


@dataclass(frozen=True)
class Offline:
    pcm: bytes
    reference: str
    text: str
    words: list[tuple[str, float, float]]


_OFFLINE = """
import json, sys
import numpy as np
from faster_whisper import WhisperModel
from app.engine.models import resolve
from tests.continuous import continuous
pcm, _ = continuous()
model = WhisperModel(resolve("openai/whisper-tiny.en").path, compute_type="int8")
audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
segments, _ = model.transcribe(audio, beam_size=1, language="en", word_timestamps=True)
segments = list(segments)
words = [(w.word.strip(), w.start, w.end) for s in segments for w in (s.words or [])]
json.dump({"text": " ".join(s.text.strip() for s in segments), "words": words}, sys.stdout)
"""


@pytest.fixture(scope="module")
def offline() -> Offline:
    # In a process of its own: the reference must not depend on what ran before it here.
    # The engine keeps numpy's BLAS to one thread, and the mel features summed in another
    # order made this decode write "wildest" for "while next" (13.06 s to 13.46 s).
    pcm, reference = continuous()
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    found = json.loads(done.stdout)
    words = [(w, float(a), float(b)) for w, a, b in found["words"]]
    return Offline(pcm, reference, found["text"], words)


def _stream(engine: Engine, pcm: bytes, pace: float | None) -> list[dict[str, Any]]:
    s = RawSession(engine.url, engine.token)
    s.stream(pcm, pace=pace)
    s.commit_and_wait(120)
    s.close()
    return [e for e in s.seen if e["type"] in (COMPLETED, DELTA)]


def _check_streamed(offline: Offline, events: list[dict[str, Any]]) -> None:
    done = [e for e in events if e["type"] == COMPLETED]
    total = len(offline.pcm) / 2 / 16000
    assert len(done) >= 4, "continuous speech should have been cut several times"
    # The segments tile the audio: nothing lost, nothing doubled.
    ends = [e["start"] + e["duration"] for e in done]
    assert done[0]["start"] <= 0.3
    for before_end, after in zip(ends[:-1], done[1:], strict=True):
        assert abs(after["start"] - before_end) < 0.002
    assert abs(ends[-1] - total) < 0.002
    # No cut inside a word of the offline decode.
    for cut in ends[:-1]:
        inside = [
            w for w in offline.words if w[1] + WORD_TOLERANCE_S < cut < w[2] - WORD_TOLERANCE_S
        ]
        assert not inside, f"a segment ends at {cut:.2f} s inside {inside}"
    # The joined finals are as good as the offline decode: within 1 WER point, and the
    # seams neither drop nor repeat words more than one decode does.
    joined = " ".join(e["transcript"] for e in done if e["transcript"])
    ref, hyp, off = normalize(offline.reference), normalize(joined), normalize(offline.text)
    streamed, offline_out = jiwer.process_words(ref, hyp), jiwer.process_words(ref, off)
    print(f"WER streamed {streamed.wer:.3f} offline {offline_out.wer:.3f}")
    assert streamed.wer <= offline_out.wer + 0.01, joined
    assert streamed.deletions <= offline_out.deletions + 1, joined
    assert streamed.insertions <= offline_out.insertions + 1, joined
    # Looped text never reaches the user, not even as a delta.
    assert not [e["delta"] for e in events if e["type"] == DELTA and looks_looped(e["delta"])]


def test_the_fixture_is_long_and_has_no_pause(offline: Offline) -> None:
    assert len(offline.pcm) / 2 / 16000 >= 20
    assert longest_pause_s(offline.pcm) <= 0.3


def test_continuous_speech_at_full_speed_is_cut_between_words(
    engine: Engine, offline: Offline
) -> None:
    _check_streamed(offline, _stream(engine, offline.pcm, None))


def test_continuous_speech_in_real_time_is_cut_between_words_and_keeps_its_case(
    engine: Engine, offline: Offline
) -> None:
    events = _stream(engine, offline.pcm, 1.0)
    _check_streamed(offline, events)
    # A sentence spread over segments keeps its case and punctuation: a segment that
    # continues a sentence starts as the offline decode writes that word (lower case,
    # unless the word is capitalized there), and an inner segment ends with no full stop
    # unless the offline decode has one after that word.
    done = [e["transcript"] for e in events if e["type"] == COMPLETED and e["transcript"]]
    offline_words = offline.text.split()
    capitalized = {w.strip(".,") for w in offline_words if w[:1].isupper()}
    stops = {w.rstrip(".").lower() for w in offline_words if w.endswith(".")}
    for text in done[1:]:
        first = text.split()[0].strip(".,")
        assert first[:1].islower() or first in capitalized, f"{text!r} starts a new sentence"
    for text in done[:-1]:
        last = text.split()[-1]
        assert not last.endswith(".") or last.rstrip(".").lower() in stops, f"{text!r} ends one"


def test_four_sessions_in_real_time_all_keep_receiving_deltas(
    engine: Engine, offline: Offline
) -> None:
    speech = offline.pcm[: 16000 * 2 * 10]  # 10 s of pause-free speech each
    arrivals: dict[int, list[float]] = {}
    started: dict[int, float] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            s = RawSession(engine.url, engine.token)
            started[i] = time.monotonic()
            s.stream(speech, pace=1.0)
            s.commit_and_wait(60)
            s.close()
            arrivals[i] = [t for t, e in s.stamped if e["type"] == DELTA and e["delta"]]
            deltas = [e["delta"] for _t, e in s.stamped if e["type"] == DELTA]
            assert not [d for d in deltas if looks_looped(d)]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    # Under load partials slow down alike: no session gets far fewer than the busiest.
    counts = [len(arrivals[i]) for i in range(4)]
    assert min(counts) >= 2 * max(counts) / 3, counts
    for i in range(4):
        times = [t - started[i] for t in arrivals[i]]
        assert times and times[0] <= 2.0, f"session {i}: first delta at {times[:1]}"
        gaps = np.diff([0.0, *times, 10.0]) if times else [10.0]
        # Deltas keep flowing all through the speech: no item passes without live text
        # while an earlier final waits (that was 5.6 to 6.8 s). The 2 s target is measured
        # by bench.trust on a machine doing nothing else; here other tests may run.
        assert max(gaps) <= 4.0, f"session {i}: deltas at {[round(t, 1) for t in times]}"
