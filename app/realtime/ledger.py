"""Where a dictation's audio stands with the server: the bookkeeping behind "no lost words".

Positions are byte offsets into the dictation's audio. `pending` holds the commits not
answered yet, `sent` those of them already sent on the current connection (a prefix, in
order), `items` the item ids our engine announced for them. `confirmed` is how far the
completed segments reach: after a drop the next connection replays from there, and commits
still pending are sent again at their places. Pure logic; the client calls it under its lock.

Which `completed` answers a commit: our engine names its item (`committed`). A server that
does not (Together; our engine behind a custom URL until its first `committed`) also sends
VAD segments' `completed`, and one can arrive between a commit and its answer. With
`start`/`duration` the answer is the one whose audio reaches the commit's position; without
them nothing tells, so the first `completed` after a commit is taken as its answer but
`confirmed` moves only as far as a VAD segment would take it, and `guessed` tells the
finishing rule to wait for a quiet period as well.
"""

from __future__ import annotations

from collections import deque

from app.realtime.protocol import BYTES_PER_MS, SAMPLE_RATE

# A server's seconds come rounded (ours to the millisecond): an end this close to a commit's
# position reaches it.
REACH_TOLERANCE = 2 * BYTES_PER_MS


class CommitLedger:
    def __init__(self, *, exact: bool, min_silence_ms: int) -> None:
        self.exact = exact  # the server names the item that answers each commit
        self.min_silence_bytes = min_silence_ms * BYTES_PER_MS
        self.pending: list[int] = []
        self.sent: deque[int] = deque()
        self.items: dict[str, int] = {}
        self.confirmed = 0
        self.guessed = False  # the latest commit was answered by an untimed `completed`

    def commit(self, position: int) -> None:
        self.pending.append(position)

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
        # No timing from the server: its VAD needed at least min_silence of quiet after the
        # segment, so everything sent until that long ago is covered.
        position = cursor - self.min_silence_bytes
        if start is not None and duration is not None:
            position = origin + round((start + duration) * SAMPLE_RATE) * 2
        if item_id in self.items:
            position = self.items.pop(item_id)
            self._answer(position)
        elif not self.exact and self.sent:
            commit = self.sent[0]
            if start is None or duration is None:
                self._answer(commit)  # nothing tells: taken as the commit's answer, but
                self.guessed = True  # `confirmed` moves only as for a VAD segment
                position = min(position, commit)
            elif position >= commit - REACH_TOLERANCE:
                self._answer(commit)  # its audio reaches the commit: the commit's answer
        self.confirmed = min(max(self.confirmed, position), cursor)

    def on_failed_item(self, item_id: str | None) -> None:
        """A failed segment that answers a commit still answers it."""
        if item_id and item_id in self.items:
            self._answer(self.items.pop(item_id))

    def _answer(self, position: int) -> None:
        self.guessed = False
        if position in self.pending:
            self.pending.remove(position)
        if self.sent and self.sent[0] == position:
            self.sent.popleft()
            self.items = {k: v for k, v in self.items.items() if v != position}
