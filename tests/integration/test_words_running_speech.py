"""Your words in running speech, on the real engine: espeak-ng says commands inside
sentences, between the commas tiny.en writes around them, and "scratch that" in the voice
tiny.en mishears it in ("Crash Net"); the user's words make the text the speaker meant.
No exact recognizer words are asserted: the structure (paragraphs, what was scratched)."""

from __future__ import annotations

from app.backends import Backend, realtime_client, stream_pcm
from app.core.text import SCRATCH, command_of
from app.core.words import Words
from app.dictation.finalize import finalize
from tests.conftest import Engine
from tests.speech import silence, wer
from tests.synth import spoken


def recognize(engine: Engine, audio: bytes) -> tuple[str, ...]:
    backend = Backend("custom", "openai/whisper-tiny.en", url=engine.url, api_key=engine.token)
    client = realtime_client(backend.client_config(language="en"), None)
    result = stream_pcm(client, silence(0.3) + audio + silence(1.0), realtime=False)
    assert result.error is None, result.error
    return result.segments


def test_new_paragraph_between_commas_in_a_running_sentence(engine: Engine) -> None:
    said = "this is the first paragraph, new paragraph, this is the second one"
    segments = recognize(engine, spoken(said, "en-us", 150))
    assert len(segments) == 1 and "new paragraph" in segments[0].lower()  # one sentence
    first, second = finalize(segments, Words()).text.split("\n\n")
    assert wer("this is the first paragraph", first) <= 0.34, first
    assert wer("this is the second one", second) <= 0.34, second
    assert "paragraph" not in second.lower()
    kept = finalize(segments, Words(commands=False)).text
    assert "\n" not in kept and "paragraph," in kept.lower()  # commands off: words


def test_scratch_that_as_the_recognizer_mishears_it(engine: Engine) -> None:
    keep, drop = "The meeting moved to Tuesday.", "Bring the old slides."
    pause = silence(1.3)  # longer than any preset's silence: each phrase its own segment
    audio = spoken(keep) + pause + spoken(drop) + pause + spoken("scratch that", "en-us", 180)
    segments = recognize(engine, audio)
    assert len(segments) == 3
    assert command_of(segments[2]) == SCRATCH, segments[2]  # misheard, as "Crash Net" today
    text = finalize(segments, Words()).text
    assert wer(keep, text) <= 0.34, text
    assert "slides" not in text.lower()
