"""Long continuous speech, made at test time: espeak-ng at a fast rate, no sentence breaks.

Committed fixtures stay small; these are generated once per machine into a cache folder
(keyed by the text) because a pause-free minute of speech is what makes a segmenter cut
inside words, and that is the case the engine must get right.
"""

from __future__ import annotations

import numpy as np

from tests.speech import RATE
from tests.synth import spoken

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


def passage_pcm(name: str) -> bytes:
    """16 kHz mono s16le samples of one passage, silence at both ends trimmed to 50 ms."""
    return spoken(PASSAGES[name], "en-us", RATE_WPM)


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
