"""Reconnect delays: exponential, capped, with full jitter so clients do not retry in step."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """`delays()` yields at most `attempts` waits, each in [0, min(cap, base * 2**n)]."""

    base: float = 0.25
    cap: float = 4.0
    attempts: int = 6
    rng: random.Random = field(default_factory=random.Random)

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts):
            yield self.rng.uniform(self.base / 2, min(self.cap, self.base * 2**n))
