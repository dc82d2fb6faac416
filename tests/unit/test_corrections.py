"""Corrections learned from edits: word fixes suggested, promoted to rules when made again."""

from __future__ import annotations

from app.core.words import Rule
from app.dictation.corrections import (
    PROMOTE_AFTER,
    Suggestion,
    changes,
    describe,
    learn,
    stored,
    suggestions_from,
)


def test_the_words_that_changed_are_the_suggestion() -> None:
    assert changes("Please send the report to New Year.", "Please send the report to Nguyen.") == [
        ("new year", "Nguyen")
    ]
    assert changes("Ask Shivon, then Kubernetis.", "Ask Siobhan, then Kubernetes.") == [
        ("shivon", "Siobhan"), ("kubernetis", "Kubernetes")
    ]  # fmt: skip


def test_rewrites_capitals_and_punctuation_teach_nothing() -> None:
    assert changes("the report is late", "The report is late.") == []  # a sentence's capital
    assert changes("Send it to the whole team today.",
                   "Could you forward this to everyone by the end of the day?") == []  # fmt: skip
    assert changes("same text", "same text") == []


def test_a_fix_made_again_becomes_a_rule() -> None:
    first = learn("Send it to New Year.", "Send it to Nguyen.", [], ())
    assert first.promoted == [] and first.seen == [Suggestion("new year", "Nguyen", 1)]
    assert "suggested" in describe(first)
    kept = suggestions_from(stored(first.suggestions))  # through the settings file
    second = learn("New Year called.", "Nguyen called.", kept, ())
    assert PROMOTE_AFTER == 2
    assert second.promoted == [Rule("new year", "Nguyen")] and second.suggestions == []
    assert "is now written" in describe(second)


def test_a_fix_that_is_a_rule_already_is_not_suggested() -> None:
    done = learn("To New Year.", "To Nguyen.", [], (Rule("new year", "Nguyen"),))
    assert done.seen == [] and done.promoted == []


def test_malformed_stored_suggestions_are_skipped() -> None:
    raw = [["a", "b", 1], ["", "b", 1], ["a", 2, 1], "x", ["c", "d"], ["e", "f", 3]]
    assert suggestions_from(raw) == [Suggestion("a", "b", 1), Suggestion("e", "f", 3)]
    assert suggestions_from("nonsense") == []
