"""The context a session carries between segments, and where a cut in running speech ends."""

from __future__ import annotations

from app.engine.context import LONG_PAUSE, Context, after_lead_in, words_before
from app.engine.decode import Word, looks_looped


def test_the_recent_text_is_cut_at_a_word() -> None:
    ctx = Context(chars=30)
    ctx.completed("we walked along the river on a cold morning", 16000)
    ctx.completed("and talked about the plans", 32000)
    assert ctx.recent(32000) == "and talked about the plans"  # whole words only


def test_the_context_is_dropped_after_a_long_pause_a_looped_or_an_empty_final() -> None:
    ctx = Context()
    ctx.completed("the team has been working on the report", 16000)
    assert ctx.recent(16000 + LONG_PAUSE + 1) is None
    assert ctx.recent(20000) == "the team has been working on the report"
    ctx.completed("Fairly. Fairly. Fairly. Fairly", 40000)
    assert ctx.recent(40000) is None
    ctx.completed("for several weeks", 50000)
    ctx.completed("", 60000)
    assert ctx.recent(60000) is None
    assert Context(chars=0).recent(0) is None


def test_a_cut_in_running_speech_keeps_the_words_that_end_well_before_it() -> None:
    words = [Word(" the", 0.0, 0.3), Word(" town", 0.3, 0.6), Word(" wants", 0.6, 1.05)]
    assert words_before(words, 1.2) == ("the town", 0.6)
    gap = [Word(" a", 0.0, 0.2), Word(" pond", 0.4, 0.9)]
    text, boundary = words_before(gap, 1.0) or ("", 0.0)
    assert text == "a" and abs(boundary - 0.3) < 1e-9  # halfway into the silence
    assert words_before([Word(" long", 0.0, 1.0)], 1.1) is None


def test_the_next_segment_drops_only_the_words_the_previous_one_kept() -> None:
    # The clip began 0.3 s before the cut: its first word's start is stretched back to the
    # clip's edge, so only ends tell what was said in the lead-in.
    echo = [Word(" town", 0.0, 0.31), Word(" wants", 0.31, 0.62), Word(" to", 0.62, 0.8)]
    assert [w.text for w in after_lead_in(echo, 0.3, "library that the town")] == [
        " wants",
        " to",
    ]
    stretched = [Word(" study", 0.0, 0.4), Word(" and", 0.4, 0.8)]
    assert after_lead_in(stretched, 0.3, "while they") == stretched  # not an echo: kept
    fragment = [Word(" n", 0.0, 0.29), Word(" wants", 0.29, 0.6)]
    assert [w.text for w in after_lead_in(fragment, 0.3, "the town")] == [" wants"]


def test_short_loops_are_loops_and_dictation_is_not() -> None:
    assert looks_looped("Fairly. Fairly. Fairly. Fairly")
    assert looks_looped("we go we go we go")
    assert not looks_looped("no no no")
    assert not looks_looped("The quick brown fox jumps over the lazy dog.")
