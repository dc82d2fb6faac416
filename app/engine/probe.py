"""How fast a model runs here: load time, real-time factor and final latency on a bundled clip.

The clip (`resources/samples/sample.wav`, 3.2 s of speech) is the size of one dictation
segment, so decoding it is what a commit waits for on an idle engine; it is decoded three
times and the median kept (the first decode also warms the model up).
"""

from __future__ import annotations

import statistics
import time
import wave

import numpy as np
import numpy.typing as npt

from app import paths
from app.engine.asr import load_recognizer
from app.engine.models import resolve
from app.models.speed import Speed

RUNS = 3


def sample_clip() -> npt.NDArray[np.float32]:
    with wave.open(str(paths.resources() / "samples" / "sample.wav")) as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return raw.astype(np.float32) / np.float32(32768)


def measure(name: str, device: str = "auto") -> tuple[Speed, str]:
    """(the figures, the text decoded) for an installed model."""
    spec = resolve(name)
    recognizer = load_recognizer(spec, device, workers=1)
    clip = sample_clip()
    times: list[float] = []
    text = ""
    for _ in range(RUNS):
        started = time.perf_counter()
        text = recognizer.transcribe(clip)
        times.append(time.perf_counter() - started)
    final = statistics.median(times)
    seconds = clip.size / 16000
    speed = Speed(name, recognizer.device, recognizer.load_seconds, final / seconds, final)
    return speed, text
