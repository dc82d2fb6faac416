"""What the server's answers do to a dictation, and when the dictation may end.

The receiver thread only decodes frames. What each answer means for the transcript, for the
confirmed audio (the uplink's ledger) and for the owner's events is decided here, and so is
the finishing rule: every commit answered, or no answer can come. A server that does not name
the answer to a commit may still be working through audio sent faster than real time (a file):
the quiet period that ends a dictation grows with how far the audio sent is ahead of what the
answers confirmed, so such a server is waited for, and a dead one is still left in bounded
time (the finish cap; pings find a dead connection sooner). Both are pure logic with
the time passed in, so they are tested without a socket (tests/unit/test_uplink.py); the
client calls them under its lock. A fatal failure is left to the client: whether it ends the
dictation or only this connection depends on the connection's state, which lives there.
"""

from __future__ import annotations

from app.core.transcript import Transcript
from app.realtime.events import ClientEvent, SegmentCompleted, SegmentFailed, Status, TextChanged
from app.realtime.protocol import (
    SAMPLE_RATE,
    AudioCommitted,
    ServerEvent,
    SessionCreated,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
)
from app.realtime.uplink import Uplink

# How much faster than real time a server is assumed to work through audio it has not
# answered: each second of that adds 1/CATCH_UP s to the quiet period that ends a dictation.
CATCH_UP = 10.0


class Answers:
    """The transcript and the uplink as the server's answers leave them."""

    def __init__(self, transcript: Transcript, uplink: Uplink, *, quiet_period_s: float) -> None:
        self.transcript = transcript
        self.uplink = uplink
        self.quiet_period_s = quiet_period_s
        self.created = False  # this connection's `session.created` came
        self.last_event_at = 0.0  # the latest answer, or commit: the quiet period counts from it
        self.confirmed_at = 0.0  # when the confirmed audio last moved, or a connection opened

    def new_connection(self, now: float) -> None:
        self.created = False
        self.confirmed_at = now  # a new connection replays what is not confirmed at once

    def on_event(self, event: ServerEvent, now: float) -> list[ClientEvent]:
        """Apply one answer; the events for the owner (none for a fatal failure)."""
        self.last_event_at = now
        if isinstance(event, SessionCreated):
            self.created = True
            return [Status("connected", event.model)]
        if isinstance(event, TranscriptDelta):
            self.transcript.on_delta(event.text, event.item_id)
            return [TextChanged(self.transcript.live)]
        if isinstance(event, AudioCommitted):
            self.uplink.on_committed(event.item_id)
        elif isinstance(event, TranscriptCompleted):
            return self._on_completed(event)
        elif isinstance(event, TranscriptFailed) and not event.fatal:
            self.uplink.on_failed_item(event.item_id)
            return [SegmentFailed(event.message)]
        return []

    def _on_completed(self, event: TranscriptCompleted) -> list[ClientEvent]:
        """Add the text; the ledger moves the confirmed audio along."""
        self.transcript.on_completed(event.text, event.item_id)
        confirmed = self.uplink.ledger.confirmed
        self.uplink.on_completed(event.item_id, event.start, event.duration)
        if self.uplink.ledger.confirmed != confirmed:
            self.confirmed_at = self.last_event_at
        out: list[ClientEvent] = [SegmentCompleted(event.text)] if event.text else []
        return [*out, TextChanged(self.transcript.live)]

    # --- finishing rules ---------------------------------------------------------------

    def settled(self, now: float) -> bool:
        """Every commit the uplink holds is answered, or (Together) no answer is coming."""
        ledger = self.uplink.ledger
        if not ledger.pending and not ledger.guessed:
            return True
        if ledger.exact and ledger.pending:
            return False
        # A server that does not say which item answers a commit (Together): the completed
        # whose audio reaches the commit (the ledger), or a quiet period with no partial
        # pending (also after a completed without timing, which may not be the answer).
        return ledger.all_sent and self.created and self.quiet_enough(now)

    def quiet_enough(self, now: float) -> bool:
        """No answer for the quiet period, more while the server may still be catching up:
        the audio not confirmed, less the time since the confirmed point last moved."""
        unconfirmed_s = (self.uplink.cursor - self.uplink.ledger.confirmed) / 2 / SAMPLE_RATE
        ahead_s = max(0.0, unconfirmed_s - (now - self.confirmed_at))
        quiet = now - self.last_event_at >= self.quiet_period_s + ahead_s / CATCH_UP
        return bool(quiet and not self.transcript.live and self.created)
