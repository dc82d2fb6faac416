"""How far the reference counts of the interpreter's singletons move while code runs.

A C extension that returns `None`, `True` or `False` without taking a reference makes
these counts fall by one per call; on Python 3.11 the interpreter then aborts in
`none_dealloc` or `bool_dealloc` minutes later, far from the faulty call. Measured over many
calls, a correct extension moves them by a handful (objects created or freed meanwhile),
a leaking one by at least the number of calls.

Each measurement runs in an interpreter of its own (`measure`), where no other thread runs:
in the test process, threads that earlier tests left behind (idle executors, loopback
servers, the shared engine) free objects while a measurement runs, and under pytest-xdist,
where the order of the files changes, their frees moved the counts by hundreds.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def measure(code: str) -> dict[str, list[int]]:
    """Runs `code` in a new interpreter (the repository on its path, this environment) and
    returns the JSON object it prints last: {what: drift}."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, f"the measurement failed:\n{done.stderr[-4000:]}"
    found: dict[str, list[int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def assert_small(
    drift: tuple[int, ...] | list[int], repeats: int, what: str, share: int = 10
) -> None:
    """A leak moves a count by >= `repeats`; a `share`th of that (a tenth) is far above any
    honest noise."""
    assert all(abs(d) < repeats // share for d in drift), (
        f"{what}: the counts of None/True/False moved by {tuple(drift)} over {repeats} "
        "calls: a native extension returns a singleton without a reference"
    )
