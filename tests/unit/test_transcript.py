"""Transcript assembly, backoff and backend choice: pure logic, no sockets."""

from __future__ import annotations

import random

import pytest

from app.backends import choose_backend
from app.core.transcript import Transcript, join_segments
from app.realtime.backoff import Backoff


def test_whisper_segments_are_joined_with_one_space_unless_one_is_there() -> None:
    assert join_segments(["Hello there.", "How are you?"]) == "Hello there. How are you?"
    assert join_segments(["Hello", " world"]) == "Hello world"
    assert join_segments(["", "  ", "one"]) == "one"


def test_streaming_model_segments_are_joined_as_sent() -> None:
    assert join_segments(["to", "day is", " fine"], as_sent=True) == "today is fine"


def test_a_delta_replaces_the_live_text_and_a_completed_settles_it() -> None:
    t = Transcript()
    t.on_delta("The quick")
    t.on_delta("The quick brown")
    assert t.text == "The quick brown" and t.final_text == ""
    t.on_completed("The quick brown fox.")
    t.on_delta("Jumps")
    assert t.text == "The quick brown fox. Jumps"
    t.drop_live()
    assert t.text == t.final_text == "The quick brown fox."


def test_backoff_is_bounded_capped_and_jittered() -> None:
    delays = list(Backoff(base=0.5, cap=2.0, attempts=6, rng=random.Random(1)).delays())
    assert len(delays) == 6
    assert all(0.25 <= d <= 2.0 for d in delays)
    assert len(set(delays)) == 6


def test_the_default_backend_is_together_with_a_key_and_local_without() -> None:
    with_key = choose_backend(key_lookup=lambda: "secret")
    assert with_key.name == "together" and with_key.api_key == "secret"
    assert with_key.describe() == "Together AI (openai/whisper-large-v3)"
    custom = choose_backend(url="ws://10.0.0.5:8765/v1", model="openai/whisper-small")
    assert custom.name == "custom" and "ws://10.0.0.5:8765/v1" in custom.describe()
    with pytest.raises(ValueError, match="choose one of"):
        choose_backend("cloud")
    local = choose_backend(key_lookup=lambda: None)  # no key: the engine on this computer
    try:
        assert local.name == "local" and local.engine is not None and local.api_key is None
        assert local.model == "openai/whisper-tiny.en" and local.describe().startswith(
            "local engine (openai/whisper-tiny.en"
        )
    finally:
        local.close()
