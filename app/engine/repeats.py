"""A phrase written twice that the audio said once: found, judged by word timings, removed.

Whisper, given a short clip followed by silence (the encoder window is padded), sometimes
writes the clip's phrase a second time: "Fail again. Fail again." for one "Fail again."
Whether that happens depends on where the clip ends to a few tens of milliseconds, and on
the prompt, which is why the same audio doubled a phrase when it arrived faster than real
time (other clip ends, other prompts) and not at real time. A person can say a phrase twice,
though ("try again, try again"), so a repeat alone proves nothing: the audio decides. The
alignment of the two copies shows it: a copy the speaker said takes as long as the other
one, while a written-in copy is squeezed into what is left of the clip (words of zero or a
few frames). `squeezed_copy` says which copy the audio cannot hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.decode import Word

MIN_PHRASE = 2  # "had had", "very very": a single word said twice is often meant
MAX_PHRASE = 12
# A copy the speaker said lasts at least this share of the other copy...
MIN_SPAN_RATIO = 0.5
# ...and at least this long per word (no one says words in under 80 ms each).
MIN_WORD_S = 0.08

_WORD = re.compile(r"[^\w']+")


def _norm(text: str) -> str:
    return _WORD.sub("", text.lower())


def content(words: Sequence[str]) -> list[tuple[int, str]]:
    """(index, normalised word) of each word that is not only punctuation."""
    return [(i, n) for i, w in enumerate(words) if (n := _norm(w))]


@dataclass(frozen=True)
class Repeat:
    """Two copies back to back: content words [first, first + n) and [first + n, first + 2n)."""

    first: int
    n: int


def repeated_phrase(words: Sequence[str]) -> Repeat | None:
    """The longest phrase of `MIN_PHRASE` or more words said twice in a row, if any."""
    norm = [n for _, n in content(words)]
    for n in range(min(MAX_PHRASE, len(norm) // 2), MIN_PHRASE - 1, -1):
        for i in range(len(norm) - 2 * n + 1):
            if norm[i : i + n] == norm[i + n : i + 2 * n]:
                return Repeat(i, n)
    return None


def has_repeat(text: str) -> bool:
    return repeated_phrase(text.split()) is not None


def squeezed_copy(words: Sequence[Word]) -> list[Word] | None:
    """`words` without the copy of a repeated phrase that the audio cannot hold; None when
    there is no repeat or both copies took the time a person needs to say them."""
    found = repeated_phrase([w.text for w in words])
    if found is None:
        return None
    index = [i for i, _ in content([w.text for w in words])]
    a = index[found.first : found.first + found.n]
    b = index[found.first + found.n : found.first + 2 * found.n]
    span_a = words[a[-1]].end - words[a[0]].start
    span_b = words[b[-1]].end - words[b[0]].start
    shortest = min(span_a, span_b)
    if shortest >= MIN_SPAN_RATIO * max(span_a, span_b) and shortest >= MIN_WORD_S * found.n:
        return None  # both copies were said
    # Drop the squeezed copy. A second copy goes with the punctuation before it, so the
    # copy kept ends as the dropped one did ("Fail again, fail again." -> "Fail again.");
    # a first copy goes with what follows it, and the kept copy takes its capital.
    if span_b <= span_a:
        return [*words[: a[-1] + 1], *words[b[-1] + 1 :]]
    kept = [*words[: a[0]], *words[b[0] :]]
    first = words[b[0]]
    if words[a[0]].text.strip()[:1].isupper():
        lead = len(first.text) - len(first.text.lstrip())
        text = first.text[:lead] + first.text[lead:][:1].upper() + first.text[lead + 1 :]
        kept[a[0]] = Word(text, first.start, first.end)
    return kept


def text_of(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()
