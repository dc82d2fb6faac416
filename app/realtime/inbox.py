"""The hand-over from the caller's threads to the client's sender thread.

The audio pipeline calls in from its audio callback, which must never block: audio goes onto
a bounded queue, and when the sender has fallen that far behind a frame is dropped and
counted instead. Commits travel on the same queue, so each keeps its place between the audio
before and after it. Empty audio wakes the sender, `None` tells it to stop.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable


class CommitMark:
    """A commit's place in the queue, between the audio before and after it."""


Item = bytes | CommitMark | None


class Inbox:
    def __init__(self, size: int) -> None:
        self._queue: queue.Queue[Item] = queue.Queue(size)
        self.dropped = 0  # audio frames that found the queue full

    def put_audio(self, pcm: bytes) -> None:
        """Never blocks: a full queue drops the frame and counts it."""
        if not self.offer_audio(pcm):
            self.dropped += 1

    def offer_audio(self, pcm: bytes) -> bool:
        """Never blocks: False (nothing lost, nothing counted) while the queue is full, for a
        source that can offer the frame again (a file, not a microphone)."""
        try:
            self._queue.put_nowait(pcm)
        except queue.Full:
            return False
        return True

    def put_commit(self, gone: Callable[[], bool]) -> bool:
        """Blocks only while the queue is full (a commit must not be dropped) and the sender
        is there to empty it; False, nothing queued, once `gone()` says it is not."""
        while not gone():
            try:
                self._queue.put(CommitMark(), timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def wake(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(b"")

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def take(self, *, block: bool, timeout: float) -> list[Item]:
        """Everything queued, in order; waits up to `timeout` for the first item if `block`."""
        try:
            items = [self._queue.get(block=block, timeout=timeout if block else None)]
        except queue.Empty:
            return []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items
