"""Audio files as dictation input: any format PyAV reads, decoded a piece at a time.

`open_audio` checks a recording before anything starts: a missing, empty, text or damaged
file, or one without an audio track, gets a sentence that says what the file is and what is
accepted. Its `blocks` are 16 kHz mono s16le, decoded packet by packet, downmixed and
resampled with soxr's streaming resampler (`audio.resample`, as for the microphone), so
decoding holds one block at a time however long the recording is; `-` reads raw 16 kHz mono
s16le from stdin in blocks too. `FileSource` hands PCM (bytes, or blocks as they come) out
in fixed-length frames on a thread of its own, at real time or as fast as the sink takes
them, through the same `start(sink)` / `stop()` / `wait()` interface as the microphone
source. Unlike a microphone, a file can wait: a sink that answers False has the frame
offered again.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np

from app.audio.resample import Resampler, downmix, to_int16

RATE = 16_000
ACCEPTED = (
    "give a recording FFmpeg can decode (WAV, FLAC, MP3, Ogg/Opus, M4A/AAC, WebM...), "
    "or '-' with raw 16 kHz mono s16le on stdin"
)
_BLOCK_SAMPLES = RATE // 2  # decoded audio is resampled and handed on in ~0.5 s blocks
_STDIN_BLOCK = 64 * 1024


class AudioFileError(ValueError):
    """The file is missing or holds no audio we can decode; the message says which."""


class AudioInput:
    """An opened recording: `blocks` yields 16 kHz mono s16le; `close()` lets the file go."""

    def __init__(self, name: str, blocks: Iterator[bytes]) -> None:
        self.name = name
        self.blocks = blocks

    def close(self) -> None:
        close = getattr(self.blocks, "close", None)
        if close is not None:
            close()


def open_audio(path: str) -> AudioInput:
    """`path` opened and its first block decoded, or an `AudioFileError` saying why not."""
    if path == "-":
        return _primed("stdin", _stdin_blocks(), "nothing came on stdin (raw 16 kHz mono s16le)")
    file = Path(path)
    if not file.exists():
        raise AudioFileError(f"no such file: {path}")
    if not file.is_file():
        raise AudioFileError(f"{path} is not a file: {ACCEPTED}")
    try:
        with file.open("rb") as f:
            nothing = not f.read(1)
    except OSError as exc:
        raise AudioFileError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if nothing:
        raise AudioFileError(f"{path} is empty (0 bytes): {ACCEPTED}")
    import av

    try:
        container: Any = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise AudioFileError(f"{path} {_unreadable(file)}: {ACCEPTED}") from exc
    if not container.streams.audio:
        kind = container.format.long_name or container.format.name
        container.close()
        what = "a text file" if _looks_like_text(file) else f"{_article(kind)} {kind} file"
        raise AudioFileError(f"{path} is {what}, not audio: {ACCEPTED}")
    blocks = _decode(container, path)
    empty = f"{path} holds no audio samples (is the recording cut short?): {ACCEPTED}"
    return _primed(path, blocks, empty)


def _primed(name: str, blocks: Iterator[bytes], empty: str) -> AudioInput:
    """Decode up to the first samples now, so a file with none is refused before any work."""
    for first in blocks:
        if first:
            return AudioInput(name, _chain(first, blocks))
    raise AudioFileError(empty)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()


def _decode(container: Any, path: str) -> Iterator[bytes]:
    """Packets -> packed float at the file's own rate and layout -> mono -> 16 kHz int16."""
    import av

    convert = av.AudioResampler(format="flt")
    resampler: Resampler | None = None
    pending: list[np.ndarray[Any, Any]] = []
    count = 0
    decoded = 0.0

    def block(last: bool = False) -> bytes:
        nonlocal pending, count
        mono = np.concatenate(pending) if pending else np.zeros(0, dtype=np.float32)
        pending, count = [], 0
        assert resampler is not None
        return to_int16(resampler.process(mono, last=last)).tobytes()

    def add(out: Any) -> None:
        nonlocal resampler, count, decoded
        if resampler is None:
            resampler = Resampler(out.sample_rate)
        pending.append(downmix(out.to_ndarray().reshape(-1, out.layout.nb_channels)))
        count += out.samples
        decoded += out.samples / out.sample_rate

    stream = container.streams.audio[0]
    damaged: list[float] = []  # where packets that would not decode were skipped
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:  # one damaged piece: skip it, as FFmpeg itself does
                damaged.append(decoded)
                continue
            for frame in frames:
                for out in convert.resample(frame):
                    add(out)
            if count >= _BLOCK_SAMPLES:
                yield block()
        for out in convert.resample(None):
            add(out)
        if resampler is not None:
            yield block(last=True)
    except av.FFmpegError as exc:
        reason = exc.strerror or str(exc)
        raise AudioFileError(f"{path} could not be read past {decoded:.1f} s ({reason})") from exc
    finally:
        container.close()
    if damaged:
        raise AudioFileError(
            f"{path} is damaged: {len(damaged)} piece(s) from {damaged[0]:.1f} s on could not "
            "be decoded and were skipped"
        )


