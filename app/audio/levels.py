"""Input level for a meter, and the warning a silent microphone deserves.

`LevelMeter.push` returns a `Level` at most every `interval_s` (RMS and peak in dBFS over
what arrived since the last one), and reports once when the input has been exactly zero for
`zero_warning_s` (a muted microphone, or on macOS an app without microphone permission,
delivers digital silence rather than an error), and once when sound comes back, so the
warning lasts exactly as long as its cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DB = -100.0


@dataclass(frozen=True)
class Level:
    rms_db: float
    peak_db: float


def dbfs(value: float) -> float:
    return FLOOR_DB if value <= 1e-5 else max(FLOOR_DB, 20 * math.log10(value))


class LevelMeter:
    def __init__(self, rate: float, interval_s: float = 0.05, zero_warning_s: float = 1.0):
        self._every = max(1, int(rate * interval_s))
        self._zero_limit = int(rate * zero_warning_s)
        self._sum_sq = 0.0
        self._peak = 0.0
        self._count = 0
        self._zeros = 0
        self.silent_input = False  # True once the warning fired, until sound comes back

    def push(self, mono: npt.NDArray[np.float32]) -> tuple[Level | None, bool | None]:
        """(a level when one is due, True the moment digital silence becomes a warning and
        False the moment sound comes back after one, else None)."""
        if mono.size == 0:
            return None, None
        self._sum_sq += float(np.dot(mono, mono))
        peak = max(float(mono.max()), -float(mono.min()))
        self._peak = max(self._peak, peak)
        self._count += mono.size
        warn: bool | None = None
        if peak > 0.0:
            self._zeros = 0
            if self.silent_input:
                self.silent_input = warn = False
        else:
            self._zeros += mono.size
            if self._zeros >= self._zero_limit and not self.silent_input:
                self.silent_input = warn = True
        if self._count < self._every:
            return None, warn
        level = Level(dbfs(math.sqrt(self._sum_sq / self._count)), dbfs(self._peak))
        self._sum_sq, self._peak, self._count = 0.0, 0.0, 0
        return level, warn
