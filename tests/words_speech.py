"""The dictation the words tests speak: a rare name, a snippet trigger, spoken commands.

Built from espeak-ng fixtures (tests/data/texts.json) with pauses longer than any VAD
preset's silence, so every phrase is a segment of its own, as when a person pauses.
"""

from __future__ import annotations

import wave
from pathlib import Path

from tests.speech import RATE, pcm, silence

PHRASES = ["name", "signature", "paragraph", "wrong", "delete", "thanks"]
VOCABULARY = "Nguyen"
RULES = "# test rules\nmy signature = Best regards,\\nJane\n"
EXPECTED = "Please send the report to Nguyen. Best regards,\nJane.\n\nThank you for your help."


def dictation(pause: float = 1.3) -> bytes:
    audio = silence(0.3)
    for name in PHRASES:
        audio += pcm(name) + silence(pause)
    return audio


def write_wav(path: Path, data: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data)
    return path
