"""The hand-over from the audio callback to the sender thread: never blocks, keeps the order."""

from __future__ import annotations

import queue

import pytest

from app.realtime.inbox import CommitMark, Inbox


def test_audio_and_commits_come_out_in_the_order_they_went_in() -> None:
    inbox = Inbox(10)
    inbox.put_audio(b"ab")
    inbox.put_commit(timeout=1)
    inbox.put_audio(b"cd")
    inbox.wake()
    inbox.stop()
    items = inbox.take(block=False, timeout=0)
    assert items[0] == b"ab" and isinstance(items[1], CommitMark)
    assert items[2:] == [b"cd", b"", None]
    assert inbox.take(block=True, timeout=0.01) == []


def test_a_full_inbox_drops_audio_and_counts_it_but_never_blocks() -> None:
    inbox = Inbox(2)
    for _ in range(5):
        inbox.put_audio(b"xx")
    inbox.wake()  # a wake-up that finds it full is not needed: there is work queued
    inbox.stop()
    assert inbox.dropped == 3
    assert inbox.take(block=False, timeout=0) == [b"xx", b"xx"]


def test_a_commit_that_finds_the_inbox_full_waits_and_then_says_so() -> None:
    inbox = Inbox(1)
    inbox.put_audio(b"xx")
    with pytest.raises(queue.Full):
        inbox.put_commit(timeout=0.01)
