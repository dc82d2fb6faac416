"""Long continuous speech, made at test time: espeak-ng at a fast rate, no sentence breaks.

Committed fixtures stay small; these are generated once per machine into a cache folder
(keyed by the text) because a pause-free minute of speech is what makes a segmenter cut
inside words, and that is the case the engine must get right.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tests.speech import RATE

# No full stops: espeak-ng pauses at sentence ends, and a pause would let the VAD cut cleanly.
PASSAGES = {
    "river": (
        "we walked along the river on a cold morning and talked about the plans for the new "
        "library that the town wants to build next to the old train station where the market "
        "used to be and everyone seemed to agree that the reading room should face the water "
        "so that people can watch the boats go by while they study and the children will have "
        "a garden of their own with tall trees and a small pond full of fish"
    ),
    "office": (
        "the team has been working on the report for several weeks and the numbers finally "
        "look right so we can send it to the board on monday together with a short summary "
        "that explains why the costs went up in the spring and what we are doing to bring them "
        "down again before the end of the year without cutting the budget for training"
    ),
}
RATE_WPM = 200


def _cache() -> Path:
    root = Path(os.environ.get("DICTATE_SPEECH_CACHE", tempfile.gettempdir()))
    folder = root / "dictate-continuous-speech"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def passage_pcm(name: str) -> bytes:
    """16 kHz mono s16le samples of one passage, silence at both ends trimmed to 50 ms."""
    text = PASSAGES[name]
    key = hashlib.sha1(f"{RATE_WPM}:{text}".encode()).hexdigest()[:16]
    raw = _cache() / f"{name}-{key}.s16"
    if not raw.exists():
        wav = raw.with_suffix(".wav")
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", str(RATE_WPM), "-w", str(wav), text], check=True
        )
        tmp = raw.with_suffix(".tmp")
        subprocess.run(
            [
                "sox",
                str(wav),
                "-t",
                "raw",
                "-r",
                str(RATE),
                "-c",
                "1",
                "-b",
                "16",
                "-e",
                "signed-integer",
                "-L",
                str(tmp),
            ],
            check=True,
        )
        tmp.replace(raw)
        wav.unlink()
    samples = np.frombuffer(raw.read_bytes(), dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 300)[0]
    margin = RATE // 20
    return samples[max(0, loud[0] - margin) : loud[-1] + margin].tobytes()


def continuous() -> tuple[bytes, str]:
    """Both passages back to back (about 35 s, no pause over 300 ms) and their text."""
    names = ["river", "office"]
    return b"".join(passage_pcm(n) for n in names), " ".join(PASSAGES[n] for n in names)


def longest_pause_s(pcm: bytes) -> float:
    """The longest run of 20 ms windows whose peak stays under 300 (about -40 dBFS)."""
    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    win = RATE // 50
    peaks = samples[: samples.size // win * win].reshape(-1, win).max(axis=1)
    best = run = 0
    for quiet in (peaks < 300).tolist():
        run = run + 1 if quiet else 0
        best = max(best, run)
    return best / 50
