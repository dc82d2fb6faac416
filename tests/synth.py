"""Speech made at test time with espeak-ng, cached per machine, trimmed to the voice.

Committed fixtures stay small; longer material (a minute of continuous reading, phrases in
several voices and rates) is synthesized once into a cache folder keyed by voice, rate and
text, so every run streams exactly the same samples.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tests.speech import RATE


def _cache() -> Path:
    root = Path(os.environ.get("DICTATE_SPEECH_CACHE", tempfile.gettempdir()))
    folder = root / "dictate-synth-speech"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spoken(text: str, voice: str = "en-us", wpm: int = 160) -> bytes:
    """16 kHz mono s16le samples of `text` said by espeak-ng's `voice` at `wpm` words a
    minute, the silence at both ends trimmed to 50 ms."""
    key = hashlib.sha1(f"{voice}:{wpm}:{text}".encode()).hexdigest()[:16]
    raw = _cache() / f"{key}.s16"
    if not raw.exists():
        wav = raw.with_suffix(".wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav), text], check=True)
        tmp = raw.with_suffix(".tmp")
        subprocess.run(
            [
                *("sox", str(wav), "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16"),
                *("-e", "signed-integer", "-L", str(tmp)),
            ],
            check=True,
        )
        tmp.replace(raw)
        wav.unlink()
    samples = np.frombuffer(raw.read_bytes(), dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 300)[0]
    margin = RATE // 20
    return samples[max(0, loud[0] - margin) : loud[-1] + margin].tobytes()
