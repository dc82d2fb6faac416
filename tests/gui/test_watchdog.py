"""The GUI-thread watchdog logs a stall with the main thread's stack, once, and its length."""

from __future__ import annotations

import logging
import time

import pytest
from pytestqt.qtbot import QtBot

from app.controller.watchdog import StallWatchdog


def block_the_gui_thread(seconds: float) -> None:
    time.sleep(seconds)  # pacing: the stall under test (the main thread runs no event loop)


def test_a_stall_is_logged_with_where_the_gui_thread_was(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    watchdog = StallWatchdog(threshold_s=0.3)
    watchdog.start()
    try:
        qtbot.wait(300)  # heartbeats flow: nothing to report
        assert not caplog.records
        with caplog.at_level(logging.WARNING, logger="app.controller.watchdog"):
            block_the_gui_thread(0.9)
            qtbot.waitUntil(lambda: watchdog.longest_s > 0, timeout=3000)
    finally:
        watchdog.stop()
    stalls = [r.getMessage() for r in caplog.records]
    assert len(stalls) == 2, stalls
    assert "has not run for" in stalls[0] and "block_the_gui_thread" in stalls[0]
    assert "ran again after" in stalls[1]
    assert 0.6 <= watchdog.longest_s < 3
