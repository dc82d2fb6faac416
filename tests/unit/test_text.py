"""The text pipeline: commands, punctuation, fillers, replacements, live partials."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.text import COMMANDS, FILLERS, raw_text, render, render_live, segments_of
from app.core.words import Rule, Words

PLAIN = Words()
RULES = (
    Rule("dictate ai", "Dictate AI"),
    Rule("my email", "jane@example.com"),
    Rule("my address", "Jane Doe\n1 Main Street\nSpringfield"),
    Rule("btw", "by the way"),
)
ALL = Words(rules=RULES, spoken_punctuation=True)


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (["Hello there.", "New paragraph.", "Next part."], "Hello there.\n\nNext part."),
        (["Hello there.", "New line.", "Next part."], "Hello there.\nNext part."),
        (["Hello there. New paragraph. Next part."], "Hello there.\n\nNext part."),
        (["New paragraph!", "Hello."], "\n\nHello."),
        (["This is right.", "This is wrong.", "Scratch that.", "Fine."], "This is right. Fine."),
        (["Keep this. Drop this. Delete that."], "Keep this."),
        (["Keep this.", "Drop this.", "Scratch that.", "Scratch that."], ""),
        (["Hello.", "New paragraph.", "Scratch that.", "World."], "Hello. World."),
        (["Scratch that."], ""),
        # Inside a sentence a command is ordinary words.
        (["The new line manager is here."], "The new line manager is here."),
        (["Please scratch that itch."], "Please scratch that itch."),
        (["I started a new paragraph, then stopped."], "I started a new paragraph, then stopped."),
        (["We need a new line"], "We need a new line"),
    ],
)
def test_spoken_commands(segments: list[str], expected: str) -> None:
    assert render(segments, PLAIN) == expected


def test_commands_can_be_switched_off() -> None:
    segments = ["Hello.", "New paragraph.", "Scratch that."]
    assert render(segments, Words(commands=False)) == "Hello. New paragraph. Scratch that."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, I think so.", "I think so."),
        ("I, uh, think so.", "I, think so."),
        ("I think, um.", "I think."),
        ("Uh, uh, well.", "Well."),
        ("I I think so.", "I think so."),
        ("I, I, I think so.", "I think so."),
        ("The the cat sat.", "The cat sat."),
        ("He had had enough.", "He had had enough."),
        ("I know that that is true.", "I know that that is true."),
        ("It was very very good.", "It was very very good."),
        ("Uhuru carried an umbrella to Erma.", "Uhuru carried an umbrella to Erma."),
        ("Hmm.", ""),
        ("Ask the ER, um, now.", "Ask the ER, now."),
    ],
)
def test_fillers_and_stutters(text: str, expected: str) -> None:
    assert render([text], PLAIN) == expected
    assert render([text], Words(remove_fillers=False)) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello comma world period", "hello, world."),
        ("Hello, comma, world period. How are you question mark", "Hello, world. How are you?"),
        ("is it done question mark yes period", "is it done? Yes."),
        ("Full stop.", "."),
        ("The period of time.", "The. Of time."),  # the option means what it says
    ],
)
def test_spoken_punctuation(text: str, expected: str) -> None:
    assert render([text], Words(spoken_punctuation=True)) == expected
    assert render([text], PLAIN) == text


def test_punctuation_said_after_a_pause_joins_the_previous_segment() -> None:
    assert render(["Hello", "comma", "world"], Words(spoken_punctuation=True)) == "Hello, world"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I use dictate ai daily.", "I use Dictate AI daily."),
        ("Dictate, AI is great.", "Dictate AI is great."),
        ("Send it to my email.", "Send it to jane@example.com."),
        ("My email is below.", "jane@example.com is below."),
        ("Btw it works.", "By the way it works."),
        ("btw it works.", "by the way it works."),
        ("The abtw and btwx words.", "The abtw and btwx words."),
        ("Ship to my address.", "Ship to Jane Doe\n1 Main Street\nSpringfield."),
    ],
)
def test_replacements_and_snippets(text: str, expected: str) -> None:
    assert render([text], Words(rules=RULES)) == expected


def test_the_longest_spoken_form_wins_and_the_first_duplicate_counts() -> None:
    rules = (Rule("new york", "NYC"), Rule("new york city", "New York City"), Rule("NYC", "x"))
    assert render(["I love new york city."], Words(rules=rules)) == "I love New York City."


def test_a_snippet_is_not_touched_by_the_filler_step() -> None:
    rules = (Rule("sig", "um, the the team"),)
    assert render(["Thanks, sig"], Words(rules=rules)) == "Thanks, um, the the team"


def test_live_partial_goes_through_the_same_rules() -> None:
    words = Words(rules=RULES)
    assert render_live(["Hello there."], "um, btw new paragraph", words) == (
        "Hello there.",
        "by the way new paragraph",
    )
    assert render_live(["Hello there."], "New paragraph.", words) == ("Hello there.", "\n\n")
    assert render_live(["Hello.", "Wrong."], "Scratch that.", words) == ("Hello.", "")
    assert render_live(["Hello."], "", words) == ("Hello.", "")


def test_raw_text_keeps_segment_boundaries() -> None:
    segments = ["Hello there.", "New paragraph.", "Bye."]
    raw = raw_text(segments)
    assert segments_of(raw) == segments
    assert render(segments_of(raw), PLAIN) == render(segments, PLAIN)


# --- properties -----------------------------------------------------------------------

NORMAL = ["hello", "world", "Uhuru", "umbrella", "line", "new", "that", "scratch", "delete",
          "paragraph", "the", "manager", "I", "think", "period", "comma", "dictate", "ai",
          "email", "my", "um", "uh", "btw", "3.5", "ER", "had"]  # fmt: skip
word = st.sampled_from(NORMAL)
sentence = (
    st.lists(word, min_size=1, max_size=8).map(" ".join).map(lambda s: s[:1].upper() + s[1:] + ".")
)
command = st.sampled_from([c.capitalize() + "." for c in COMMANDS])
segment = st.lists(st.one_of(sentence, command), min_size=1, max_size=3).map(" ".join)
segments = st.lists(segment, max_size=6)
words_config = st.builds(
    Words,
    rules=st.sampled_from([(), RULES]),
    commands=st.booleans(),
    spoken_punctuation=st.booleans(),
    remove_fillers=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(segments, words_config)
def test_rendering_the_written_text_again_changes_nothing(segs: list[str], words: Words) -> None:
    """Replacements, snippets and fillers are about text: applied to their own output they
    change nothing. Commands and spoken punctuation are about speech: "Scratch that period."
    is written "Scratch that.", which is not something said, so they do not apply again."""
    once = render(segs, words)
    written = replace(words, commands=False, spoken_punctuation=False)
    assert render([once], written) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(sentence, max_size=6))
def test_empty_rules_change_nothing_but_spacing(segs: list[str]) -> None:
    nothing = Words(commands=False, remove_fillers=False)
    assert render(segs, nothing) == " ".join(s.strip() for s in segs if s.strip())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(word, min_size=2, max_size=8).map(" ".join), max_size=5))
def test_a_command_never_eats_a_normal_word(segs: list[str]) -> None:
    """Sentences of several words are never commands, whatever words they hold."""
    segs = [s for s in segs if s.lower() not in COMMANDS]
    on = Words(commands=True, remove_fillers=False)
    off = Words(commands=False, remove_fillers=False)
    assert render(segs, on) == render(segs, off)


@settings(max_examples=200, deadline=None)
@given(st.lists(word, min_size=1, max_size=12).map(" ".join))
def test_fillers_only_ever_remove_fillers_and_repeats(text: str) -> None:
    out = render([text], Words(commands=False)).split()
    kept = [w for w in text.split() if w.lower() not in FILLERS]
    assert [w.lower() for w in out] == [
        w.lower()
        for i, w in enumerate(kept)
        if i == 0 or w.lower() != kept[i - 1].lower() or w.lower() not in {"i", "the", "my"}
    ]
