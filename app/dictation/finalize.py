"""THE final text of a dictation: one function, whichever path asks for it.

A dictation's end, Retry, history's *Apply my words*, the first-run test phrase and the
command line's `transcribe` / `listen` all call `finalize()` on the settled segments, so the
same segments give the same text everywhere. The text goes through an ordered list of
steps: first the user's words (`core.text`: spoken commands, punctuation, fillers, rules),
which reads the segments (a command counts only as a whole segment or sentence), then each
post-processor in turn, text in, text out (`dictation.cleanup`: a language model's
cleanup). A post-processor that cannot do its job raises `StepFallback` with the reason in
one line: its input goes on unchanged, the reason is kept in `note`, nothing is lost. Every
stage is kept: the raw recognizer text (saved in the history, so a rule change renders it
again), the rendered text, the cleaned one when a step changed it, and the final one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.text import raw_text, render, segments_of
from app.core.words import Words

PostProcessor = Callable[[str], str]
"""A step after the user's words: the text so far in, the text after this step out."""


class StepFallback(Exception):
    """A post-processor kept its input as it was; `str(exc)` says why, in one line."""


@dataclass(frozen=True)
class Final:
    """The stages of one dictation's text, each kept."""

    raw: str  # what the recognizer said, one segment a line (the history's `raw`)
    rendered: str  # after the user's words
    text: str  # after every post-processor: what is delivered, shown and saved
    steps: tuple[str, ...] = ()  # the post-processors that ran, in order
    cleaned: str = ""  # what the post-processors made of `rendered`; "" when none changed it
    note: str = ""  # why a post-processor fell back to its input (one line each), else ""

    @property
    def delivered(self) -> str:
        """Which stage `text` is: "cleaned" or "rendered"."""
        return "cleaned" if self.cleaned and self.text == self.cleaned else "rendered"


def step_name(step: PostProcessor) -> str:
    name = getattr(step, "name", None) or getattr(step, "__name__", None)
    return str(name or type(step).__name__)


def finalize(segments: Sequence[str], words: Words, post: Sequence[PostProcessor] = ()) -> Final:
    """The final text of these settled segments: the words pipeline, then `post` in order."""
    rendered = render(segments, words)
    return finalize_text(raw_text(segments), rendered, post)


def finalize_text(raw: str, rendered: str, post: Sequence[PostProcessor] = ()) -> Final:
    """The post-processors over an already rendered text (history's *Clean again*)."""
    text = rendered
    notes: list[str] = []
    for step in post:
        if not text:
            continue
        try:
            text = step(text)
        except StepFallback as exc:
            notes.append(str(exc))
    cleaned = text if text != rendered else ""
    names = tuple(step_name(s) for s in post)
    return Final(raw, rendered, text, names, cleaned, "; ".join(notes))


def finalize_raw(raw: str, words: Words, post: Sequence[PostProcessor] = ()) -> Final:
    """The same, from a history row's raw text (one segment a line)."""
    return finalize(segments_of(raw), words, post)
