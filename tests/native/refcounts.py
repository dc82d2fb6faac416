"""How far the reference counts of the interpreter's singletons move while code runs.

A C extension that returns `None`, `True` or `False` without taking a reference makes
these counts fall by one per call; on Python 3.11 the interpreter then aborts in
`none_dealloc` or `bool_dealloc` minutes later, far from the faulty call. Measured over many
calls, a correct extension moves them by a handful (objects created or freed meanwhile),
a leaking one by at least the number of calls.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable


def singleton_counts() -> tuple[int, int, int]:
    gc.collect()
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def singleton_drift(action: Callable[[], object], repeats: int) -> tuple[int, int, int]:
    """The change of each singleton's count over `repeats` calls of `action`."""
    action()  # first-call caches and lazy imports are not drift
    before = singleton_counts()
    for _ in range(repeats):
        action()
    after = singleton_counts()
    return after[0] - before[0], after[1] - before[1], after[2] - before[2]


def assert_no_drift(action: Callable[[], object], repeats: int, what: str) -> None:
    drift = singleton_drift(action, repeats)
    # A leak moves a count by >= `repeats`; a tenth of that is far above any honest noise.
    assert all(abs(d) < repeats // 10 for d in drift), (
        f"{what}: the counts of None/True/False moved by {drift} over {repeats} calls: a "
        "native extension returns a singleton without a reference"
    )
