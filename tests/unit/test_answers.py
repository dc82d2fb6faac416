"""What the server's answers do to a dictation, and when it may end, without a socket."""

from __future__ import annotations

from app.core.transcript import Transcript
from app.realtime.answers import Answers
from app.realtime.events import SegmentCompleted, SegmentFailed, Status, TextChanged
from app.realtime.ledger import CommitLedger
from app.realtime.protocol import (
    AudioCommitted,
    SessionCreated,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
)
from app.realtime.uplink import Uplink

SECOND = 32_000  # bytes of 16 kHz s16le audio
QUIET = 1.2


def answers(*, exact: bool) -> Answers:
    uplink = Uplink(
        CommitLedger(exact=exact, min_silence_ms=500), min_chunk_ms=60, max_chunk_ms=250
    )
    return Answers(Transcript(), uplink, quiet_period_s=QUIET)


def commit_and_send(a: Answers, seconds: int) -> None:
    a.uplink.append(b"\0\0" * 16_000 * seconds)
    a.uplink.commit()
    while a.uplink.next_frame() is not None:
        pass


def test_a_delta_is_live_text_and_its_completed_settles_it() -> None:
    a = answers(exact=True)
    assert a.on_event(SessionCreated("s", "m"), 1.0) == [Status("connected", "m")]
    assert a.created and a.last_event_at == 1.0
    assert a.on_event(TranscriptDelta("i", "hello"), 2.0) == [TextChanged("hello")]
    assert a.transcript.text == "hello" and a.transcript.final_text == ""
    events = a.on_event(TranscriptCompleted("i", "Hello.", 0.0, 1.0), 3.0)
    assert events == [SegmentCompleted("Hello."), TextChanged("")]
    assert a.transcript.live == ""


def test_an_empty_completed_voids_the_partial_and_says_nothing_was_said() -> None:
    a = answers(exact=True)
    a.on_event(TranscriptDelta("i", "uh"), 1.0)
    assert a.on_event(TranscriptCompleted("i", ""), 2.0) == [TextChanged("")]
    assert a.transcript.text == "" and a.transcript.segments == []


def test_our_engine_is_settled_when_the_commits_own_item_completes() -> None:
    a = answers(exact=True)
    a.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(a, 2)
    a.on_event(AudioCommitted("item_c"), 1.0)
    a.on_event(TranscriptCompleted("item_v", "A VAD segment.", 0.0, 1.0), 1.0)
    assert not a.settled(100.0)  # quiet or not, the commit's own answer is still to come
    a.on_event(TranscriptCompleted("item_c", "The rest.", 1.0, 1.0), 2.0)
    assert a.settled(2.0) and a.uplink.ledger.confirmed == 2 * SECOND


def test_together_is_settled_by_the_completed_that_reaches_the_commit() -> None:
    a = answers(exact=False)
    a.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(a, 2)
    assert not a.settled(0.5)
    a.on_event(TranscriptCompleted("vad", "Words.", 0.0, 1.0), 0.6)  # a VAD segment's
    assert not a.settled(0.6)
    a.on_event(TranscriptCompleted("x", "More words.", 1.0, 1.0), 0.7)
    assert a.settled(0.7)


def test_together_without_timings_is_settled_by_a_completed_and_then_quiet() -> None:
    a = answers(exact=False)
    a.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(a, 1)
    a.on_event(TranscriptCompleted("x", "Words."), 1.0)  # the answer, or a VAD segment's?
    assert not a.settled(1.0)
    assert a.settled(1.0 + QUIET)


def test_a_server_still_working_through_a_file_is_waited_for() -> None:
    """A file sent fast: the server is far behind when the last commit goes. Its answers may
    pause for longer than the quiet period; the wait grows with the audio not confirmed."""
    a = answers(exact=False)
    a.new_connection(0.0)
    a.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(a, 600)  # ten minutes, sent in no time
    a.on_event(TranscriptCompleted("v1", "Words.", 0.0, 100.0), 1.0)  # 500 s still to come
    assert not a.settled(1.0 + 10 * QUIET)
    assert not a.quiet_enough(1.0 + 10 * QUIET)
    # ...but not forever: a server that says nothing more is given up on in bounded time.
    assert a.settled(1.0 + QUIET + 500 / 10)
    # Sent in real time, the audio not confirmed is not ahead of the server.
    live = answers(exact=False)
    live.new_connection(0.0)
    live.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(live, 60)
    live.last_event_at = 60.0  # the commit, after a minute of silence
    assert live.settled(60.0 + QUIET)


def test_together_is_settled_by_a_quiet_period_without_a_partial() -> None:
    a = answers(exact=False)
    a.on_event(SessionCreated("s", "m"), 0.0)
    commit_and_send(a, 1)
    a.last_event_at = 1.0  # the commit
    assert not a.settled(1.0 + QUIET / 2) and not a.quiet_enough(1.0 + QUIET / 2)
    assert a.settled(1.0 + QUIET)
    a.on_event(TranscriptDelta("x", "still talking"), 5.0)
    assert not a.settled(5.0 + 10 * QUIET)  # a partial is pending: its completed will come


def test_nothing_is_settled_by_silence_before_the_session_exists() -> None:
    a = answers(exact=False)
    commit_and_send(a, 1)
    assert not a.quiet_enough(100.0) and not a.settled(100.0)
    a.on_event(SessionCreated("s", "m"), 100.0)
    a.new_connection(100.0)  # a drop: the next connection's session is not there yet
    assert not a.created and not a.settled(200.0)


def test_a_failed_segment_is_reported_and_answers_its_commit() -> None:
    a = answers(exact=True)
    commit_and_send(a, 1)
    a.on_event(AudioCommitted("item_c"), 1.0)
    failed = TranscriptFailed("the model failed", item_id="item_c", event_type="commit")
    assert a.on_event(failed, 2.0) == [SegmentFailed("the model failed")]
    assert a.settled(2.0)


def test_a_fatal_failure_is_left_to_the_client() -> None:
    a = answers(exact=True)
    assert a.on_event(TranscriptFailed("invalid api key", code="invalid_api_key"), 1.0) == []
    assert a.last_event_at == 1.0
