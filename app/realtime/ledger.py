"""Where a dictation's audio stands with the server: the bookkeeping behind "no lost words".

Positions are byte offsets into the dictation's audio. `pending` holds the commits not
answered yet, `sent` those of them already sent on the current connection (a prefix, in
order), `items` the item ids our engine announced for them. `confirmed` is how far the
completed segments reach: after a drop the next connection replays from there, and commits
still pending are sent again at their places. Pure logic; the client calls it under its lock.
"""

from __future__ import annotations

from collections import deque

from app.realtime.protocol import BYTES_PER_MS, SAMPLE_RATE


class CommitLedger:
    def __init__(self, *, exact: bool, min_silence_ms: int) -> None:
        self.exact = exact  # the server names the item that answers each commit
        self.min_silence_bytes = min_silence_ms * BYTES_PER_MS
        self.pending: list[int] = []
        self.sent: deque[int] = deque()
        self.items: dict[str, int] = {}
        self.confirmed = 0
        self.completed_since_commit = False

    def commit(self, position: int) -> None:
        self.pending.append(position)
        self.completed_since_commit = False

    def new_connection(self) -> int:
        """A fresh connection: nothing is sent on it yet; it starts at `confirmed`."""
        self.sent.clear()
        self.items.clear()
        return self.confirmed

    def next_unsent(self) -> int | None:
        unsent = self.pending[len(self.sent) :]
        return unsent[0] if unsent else None

    def mark_sent(self, position: int) -> None:
        """Record a commit as sent *before* its frame goes out.

        The answer can arrive on the receiver thread before the sender gets the lock back
        after `send`: recorded afterwards, `on_committed` would find no sent commit to pair
        with, drop the item, and `finish` would wait for its cap.
        """
        self.sent.append(position)

    def unmark_sent(self, position: int) -> None:
        """The frame of the newest sent commit could not be sent after all."""
        if self.sent and self.sent[-1] == position:
            self.sent.pop()
            self.items = {k: v for k, v in self.items.items() if v != position}

    @property
    def all_sent(self) -> bool:
        return len(self.sent) >= len(self.pending)

    def on_committed(self, item_id: str) -> None:
        """Our engine's `input_audio_buffer.committed`: the next sent commit is that item."""
        self.exact = True
        if len(self.items) < len(self.sent):
            self.items[item_id] = self.sent[len(self.items)]

    def on_completed(
        self, item_id: str, start: float | None, duration: float | None, *, origin: int,
        cursor: int,
    ) -> None:  # fmt: skip
        """Move `confirmed` to where this segment's audio ends (never past what was sent)."""
        self.completed_since_commit = True
        if item_id in self.items:
            position = self.items.pop(item_id)
            self._answer(position)
        elif not self.exact and self.sent and self.pending:
            position = self.sent[0]  # Together: the completed after the commit answers it
            self._answer(position)
        elif start is not None and duration is not None:
            position = origin + round((start + duration) * SAMPLE_RATE) * 2
        else:
            # No timing from the server: its VAD needed at least min_silence of quiet after
            # the segment, so everything sent until that long ago is covered.
            position = cursor - self.min_silence_bytes
        self.confirmed = min(max(self.confirmed, position), cursor)

    def on_failed_item(self, item_id: str | None) -> None:
        """A failed segment that answers a commit still answers it."""
        if item_id and item_id in self.items:
            self._answer(self.items.pop(item_id))

    def _answer(self, position: int) -> None:
        if position in self.pending:
            self.pending.remove(position)
        if self.sent and self.sent[0] == position:
            self.sent.popleft()
            self.items = {k: v for k, v in self.items.items() if v != position}
