"""A dictation's text: its completed segments, joined as PROTOCOL.md says, plus the live delta.

Together's deltas are the whole text so far of the open segment (not increments), so the live
part is replaced, never appended to. After a `completed` the next delta starts from empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def join_segments(segments: list[str], *, as_sent: bool = False) -> str:
    """Whisper segments get one space between them unless the next starts with whitespace;
    streaming models that cut mid-word (`as_sent`) are joined exactly as sent."""
    if as_sent:
        return "".join(segments)
    out = ""
    for text in segments:
        if not text.strip():
            continue
        if out and not text[:1].isspace():
            out += " "
        out += text
    return out.strip()


@dataclass
class Transcript:
    """Mutable, owned by one thread at a time (the client's receiver, or the GUI).

    Live text is kept per segment (`item_id`): our engine sends the next segment's deltas
    while the previous segment's final is still being decoded, so that the speaker's words
    keep showing; each segment's live text goes when its `completed` comes. Deltas without
    an item id (older servers) all belong to one open segment."""

    segments: list[str] = field(default_factory=list)
    as_sent: bool = False
    _live: dict[str | None, str] = field(default_factory=dict)

    @property
    def live(self) -> str:
        """The open segments' latest deltas, in the order they opened."""
        return join_segments(list(self._live.values()), as_sent=self.as_sent)

    def on_delta(self, text: str, item_id: str | None = None) -> None:
        self._live[item_id] = text

    def on_completed(self, text: str, item_id: str | None = None) -> None:
        if text:
            self.segments.append(text)
        self._settle(item_id)

    def _settle(self, item_id: str | None) -> None:
        """A segment is done: its live text goes (and, for a server that names no items,
        the one open segment's)."""
        self._live.pop(item_id, None)
        self._live.pop(None, None)

    def drop_live(self, item_id: str | None = None) -> None:
        """The open segments' partials are void (a reconnect replays their audio), or one
        segment's (it completed with no text)."""
        if item_id is None:
            self._live.clear()
        else:
            self._settle(item_id)

    @property
    def final_text(self) -> str:
        return join_segments(self.segments, as_sent=self.as_sent)

    @property
    def text(self) -> str:
        """What to show: final text and the live partials after it."""
        return join_segments([*self.segments, *self._live.values()], as_sent=self.as_sent)
