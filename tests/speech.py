"""Speech fixtures and word error rate, shared by the tests and the benchmarks."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import jiwer
import numpy as np

DATA = Path(__file__).parent / "data"
RATE = 16_000
TEXTS: dict[str, str] = json.loads((DATA / "texts.json").read_text())


def pcm(name: str) -> bytes:
    """16 kHz mono s16le samples of a fixture, trimmed to 50 ms around the speech.

    espeak-ng ends every file with ~350 ms of silence; trimming it makes the pauses that
    tests put between utterances the pauses the engine actually sees.
    """
    with wave.open(str(DATA / f"{name}.wav")) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 300)[0]
    margin = RATE // 20
    start, end = max(0, loud[0] - margin), min(samples.size, loud[-1] + margin)
    return samples[start:end].tobytes()


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * RATE)


def seconds(data: bytes) -> float:
    return len(data) / 2 / RATE


def normalize(text: str) -> str:
    text = re.sub(r"[^a-z0-9' ]+", " ", text.lower())
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing and dropping punctuation."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp or "<empty>"))


def chunks(data: bytes, ms: int = 100) -> list[bytes]:
    size = RATE * 2 * ms // 1000
    return [data[i : i + size] for i in range(0, len(data), size)]
