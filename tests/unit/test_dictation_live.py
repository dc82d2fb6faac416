"""One live text: what is shown, what is settled, and what is new since the last delivery
(appended, never recovered from two renderings)."""

from __future__ import annotations

from app.core.text import render, render_live
from app.core.words import Rule, Words
from app.dictation.live import LiveText

WORDS = Words(rules=(Rule("btw", "by the way"),))


def test_shown_and_settled_follow_the_segments_and_the_partial() -> None:
    text = LiveText(WORDS)
    text.hear("hello wor")
    assert text.shown() == ("", "hello wor") and text.settled == ""
    text.settle("Hello world, btw.")
    text.hear("")
    assert text.settled == "Hello world, by the way."
    text.hear("and th")
    assert text.shown() == ("Hello world, by the way.", "and th")
    text.hear("Scratch that.")  # heard live: the whole text shows settled, nothing live
    assert text.shown() == render_live(["Hello world, btw."], "Scratch that.", WORDS) == ("", "")
    text.settle("   ")  # a segment with no words changes nothing
    assert text.segments == ("Hello world, btw.",)


def test_what_is_new_since_the_last_delivery_is_appended_piece_by_piece() -> None:
    text = LiveText(WORDS)
    assert text.take_new() == ""
    text.settle("Hello world.")
    text.hear("and th")
    assert text.take_new() == "Hello world."  # the partial is not delivered
    assert text.take_new() == ""  # nothing settled since
    text.settle("And then some.")
    text.settle("New paragraph.")
    assert text.take_new() == " And then some.\n\n"
    text.settle("Next, btw.")
    assert text.take_new() == "Next, by the way."
    assert text.delivered == text.settled == "Hello world. And then some.\n\nNext, by the way."
    assert text.rest(text.settled) == ""  # the final adds nothing: nothing more goes out


def test_words_already_delivered_are_never_diffed_against_a_rewrite() -> None:
    """ "Scratch that" after a sentence was typed cannot take it back: what the later segment
    says is appended whole, not the tail of a common prefix ("Hello world. Wrong thing.Right
    thing." with the old diff)."""
    text = LiveText(WORDS)
    text.settle("Hello world.")
    text.settle("Wrong thing.")
    assert text.take_new() == "Hello world. Wrong thing."
    text.settle("Scratch that. Right thing.")
    assert text.settled == "Hello world. Right thing."  # shown and saved without it
    assert text.take_new() == " Right thing."
    assert text.delivered == "Hello world. Wrong thing. Right thing."
    text.settle("Scratch that.")  # takes back a delivered sentence: nothing to append
    assert text.take_new() == ""


def test_the_rest_of_the_final_text_after_what_was_delivered() -> None:
    text = LiveText(WORDS)
    segments = ["First one.", "Second, btw."]
    for segment in segments:
        text.settle(segment)
    final = render(segments, WORDS)
    assert text.rest(final) == final  # nothing delivered: all of it
    text = LiveText(WORDS)
    text.settle("First one.")
    text.take_new()
    text.settle("Second, btw.")
    assert text.rest(final) == " Second, by the way."
    # A final whose start differs from what was delivered (rewritten by a later step):
    # what the undelivered segments say is appended, never a diff.
    assert text.rest("The first one. Second, by the way.") == " Second, by the way."
