"""A dictation's text while it is spoken: settled segments plus the live partial.

One object answers the three questions the app, the overlay, delivery and the command
line's live line ask, from the same segments and the same words:

- `shown()`: the settled text and the live text, as the user should see them now;
- `settled`: the text of the settled segments (what `finalize()` starts from);
- `take_new()`: what settled since the last delivery, to append at the caret.

Delivery appends; it never diffs two renderings. When a later segment rewrites words that
were already delivered ("scratch that" after a committed sentence) they cannot be taken
back: what the later segments say is appended on its own, and the rewrite shows in the
final text (history, clipboard) only. Not thread-safe: one owner (the GUI thread in the
app, the printer's lock on the command line).
"""

from __future__ import annotations

from app.core.text import join_pieces, render, render_live
from app.core.words import Words


class LiveText:
    def __init__(self, words: Words | None = None) -> None:
        self.words = words or Words()
        self._segments: list[str] = []
        self._live = ""
        self._settled = ""
        self._delivered = ""  # the settled text as it was last delivered
        self._delivered_segments = 0  # how many segments it covered

    # --- what the recognizer says ------------------------------------------------------

    def settle(self, segment: str) -> None:
        """A segment is final (`SegmentCompleted`): it joins the settled text."""
        if segment.strip():
            self._segments.append(segment)
            self._settled = render(self._segments, self.words)

    def hear(self, live: str) -> None:
        """The open segment's latest partial (`TextChanged.live`): replaces the last one."""
        self._live = live

    # --- what to show, what is settled, what is new ------------------------------------

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self._segments)

    @property
    def live(self) -> str:
        return self._live

    @property
    def settled(self) -> str:
        return self._settled

    def shown(self) -> tuple[str, str]:
        """(settled, live) after the user's words: what is shown is what will be delivered."""
        return render_live(self._segments, self._live, self.words)

    @property
    def delivered(self) -> str:
        return self._delivered

    def take_new(self) -> str:
        """What settled since the last delivery, with its separator, and mark it delivered."""
        new = self._appended(self._settled)
        self._delivered += new
        self._delivered_segments = len(self._segments)
        return new

    def rest(self, final: str) -> str:
        """What of the `final` text is still to go out after what was delivered: all of it
        when nothing was, else what follows what was delivered (see `take_new`)."""
        return self._appended(final)

    def _appended(self, text: str) -> str:
        if text.startswith(self._delivered):
            return text[len(self._delivered) :]
        # Words already delivered were rewritten: append what the later segments say.
        later = render(self._segments[self._delivered_segments :], self.words)
        if not later:
            return ""
        return join_pieces([self._delivered, later])[len(self._delivered) :]
