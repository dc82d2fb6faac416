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
# The final of a cut in running speech is decoded with this much audio after the cut, so the
# words on both sides of it are heard whole; then the margin above is not needed.
LOOKAHEAD_S = 1.0
# ...and the next segment's final hears this much audio before the cut (see `after_lead_in`).
LEAD_IN_S = 0.3
LEAD_EXACT_S = 0.02  # word timings are good to a frame or two
LEAD_TOLERANCE_S = 0.15


class Context:
    """The recent completed text of one session, and where it ended (sample index)."""

    def __init__(self, chars: int = CONTEXT_CHARS) -> None:
        self.chars = chars
        self.text = ""
        self.end = 0

    def completed(self, text: str, end: int, *, paused: bool = False) -> None:
        """`text` was said up to `end`; `paused`: the speaker stopped after it (a full
        silence, or the release of the key). Whisper writes its prompt's style: a recent
        text of phrases without full stops makes the next phrases come without them too
        ("Ever tried Ever failed No matter"), so a phrase the speaker ended with a pause
        ends with a full stop here, in the prompt only, when the model wrote none."""
        if not text or looks_looped(text):
            self.text = ""
        else:
            text = text.strip()
            if paused and text[-1:].isalnum():
                text += "."
            joined = f"{self.text} {text}".strip()
            if len(joined) > self.chars:
                joined = joined[-self.chars :]
                joined = joined.split(" ", 1)[1] if " " in joined else ""
            self.text = joined
        self.end = end

    def recent(self, start: int) -> str | None:
        """The recent text that prompts a decode of audio from `start` (None after a pause)."""
        return (
            self.text if self.chars > 0 and start - self.end <= LONG_PAUSE and self.text else None
        )

    def clear(self) -> None:
        self.text = ""


def words_before(
    words: Sequence[Word], clip_s: float, margin_s: float = CUT_MARGIN_S
) -> tuple[str, float] | None:
    """The text of the words ending at least `margin_s` before `clip_s` (a cut in running
    speech, seconds into the clip), and where the segment should end; None when no word
    qualifies."""
    kept: list[Word] = []
    for word in words:
        if word.end > clip_s - margin_s:
            break
        kept.append(word)
    if not kept:
        return None
    following = words[len(kept)] if len(kept) < len(words) else None
    boundary = kept[-1].end
    if following is not None and following.start > boundary:
        boundary = (boundary + following.start) / 2
    return "".join(w.text for w in kept).strip(), boundary


def after_lead_in(words: Sequence[Word], lead_s: float, before: str = "") -> list[Word]:
    """The words of a clip that began `lead_s` early, without those said in that lead-in:
    leading words that end by then, or soon after and repeat one of the last words of the
    text `before` (the item before's, which kept them). A word's end is what tells: the
    first word's start is stretched back to the clip's edge by the alignment."""
    tail = {_bare(w) for w in before.split()[-3:]}
    first = 0
    for word in words:
        early = word.end <= lead_s + LEAD_EXACT_S
        echo = word.end <= lead_s + LEAD_TOLERANCE_S and _bare(word.text) in tail
        if not (early or echo or not _bare(word.text)):
            break
        first += 1
    return list(words[first:])


def _bare(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum() or c == "'")
