"""The one final: raw -> the user's words -> post-processors, every stage kept."""

from __future__ import annotations

from app.core.text import raw_text, render
from app.core.words import Rule, Words
from app.dictation.finalize import Final, finalize, finalize_raw

SEGMENTS = ["Hello there.", "Um, the the report is late.", "Scratch that.",
            "The report is ready. New paragraph.", "Thanks btw."]  # fmt: skip
WORDS = Words(rules=(Rule("btw", "by the way"),))
EXPECTED = "Hello there. The report is ready.\n\nThanks by the way."


def test_the_stages_are_kept() -> None:
    final = finalize(SEGMENTS, WORDS)
    assert final == Final(raw=raw_text(SEGMENTS), rendered=EXPECTED, text=EXPECTED)
    assert final.raw.splitlines() == SEGMENTS


def test_post_processors_run_in_order_after_the_words_and_each_stage_stays() -> None:
    seen: list[str] = []

    def shout(text: str) -> str:
        seen.append(text)
        return text.upper()

    def sign(text: str) -> str:
        seen.append(text)
        return text + "\n-- sent by voice"

    final = finalize(SEGMENTS, WORDS, [shout, sign])
    assert seen == [EXPECTED, EXPECTED.upper()]  # each step gets the text before it
    assert final.rendered == EXPECTED and final.raw == raw_text(SEGMENTS)
    assert final.text == EXPECTED.upper() + "\n-- sent by voice"
    assert final.steps == ("shout", "sign")
    assert finalize([], WORDS, [sign]).text == ""  # nothing said: no step invents text


def test_a_history_row_renders_to_the_same_final_as_the_dictation() -> None:
    kept = finalize(SEGMENTS, WORDS)
    assert finalize_raw(kept.raw, WORDS) == kept
    assert finalize(SEGMENTS, Words()).text == render(SEGMENTS, Words()) != kept.text
