"""Waiting for a real condition against a deadline: the one poll loop of the suite.

Tests never sleep for a guessed time; they poll what they wait for (a count, a file, another
process's answer) until it holds, and fail with what they waited for once the deadline passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None], timeout: float, what: str, step: float = 0.02
) -> T:
    """Polls `condition` every `step` seconds until it returns something truthy, and returns
    that; raises AssertionError naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        time.sleep(step)  # pacing: polling a real condition against a deadline