def _stdin_blocks() -> Iterator[bytes]:
    """Raw s16le from stdin as it arrives (read1: a live pipe is not held back)."""
    stdin = cast(io.BufferedReader, sys.stdin.buffer)
    carry = b""
    while block := stdin.read1(_STDIN_BLOCK):
        data = carry + block
        whole = len(data) // 2 * 2
        carry = data[whole:]
        yield data[:whole]


def _looks_like_text(file: Path) -> bool:
    with file.open("rb") as f:
        head = f.read(4096)
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is still text
        return exc.start >= len(head) - 3
    return True


def _unreadable(file: Path) -> str:
    """What a file FFmpeg could not open is, as far as its first bytes tell."""
    with file.open("rb") as f:
        head = f.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "is a WAV file whose header or data is damaged"
    if head[:4] in (b"fLaC", b"OggS") or head[:3] == b"ID3":
        return "is an audio file that is damaged or cut short"
    if _looks_like_text(file):
        return "is a text file, not audio"
    return "is not audio FFmpeg can decode"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


class FileSource:
    """Frames of `frame_ms` from PCM; `realtime` paces them like a microphone would.

    `pcm` is all of it, or blocks of any size as they are decoded. `error` holds what
    stopped the blocks early (a file damaged halfway); `stalled` says the sink stopped
    taking frames for `patience_s`, so the rest was not delivered.
    """

    def __init__(
        self,
        pcm: bytes | Iterable[bytes],
        *,
        frame_ms: int = 100,
        realtime: bool = True,
        patience_s: float = 60.0,
    ) -> None:
        self.pcm = pcm
        self.frame_bytes = RATE * 2 * frame_ms // 1000
        self.realtime = realtime
        self.patience_s = patience_s
        self.name = "file"
        self.delivered = 0  # bytes the sink took
        self.error: Exception | None = None
        self.stalled = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def seconds(self) -> float:
        """The length of the audio: all of it for bytes, what was delivered for blocks."""
        if isinstance(self.pcm, bytes | bytearray):
            return len(self.pcm) / 2 / RATE
        return self.delivered / 2 / RATE

    def start(self, sink: Callable[[bytes], bool | None]) -> None:
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

    def _frames(self) -> Generator[bytes]:
        if isinstance(self.pcm, bytes | bytearray):
            view = memoryview(self.pcm)
            for offset in range(0, len(view), self.frame_bytes):
                yield bytes(view[offset : offset + self.frame_bytes])
            return
        carry = b""
        for block in self.pcm:
            data = carry + block if carry else block
            whole = len(data) // self.frame_bytes * self.frame_bytes
            for offset in range(0, whole, self.frame_bytes):
                yield data[offset : offset + self.frame_bytes]
            carry = data[whole:]
        if carry:
            yield carry

    def _run(self, sink: Callable[[bytes], bool | None]) -> None:
        started = time.monotonic()
        frames = self._frames()
        try:
            for frame in frames:
                if self._stop.is_set() or not self._deliver(sink, frame):
                    return
                if self.realtime:
                    due = started + self.delivered / 2 / RATE
                    self._stop.wait(max(0.0, due - time.monotonic()))
        except AudioFileError as exc:
            self.error = exc
        finally:
            frames.close()
            close = getattr(self.pcm, "close", None)
            if close is not None:
                close()

    def _deliver(self, sink: Callable[[bytes], bool | None], frame: bytes) -> bool:
        """Hand `frame` over, offering it again while the sink is full; False when stopped."""
        deadline = time.monotonic() + self.patience_s
        delay = 0.002
        while sink(frame) is False:
            if time.monotonic() > deadline:
                self.stalled = True
                return False
            if self._stop.wait(delay):
                return False
            delay = min(delay * 2, 0.05)
        self.delivered += len(frame)
        return True
