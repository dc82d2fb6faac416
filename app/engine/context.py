"""What carries over between a session's segments: recent text, and word-boundary cuts.

Each segment is decoded alone, so without help a sentence continued in the next segment
starts in lower case or loses its punctuation. `Context` keeps the session's recent completed
text and offers it as the decoder's prompt, after the user's own prompt (the vocabulary),
which must stay first. It is dropped after a long pause (the next words need not continue
these) and after a final that was empty or looked looped (a bad prompt makes the next decode
worse, not better). `words_before` decides where a cut made in running speech really ends a
segment: after the last word that ends well before the cut, so no word is split.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from app.engine.decode import Word, looks_looped
from app.realtime.protocol import SAMPLE_RATE

# How much recent text prompts each decode; 0 turns the context off (to measure without it).
CONTEXT_CHARS = int(os.environ.get("DICTATE_CONTEXT_CHARS", "200"))
LONG_PAUSE = 5 * SAMPLE_RATE  # samples of pause after which the context is not used
# A word that ends closer than this to a cut in running speech may be cut off (and its
# timing is only good to a few tens of ms): it is left to the next segment.
CUT_MARGIN_S = 0.3


class Context:
    """The recent completed text of one session, and where it ended (sample index)."""

    def __init__(self, chars: int = CONTEXT_CHARS) -> None:
        self.chars = chars
        self.text = ""
        self.end = 0

    def completed(self, text: str, end: int) -> None:
        if not text or looks_looped(text):
            self.text = ""
        else:
            joined = f"{self.text} {text}".strip()
            if len(joined) > self.chars:
                joined = joined[-self.chars :]
                joined = joined.split(" ", 1)[1] if " " in joined else ""
            self.text = joined
        self.end = end

    def prompt(self, user_prompt: str | None, start: int) -> str | None:
        """The prompt for a decode of audio from `start`: the user's first, then recent text."""
        recent = self.recent(start)
        return " ".join(p.strip() for p in (user_prompt, recent) if p and p.strip()) or None

    def recent(self, start: int) -> str | None:
        """The recent text that prompts a decode of audio from `start` (None after a pause)."""
        return (
            self.text if self.chars > 0 and start - self.end <= LONG_PAUSE and self.text else None
        )

    def clear(self) -> None:
        self.text = ""


def words_before(words: Sequence[Word], clip_s: float) -> tuple[str, float] | None:
    """The text of the words ending at least `CUT_MARGIN_S` before the end of a clip cut in
    running speech, and where the segment should end (seconds into the clip); None when no
    word qualifies (then the cut stands as it is)."""
    kept: list[Word] = []
    for word in words:
        if word.end > clip_s - CUT_MARGIN_S:
            break
        kept.append(word)
    if not kept:
        return None
    following = words[len(kept)] if len(kept) < len(words) else None
    boundary = kept[-1].end
    if following is not None and following.start > boundary:
        boundary = (boundary + following.start) / 2
    return "".join(w.text for w in kept).strip(), boundary
