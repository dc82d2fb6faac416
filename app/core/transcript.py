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
    """Mutable, owned by one thread at a time (the client's receiver, or the GUI)."""

    segments: list[str] = field(default_factory=list)
    live: str = ""
    as_sent: bool = False

    def on_delta(self, text: str) -> None:
        self.live = text

    def on_completed(self, text: str) -> None:
        self.segments.append(text)
        self.live = ""

    def drop_live(self) -> None:
        """The open segment's partial is void (a reconnect replays its audio)."""
        self.live = ""

    @property
    def final_text(self) -> str:
        return join_segments(self.segments, as_sent=self.as_sent)

    @property
    def text(self) -> str:
        """What to show: final text and the live partial after it."""
        return join_segments([*self.segments, self.live], as_sent=self.as_sent)
