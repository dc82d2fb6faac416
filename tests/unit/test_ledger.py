"""The client's bookkeeping of commits and confirmed audio, without a socket."""

from __future__ import annotations

from app.realtime.ledger import CommitLedger

SECOND = 32_000  # bytes of 16 kHz s16le audio


def test_our_engine_names_the_item_that_answers_each_commit() -> None:
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.commit(3 * SECOND)
    assert ledger.next_unsent() == 3 * SECOND
    ledger.mark_sent(3 * SECOND)
    ledger.on_committed("item_b")
    # A VAD segment completes first: it moves `confirmed` by its timing, answers nothing.
    ledger.on_completed("item_a", 0.0, 1.5, origin=0, cursor=3 * SECOND)
    assert ledger.pending == [3 * SECOND] and ledger.confirmed == int(1.5 * SECOND)
    ledger.on_completed("item_b", 1.5, 1.5, origin=0, cursor=3 * SECOND)
    assert ledger.pending == [] and ledger.confirmed == 3 * SECOND


def test_after_a_drop_unanswered_commits_are_sent_again_from_the_confirmed_point() -> None:
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.on_completed("a", 0.0, 2.0, origin=0, cursor=4 * SECOND)
    ledger.commit(4 * SECOND)
    ledger.mark_sent(4 * SECOND)
    assert ledger.new_connection() == 2 * SECOND  # replay starts where the words end
    assert ledger.next_unsent() == 4 * SECOND  # and the commit goes again at its place
    # On the new connection the server's times count from the replay's start.
    ledger.mark_sent(4 * SECOND)
    ledger.on_committed("b")
    ledger.on_completed("b", 0.0, 2.0, origin=2 * SECOND, cursor=4 * SECOND)
    assert ledger.pending == [] and ledger.confirmed == 4 * SECOND


def test_together_the_completed_whose_audio_reaches_a_commit_answers_it() -> None:
    ledger = CommitLedger(exact=False, min_silence_ms=500)
    ledger.commit(4 * SECOND)
    ledger.mark_sent(4 * SECOND)
    # A VAD segment that ends before the commit's place is not its answer.
    ledger.on_completed("vad", 0.5, 2.5, origin=0, cursor=4 * SECOND)
    assert ledger.pending == [4 * SECOND] and ledger.confirmed == 3 * SECOND
    # Seconds come rounded: an end a millisecond short still reaches the commit.
    ledger.on_completed("answer", 3.0, 0.999, origin=0, cursor=4 * SECOND)
    assert ledger.pending == [] and not ledger.guessed
    assert ledger.confirmed == 4 * SECOND - SECOND // 1000


def test_together_without_timings_a_commits_answer_is_a_guess() -> None:
    ledger = CommitLedger(exact=False, min_silence_ms=500)
    ledger.on_completed("x", None, None, origin=0, cursor=3 * SECOND)
    assert ledger.confirmed == 3 * SECOND - SECOND // 2  # conservative: min_silence back
    ledger.commit(4 * SECOND)
    ledger.mark_sent(4 * SECOND)
    assert ledger.all_sent and not ledger.guessed
    # A VAD segment's or the commit's? Taken as the answer, said to be a guess, and the
    # audio confirmed only as a VAD segment's would be.
    ledger.on_completed("y", None, None, origin=0, cursor=4 * SECOND)
    assert ledger.pending == [] and ledger.guessed
    assert ledger.confirmed == 4 * SECOND - SECOND // 2


def test_a_failed_segment_that_answers_a_commit_answers_it() -> None:
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.commit(SECOND)
    ledger.mark_sent(SECOND)
    ledger.on_committed("c")
    ledger.on_failed_item("other")
    assert ledger.pending == [SECOND]
    ledger.on_failed_item("c")
    assert ledger.pending == []


def test_confirmed_never_passes_what_was_sent() -> None:
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.on_completed("a", 0.0, 9.0, origin=0, cursor=2 * SECOND)
    assert ledger.confirmed == 2 * SECOND


def test_an_answer_that_arrives_before_the_send_returns_still_pairs_with_its_commit() -> None:
    """The interleaving that stalled `finish`: the sender records the commit, the frame goes
    out, and the receiver handles `committed` and `completed` before the sender runs again."""
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.commit(2 * SECOND)
    ledger.mark_sent(2 * SECOND)  # recorded before the frame leaves
    ledger.on_committed("item_a")  # answered before `send` returned
    ledger.on_completed("item_a", 0.0, 2.0, origin=0, cursor=2 * SECOND)
    assert ledger.pending == [] and ledger.all_sent and ledger.confirmed == 2 * SECOND


def test_a_commit_whose_frame_could_not_be_sent_goes_out_again() -> None:
    ledger = CommitLedger(exact=True, min_silence_ms=500)
    ledger.commit(SECOND)
    ledger.mark_sent(SECOND)
    ledger.unmark_sent(SECOND)
    assert ledger.next_unsent() == SECOND and not ledger.all_sent
    ledger.unmark_sent(SECOND)  # nothing more to take back
    assert ledger.next_unsent() == SECOND and ledger.pending == [SECOND]
