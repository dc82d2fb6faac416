"""Dictation as people speak it: short phrases with pauses, in several voices and rates.

Each script is a list of short sentences written as a writer would (full stops, capitals).
`phrases(name)` says them one after another with espeak-ng, each sentence in the next voice
and rate of a fixed rotation, separated by pauses of 0.3 to 1 s (a fixed random sequence):
the pauses are long enough to end a segment sometimes and too short at other times, which is
where a recognizer prompted with the previous text tends to repeat a phrase.
"""

from __future__ import annotations

import numpy as np

from tests.speech import RATE, normalize
from tests.synth import spoken

SCRIPTS: dict[str, list[str]] = {
    "beckett": [
        "Ever tried.",
        "Ever failed.",
        "No matter.",
        "Try again.",
        "Fail again.",
        "Fail better.",
    ],
    "errands": [
        "Buy some milk.",
        "Call the bank.",
        "Pick up the kids at five.",
        "Send the invoice today.",
        "Book a table for Friday.",
    ],
    "notes": [
        "Good morning.",
        "The meeting moved to Tuesday.",
        "Please bring your laptop.",
        "Thanks, everyone.",
        "See you soon.",
    ],
}
# (espeak-ng voice, words a minute): two accents, a higher and a lower voice, three rates.
VOICES = [("en-us", 150), ("en-gb", 175), ("en-us+f3", 200), ("en-gb+m3", 165)]


def phrases(name: str, seed: int = 7) -> tuple[bytes, str]:
    """(16 kHz mono s16le samples, the script as one text) for `SCRIPTS[name]`."""
    rng = np.random.default_rng(seed)
    pieces = [b"\x00\x00" * (RATE // 4)]
    for i, sentence in enumerate(SCRIPTS[name]):
        voice, wpm = VOICES[i % len(VOICES)]
        pieces.append(spoken(sentence, voice, wpm))
        pieces.append(b"\x00\x00" * int(rng.uniform(0.3, 1.0) * RATE))
    return b"".join(pieces), " ".join(SCRIPTS[name])


def all_phrases() -> tuple[bytes, str]:
    """Every script back to back: about 45 s of dictation."""
    made = [phrases(name) for name in SCRIPTS]
    return b"".join(p for p, _ in made), " ".join(t for _, t in made)


def doubled_phrases(text: str, script: str) -> list[str]:
    """Phrases of two words or more written twice back to back in `text` where `script`
    (what was said) does not say them twice: what a reader would have to delete."""
    words, said = normalize(text).split(), f" {normalize(script)} "
    found = []
    for n in range(2, 9):
        for i in range(len(words) - 2 * n + 1):
            if words[i : i + n] == words[i + n : i + 2 * n]:
                twice = " ".join(words[i : i + 2 * n])
                if f" {twice} " not in said:
                    found.append(" ".join(words[i : i + n]))
    return found
