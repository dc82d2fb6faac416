"""From whatever the device gives to 16 kHz mono int16 frames of a fixed length.

`Downmixer` averages channels; `Resampler` wraps soxr's streaming resampler (HQ), which keeps
its filter state between blocks, so block boundaries leave no clicks and the output equals a
one-shot resample of the whole signal; `Framer` cuts the float stream into exact int16 frames,
carrying the remainder, so no sample is lost or repeated however the blocks fall.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

TARGET_RATE = 16_000

Floats = npt.NDArray[np.float32]


def downmix(block: npt.NDArray[np.float32]) -> Floats:
    """(frames, channels) or (frames,) float -> mono float32."""
    if block.ndim == 1:
        return block.astype(np.float32, copy=False)
    if block.shape[1] == 1:
        return block[:, 0].astype(np.float32, copy=False)
    if block.shape[1] == 2:  # the common case, 4x faster than mean(axis=1)
        return np.asarray((block[:, 0] + block[:, 1]) * np.float32(0.5), dtype=np.float32)
    return np.asarray(block.mean(axis=1, dtype=np.float32), dtype=np.float32)


class Resampler:
    """Streaming `in_rate` -> 16 kHz; pass-through when the device already gives 16 kHz."""

    def __init__(self, in_rate: float) -> None:
        self.in_rate = float(in_rate)
        self._stream = (
            None
            if self.in_rate == TARGET_RATE
            else soxr.ResampleStream(self.in_rate, TARGET_RATE, 1, dtype="float32", quality="HQ")
        )

    def process(self, mono: Floats, *, last: bool = False) -> Floats:
        if self._stream is None:
            return mono
        out = self._stream.resample_chunk(mono, last=last)
        return np.asarray(out, dtype=np.float32).reshape(-1)


class Framer:
    """Float samples in, int16 frames of exactly `frame_samples` out."""

    def __init__(self, frame_ms: int = 20) -> None:
        if not 20 <= frame_ms <= 100:
            raise ValueError("frame length must be 20 to 100 ms")
        self.frame_samples = TARGET_RATE * frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, samples: Floats) -> list[bytes]:
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = data.size // self.frame_samples * self.frame_samples
        self._pending = data[whole:].copy()
        if whole == 0:
            return []
        pcm = to_int16(data[:whole])
        size = self.frame_samples * 2
        raw = pcm.tobytes()
        return [raw[i : i + size] for i in range(0, len(raw), size)]

    def flush(self) -> bytes:
        """The last partial frame (may be shorter than a frame)."""
        rest, self._pending = self._pending, np.zeros(0, dtype=np.float32)
        return to_int16(rest).tobytes()


def to_int16(samples: Floats) -> npt.NDArray[np.int16]:
    scaled = samples * np.float32(32768.0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype("<i2")
