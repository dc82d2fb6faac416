"""Audio files as dictation input: any format PyAV reads, delivered like a microphone.

`read_pcm16k` turns WAV, FLAC, MP3 (whatever FFmpeg knows) at any rate and channel count into
16 kHz mono s16le. `FileSource` then hands it out in fixed-length frames on a thread of its
own, at real time or as fast as the consumer takes it, through the same `start(sink)` /
`stop()` / `wait()` interface as the microphone source.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 16_000


class AudioFileError(ValueError):
    """The file is missing or holds no audio we can decode; the message says which."""


def read_pcm16k(path: str) -> bytes:
    """16 kHz mono s16le samples of `path`; `-` reads raw 16 kHz s16le from stdin."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return data[: len(data) // 2 * 2]
    if not Path(path).is_file():
        raise AudioFileError(f"no such file: {path}")
    from faster_whisper.audio import decode_audio

    try:
        samples = decode_audio(path, sampling_rate=RATE)
    except Exception as exc:
        raise AudioFileError(f"cannot read audio from {path}: {exc}") from exc
    if not isinstance(samples, np.ndarray) or samples.size == 0:
        raise AudioFileError(f"{path} holds no audio")
    return bytes(np.clip(np.round(samples * 32768), -32768, 32767).astype("<i2").tobytes())


class FileSource:
    """Frames of `frame_ms` from PCM; `realtime` paces them like a microphone would."""

    def __init__(self, pcm: bytes, *, frame_ms: int = 100, realtime: bool = True) -> None:
        self.pcm = pcm
        self.frame_bytes = RATE * 2 * frame_ms // 1000
        self.realtime = realtime
        self.name = "file"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE

    def start(self, sink: Callable[[bytes], None]) -> None:
        self._thread = threading.Thread(target=self._run, args=(sink,), name="file-source")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True when every frame has been delivered (or the source was stopped)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self, sink: Callable[[bytes], None]) -> None:
        started = time.monotonic()
        step = self.frame_bytes
        for offset in range(0, len(self.pcm), step):
            if self._stop.is_set():
                return
            sink(self.pcm[offset : offset + step])
            if self.realtime:
                due = started + (offset + step) / 2 / RATE
                self._stop.wait(max(0.0, due - time.monotonic()))
