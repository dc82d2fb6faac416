"""Your words in running speech: commands between commas, in lower case, and as the
recognizer mishears them; never taken out of ordinary words or phrases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.text import COMMANDS, MISHEARD, render
from app.core.words import Words

PLAIN = Words()


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        # what tiny.en wrote for espeak-ng's "..., new paragraph, ..." (see MISHEARD's note)
        (["This is the first paragraph, new paragraph, this is the second one."],
         "This is the first paragraph\n\nThis is the second one."),
        (["Dear Anna, new line, thanks for the notes."], "Dear Anna\nThanks for the notes."),
        (["Okay, new paragraph, thanks for reading."], "Okay\n\nThanks for reading."),
        (["first point; new line; second point"], "first point\nSecond point"),
        (["Send it to the team, crash that, send it to Anna."], "Send it to Anna."),
        (["Send it to the team, scratch that, send it to Anna."], "Send it to Anna."),
        (["The meeting is at noon, delete that, the meeting is at one."],
         "The meeting is at one."),
        (["Keep this.", "Drop this.", "Crash Net"], "Keep this."),
        (["Keep this.", "Drop this.", "Crap-net"], "Keep this."),
        (["Keep this.", "Drop this.", "scratch that"], "Keep this."),
        (["Keep this. Drop this, and this, scratch that."], "Keep this."),
        (["Hello, um, new paragraph, bye."], "Hello\n\nBye."),
        (["New paragraph, this starts it."], "\n\nThis starts it."),
        (["Buy milk, new line."], "Buy milk\n"),
    ],
)  # fmt: skip
def test_commands_set_apart_by_commas_or_in_lower_case(segments: list[str], expected: str) -> None:
    assert render(segments, PLAIN) == expected


@pytest.mark.parametrize(
    "said",
    [
        "The new line manager starts today.",
        "Buy milk and eggs new line buy some bread.",  # no commas: not set apart
        "I need to scratch that itch.",
        "Please delete that file, then call me.",
        "A new paragraph, I think, would help.",
        "The app may crash now, so save often.",  # heard for "scratch that", but a phrase
        "Crash mode, as they call it.",
    ],
)
def test_commands_among_other_words_are_words(said: str) -> None:
    assert render([said], PLAIN) == said


def test_with_commands_off_nothing_is_a_command() -> None:
    said = "First, new paragraph, second, scratch that, third."
    assert render([said], Words(commands=False)) == said


def test_every_mishearing_is_a_scratch() -> None:
    for heard in MISHEARD:
        assert render(["Keep this.", "Drop this.", heard.capitalize() + "."], PLAIN) == (
            "Keep this."
        )


# --- a command word inside a longer word is never eaten --------------------------------

COMMAND_WORDS = sorted({w for c in [*COMMANDS, *MISHEARD] for w in c.split()})
letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=4)
ordinary = st.sampled_from(["the", "manager", "report", "today", "we", "will", "send", "it"])


@st.composite
def _glued(draw: st.DrawFn) -> tuple[list[str], str]:
    """A sentence where one command's words are each glued to letters on some side, so the
    command's letters are all there but never as whole words."""
    command = draw(st.sampled_from([*COMMANDS, *MISHEARD]))
    glued = []
    for word in command.split():
        side = draw(st.sampled_from(["before", "after", "both"]))
        before = draw(letters) if side in ("before", "both") else ""
        after = draw(letters) if side in ("after", "both") else ""
        glued.append(before + word + after)
    head = draw(st.lists(ordinary, max_size=3))
    tail = draw(st.lists(ordinary, max_size=3))
    comma = draw(st.booleans())
    parts = [" ".join(head), " ".join(glued), " ".join(tail)]
    sentence = (", " if comma else " ").join(p for p in parts if p)
    return glued, sentence[:1].upper() + sentence[1:] + "."


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_glued())
def test_a_command_word_inside_a_longer_word_is_never_eaten(case: tuple[list[str], str]) -> None:
    glued, sentence = case
    if " ".join(glued).lower() in {*COMMANDS, *MISHEARD}:
        return  # the letters made a command again ("scratch" + "ed" ...): not this property
    out = render([sentence], Words(remove_fillers=False))
    for word in glued:
        assert word.lower() in out.lower(), (sentence, out)
    assert "\n" not in out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(ordinary, min_size=1, max_size=5), st.sampled_from(sorted(COMMANDS)))
def test_a_command_inside_a_phrase_is_never_eaten(head: list[str], command: str) -> None:
    """A command with other words in its clause stays words, on either side."""
    for said in (f"{' '.join(head)} {command}.", f"{command} {' '.join(head)}."):
        sentence = said[:1].upper() + said[1:]
        assert render([sentence], Words(remove_fillers=False)) == sentence
