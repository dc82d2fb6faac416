"""What of a dictation's audio goes up the socket next, and what a new connection replays.

The client's promise of no lost words and nothing doubled rests on this bookkeeping alone,
so it lives apart from the threads and the socket, where tests can drive every interleaving
of appends, sends, commits, answers and drops directly (tests/unit/test_uplink.py).

Positions are byte offsets into the dictation's audio: the `CommitLedger` says how far the
completed segments reach (`confirmed`) and which commits are still unanswered. The audio is
kept whole (`audio`) for a caller that wants it back (the app saves a dictation's audio for
Retry). A caller that has it already (a file) sets `return_audio=False`: then only what is not
confirmed is kept (`audio` starts at `base`), and a long silence is committed
(`commit_silence`) so that even a recording without a word is let go of as it streams, and
memory does not grow with the recording's length.

Each connection starts at `confirmed` (`origin`) and `cursor` is how far it has been sent.
`next_frame` cuts the unsent audio into appends of `min_chunk`..`max_chunk` and puts each
commit at its place, recording the frame as sent *before* it goes out (the server's answer can
beat `send`'s return); `unsend` takes a frame back when its send failed.

Pure logic, no threads, no sockets: the client calls it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.realtime.config import ClientConfig
from app.realtime.ledger import CommitLedger
from app.realtime.protocol import BYTES_PER_MS, SAMPLE_RATE, AppendAudio, Commit, TurnDetection

SECOND = 1000 * BYTES_PER_MS
SILENCE_COMMIT = 30 * SECOND  # unconfirmed audio, ending in a quiet second: commit it
QUIET_RMS = 330  # -40 dBFS: under this for a whole second is a pause, not a word
TRIM_STEP = SECOND  # confirmed audio is let go of a second or more at a time


@dataclass(frozen=True)
class Frame:
    """One message to send, with what it moved, so that a failed send can be taken back."""

    message: AppendAudio | Commit
    start: int  # where in the dictation's audio the message's audio begins
    size: int = 0  # the bytes of audio it carries; 0 for a commit
    commit: int | None = None  # for a commit: its position in the audio


class Uplink:
    """The dictation's audio, how far this connection has been sent, and the commit ledger."""

    def __init__(
        self, ledger: CommitLedger, *, min_chunk_ms: int, max_chunk_ms: int,
        return_audio: bool = True,
    ) -> None:  # fmt: skip
        if max_chunk_ms <= 0:  # appends without audio would never bring the cursor along
            raise ValueError(f"max_chunk_ms must be positive, not {max_chunk_ms}")
        self.ledger = ledger
        self.min_chunk = min_chunk_ms * BYTES_PER_MS
        self.max_chunk = max_chunk_ms * BYTES_PER_MS
        self.return_audio = return_audio  # False: only the unconfirmed audio is kept
        self.audio = bytearray()
        self.base = 0  # where `audio` starts in the dictation's audio
        self.origin = 0  # where this connection's audio starts: `confirmed` when it opened
        self.cursor = 0  # how far this connection has been sent (or is being sent)

    @classmethod
    def for_config(cls, config: ClientConfig) -> Uplink:
        """Our engine names the item answering each commit (`commit_ack`); for servers that do
        not, the ledger needs the VAD's minimum silence to stay on the safe side."""
        td = config.turn_detection or TurnDetection()
        ledger = CommitLedger(
            exact=bool(config.commit_ack), min_silence_ms=td.min_silence_duration_ms
        )
        return cls(ledger, min_chunk_ms=config.min_chunk_ms, max_chunk_ms=config.max_chunk_ms,
                   return_audio=config.return_audio)  # fmt: skip

    # --- the caller's side -------------------------------------------------------------

    def append(self, pcm: bytes) -> None:
        """Add s16le audio; an odd trailing byte is dropped so samples never shift."""
        self.audio += pcm[: len(pcm) // 2 * 2]

    def commit(self) -> None:
        """Everything appended so far is to be finalized."""
        self.ledger.commit(self.end)

    def commit_silence(self, live: str) -> bool:
        """With `return_audio` off: commit when nothing is open (no live text, no commit
        unanswered) and `SILENCE_COMMIT` of audio is unconfirmed, ending in a quiet second:
        a commit there cuts no word. Its answer, an empty `completed` for silence, confirms
        the audio so that it can be let go of. True if it committed."""
        unconfirmed = self.end - self.ledger.confirmed
        if self.return_audio or live or self.ledger.pending or unconfirmed < SILENCE_COMMIT:
            return False
        if not _quiet(self.audio[-SECOND:]):
            return False
        self.commit()
        return True

    def kept_audio(self) -> bytes:
        """The whole audio, for a caller that wants it back; empty for one that does not."""
        return bytes(self.audio) if self.return_audio else b""

    @property
    def end(self) -> int:
        """The length of the dictation's audio so far."""
        return self.base + len(self.audio)

    @property
    def seconds(self) -> float:
        return self.end / 2 / SAMPLE_RATE

    @property
    def needs_connection(self) -> bool:
        """Audio not sent on this connection, or a commit not answered yet."""
        return self.cursor < self.end or bool(self.ledger.pending)

    # --- the connection's side ---------------------------------------------------------

    def new_connection(self) -> int:
        """A fresh connection: it replays from `confirmed`, and unanswered commits go again."""
        self.origin = self.cursor = self.ledger.new_connection()
        return self.origin

    def next_frame(self) -> Frame | None:
        """The next message to send, already recorded as sent; None while there is nothing.

        Audio goes in appends of at least `min_chunk` (fewer, larger appends cost the server
        less) and at most `max_chunk`, except that the audio before a commit goes out whatever
        its size, so that the commit finalizes exactly the audio appended before it.
        """
        next_commit = self.ledger.next_unsent()
        limit = next_commit if next_commit is not None else self.end
        available = limit - self.cursor
        if available > 0 and (available >= self.min_chunk or next_commit is not None):
            start, size = self.cursor, min(available, self.max_chunk)
            self.cursor += size
            at = start - self.base
            return Frame(AppendAudio(bytes(self.audio[at : at + size])), start, size)
        if next_commit is not None and self.cursor >= next_commit:
            self.ledger.mark_sent(next_commit)
            return Frame(Commit(), self.cursor, commit=next_commit)
        return None

    def unsend(self, frame: Frame) -> None:
        """`frame`, the latest from `next_frame`, could not be sent: it goes out again.

        The connection is broken by then; the next one restarts from `confirmed` anyway, and
        sends the commit again at its place.
        """
        if frame.commit is not None:
            self.ledger.unmark_sent(frame.commit)
        self.cursor -= frame.size

    # --- the server's answers ----------------------------------------------------------

    def on_committed(self, item_id: str) -> None:
        self.ledger.on_committed(item_id)

    def on_completed(self, item_id: str, start: float | None, duration: float | None) -> None:
        """A segment's final text came: `confirmed` moves to where its audio ends.

        The server's `start`/`duration` count from this connection's first byte (`origin`),
        and nothing past `cursor` can have been heard.
        """
        self.ledger.on_completed(item_id, start, duration, origin=self.origin, cursor=self.cursor)
        self._let_go()

    def on_failed_item(self, item_id: str | None) -> None:
        self.ledger.on_failed_item(item_id)

    def _let_go(self) -> None:
        """With `return_audio` off: drop the confirmed audio (no connection replays it)."""
        done = min(self.ledger.confirmed, self.cursor) - self.base
        if not self.return_audio and done >= TRIM_STEP:
            del self.audio[:done]
            self.base += done


def _quiet(pcm: bytes | bytearray) -> bool:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    return not samples.size or float(np.sqrt(np.mean(samples * samples))) < QUIET_RMS
