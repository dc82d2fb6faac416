"""A heartbeat on the Qt main thread: the gaps between the beats of a 5 ms timer show any
work that held the thread (a join, a device query, a keyring read, a subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QElapsedTimer, QTimer

# A call that blocks the GUI thread (a join, a subprocess, a keyring read, a socket) holds it
# for seconds; a machine busy with other tests delays a 5 ms timer by up to a couple of
# hundred milliseconds. This bound tells the two apart; the app's 100 ms goal is for a
# machine doing nothing else.
STALL_MS = 400


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
