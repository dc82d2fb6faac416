"""The engine's decoder with a prompt: the vocabulary helps, and a long prompt leaves room
for the words (CTranslate2 counts the prompt in the decode length)."""

from __future__ import annotations

import numpy as np

from app.core.words import vocabulary_prompt
from app.engine.asr import ModelRegistry
from tests.speech import TEXTS, pcm, wer


def test_the_vocabulary_prompt_spells_the_name_and_a_long_one_still_leaves_room() -> None:
    recognizer = ModelRegistry("cpu", 1).get("openai/whisper-tiny.en")
    audio = np.frombuffer(pcm("name"), "<i2").astype(np.float32) / np.float32(32768)
    assert "Nguyen" not in recognizer.transcribe(audio)
    assert "Nguyen" in recognizer.transcribe(audio, prompt=vocabulary_prompt(["Nguyen"]).prompt)
    full = vocabulary_prompt([f"Colleague{i:03d}" for i in range(200)])
    assert full.dropped  # as long as a prompt gets
    assert wer(TEXTS["name"], recognizer.transcribe(audio, prompt=full.prompt)) <= 0.35
