"""The vocabulary after recognition: near-misses become the entry, ordinary words stay."""

from __future__ import annotations

import pytest

from app.core.near import correct_vocabulary, near, sound_key
from app.core.text import render
from app.core.words import Words

VOCABULARY = ("Kubernetes", "Dmitri", "Meghan", "Tchaikovsky", "PyTorch", "Dictate AI",
              "Katherine", "Mandy", "Freddie", "Sandie", "Granada", "Nguyen")  # fmt: skip


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        ("We deploy on Kubernetis today.", "We deploy on Kubernetes today."),
        ("Train it with pie torch.", "Train it with PyTorch."),
        ("Ask Megan first.", "Ask Meghan first."),
        ("Play Chaikovsky, please.", "Play Tchaikovsky, please."),
        ("It is dictate ai.", "It is Dictate AI."),  # the entry's own case
        ("Katherin said so.", "Katherine said so."),
    ],
)
def test_a_near_miss_of_an_entry_is_written_as_the_entry(heard: str, written: str) -> None:
    assert correct_vocabulary(heard, VOCABULARY) == written
    assert render([heard], Words(vocabulary=VOCABULARY)) == written


# Ordinary words, many of them one or two letters from an entry above ("Monday" / "Mandy",
# "Friday" / "Freddie", "Sunday" / "Sandie", "Canada" / "Granada"): never replaced.
ORDINARY = """Friday Monday Sunday Saturday Tuesday Thursday Wednesday January February March
April June July August September October November December today tomorrow yesterday
morning evening meeting report manager Canada Grenade garden candy handy sandy dandy
Freddy ready really family finally Tuesday mandate dictate dictates dictator dictation
katharsis cathedral pitch torch porch python pictures Megabyte began began again
Nguyen new young newer cube cubes Cuban computer community kitchen chicken""".split()  # noqa: SIM905


def test_ordinary_words_are_never_replaced() -> None:
    text = " ".join(ORDINARY) + "."
    assert correct_vocabulary(text, VOCABULARY) == text
    for word in ORDINARY:
        assert correct_vocabulary(f"On {word} we met.", VOCABULARY) == f"On {word} we met."


def test_sound_and_spelling_must_both_agree() -> None:
    assert sound_key("Kubernetis") == sound_key("Kubernetes")
    assert near("Kubernetis", "Kubernetes")
    assert not near("Friday", "Freddie")  # the same sound key, spelled too differently
    assert not near("Monday", "Mandy")  # one letter in three differs
    assert near("Pietorch", "PyTorch", split=True)  # heard as two words: "pie torch"
    assert not near("Grenade", "Granada")
    assert near("Grenade", "Granada", split=True)  # the looser bar for a split name
    assert not near("Kubes", "Kubernetes")  # not the same sound
    assert not near("Nguyen", "Nguyen")  # the entry itself is no near-miss


def test_without_a_vocabulary_nothing_changes() -> None:
    assert correct_vocabulary("Kubernetis on Friday.", ()) == "Kubernetis on Friday."


def test_words_set_apart_by_punctuation_are_not_one_name() -> None:
    assert correct_vocabulary("Pie, torch.", ("PyTorch",)) == "Pie, torch."
