"""The hand-over from the audio callback to the sender thread: never blocks, keeps the order."""

from __future__ import annotations

import threading

from app.realtime.inbox import CommitMark, Inbox


def test_audio_and_commits_come_out_in_the_order_they_went_in() -> None:
    inbox = Inbox(10)
    inbox.put_audio(b"ab")
    assert inbox.put_commit(lambda: False)
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


def test_a_commit_waits_while_the_inbox_is_full_and_the_sender_is_there() -> None:
    inbox = Inbox(1)
    inbox.put_audio(b"xx")
    done: list[bool] = []
    waiting = threading.Thread(target=lambda: done.append(inbox.put_commit(lambda: False)))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and not done  # the sender is still there: it will make room
    assert inbox.take(block=True, timeout=1) == [b"xx"]
    waiting.join(5)
    assert done == [True]
    assert isinstance(inbox.take(block=True, timeout=1)[0], CommitMark)


def test_a_commit_that_finds_the_inbox_full_and_the_sender_gone_is_not_queued() -> None:
    """Nothing raises (it did, `queue.Full`, after 5 s): the dictation is over, and the audio
    queued stays for the client to keep."""
    inbox = Inbox(1)
    inbox.put_audio(b"xx")
    assert not inbox.put_commit(lambda: True)
    assert inbox.take(block=False, timeout=0) == [b"xx"]
