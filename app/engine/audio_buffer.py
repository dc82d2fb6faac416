"""A session's unfinalized audio, addressed by absolute sample index since the session began."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


class AudioBuffer:
    """Append-only int16 samples; old audio is dropped once no segment can need it."""

    def __init__(self) -> None:
        self._data = bytearray()
        self.base = 0  # absolute index of the first sample kept

    @property
    def end(self) -> int:
        """Absolute index one past the newest sample."""
        return self.base + len(self._data) // 2

    @property
    def kept(self) -> int:
        return len(self._data) // 2

    def append(self, pcm: bytes) -> None:
        self._data += pcm

    def samples(self, start: int, end: int) -> npt.NDArray[np.float32]:
        """Float samples in [start, end), clamped to what is kept."""
        lo = max(start, self.base) - self.base
        hi = max(min(end, self.end) - self.base, lo)
        raw = np.frombuffer(bytes(self._data[lo * 2 : hi * 2]), dtype="<i2")
        return raw.astype(np.float32) / 32768.0

    def drop_before(self, sample: int) -> None:
        count = min(sample, self.end) - self.base
        if count > 0:
            del self._data[: count * 2]
            self.base += count
