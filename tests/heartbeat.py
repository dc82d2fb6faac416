"""A heartbeat on the Qt main thread: the gaps between the beats of a 5 ms timer show any
work that held the thread (a join, a device query, a keyring read, a subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QElapsedTimer, QTimer


@contextmanager
def heartbeat() -> Iterator[list[int]]:
    """The gaps (ms) between the beats of a 5 ms timer on the GUI thread."""
    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(beat)
    timer.start()
    try:
        yield gaps
    finally:
        timer.stop()
