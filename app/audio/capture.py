"""The microphone: PortAudio at the device's own rate, turned into 16 kHz frames.

Threads: PortAudio's callback only copies the block and `put_nowait`s it on a bounded queue
(a full queue drops the block and counts it, the audio thread must never wait). The
pipeline thread downmixes, measures the level, resamples with soxr and cuts frames, which go
to the sink (the realtime client's `send_audio`) and to a pre-roll ring.

With `keep_open`, the stream stays open between dictations and the last `preroll_ms` of
audio is handed over first when a dictation starts, so the first word is never clipped.
A device that stops delivering blocks (unplugged, its server gone) ends the capture with an
`AudioInputError` (and `on_error`); whatever was captured so far stays in `captured`. The
stream is closed then; `open` (or `start`) opens it afresh, which is how a microphone that
slept or was plugged in again is used again.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.audio.devices import InputDevice, find_input
from app.audio.levels import Level, LevelMeter
from app.audio.portaudio import LOCK, sounddevice
from app.audio.resample import TARGET_RATE, Framer, Resampler, downmix
from app.core.errors import AudioInputError

log = logging.getLogger(__name__)

Sink = Callable[[bytes], None]


SILENT = (
    "the microphone delivers pure silence: is it muted, or is the app missing microphone "
    "permission?"
)


def stalled(name: str, then: str) -> str:
    """What the user is told while a microphone delivers nothing (asleep, unplugged), and
    `then` what happens next."""
    return f"microphone '{name}' stopped delivering audio (asleep or unplugged?): {then}"


class _Marker:
    def __init__(self, close: bool) -> None:
        self.close = close
        self.done = threading.Event()


class MicrophoneSource:
    """Same interface as `FileSource`: `start(sink)`, `stop()`, `wait()`."""

    def __init__(
        self,
        device: str | None = None,
        *,
        frame_ms: int = 20,
        keep_open: bool = False,
        preroll_ms: int = 500,
        queue_blocks: int = 500,
        stall_timeout_s: float = 1.5,
        on_level: Callable[[Level], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        on_error: Callable[[AudioInputError], None] | None = None,
        on_silence: Callable[[bool], None] | None = None,
    ) -> None:
        self.wanted = device
        self.frame_ms = frame_ms
        self.keep_open = keep_open
        self.stall_timeout_s = stall_timeout_s
        self.on_level = on_level or (lambda _l: None)
        self.on_warning = on_warning or (lambda _w: None)
        self.on_error = on_error or (lambda _e: None)
        # True when the input turns to digital silence, False when sound comes back; without
        # it, the silence is one warning (for the command line).
        self.on_silence = on_silence or (lambda silent: silent and self.on_warning(SILENT))
        self.device: InputDevice | None = None
        self.note: str | None = None
        self.rate = 0.0
        self.channels = 0
        self.cold_start_s: float | None = None
        self.dropped_blocks = 0
        self.error: AudioInputError | None = None
        self.block_latencies: collections.deque[float] = collections.deque(maxlen=2000)
        self._queue: queue.Queue[tuple[Any, float] | _Marker | None] = queue.Queue(queue_blocks)
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._sink: Sink | None = None
        self._sink_lock = threading.RLock()  # a sink may ask for `captured`
        self._captured = bytearray()
        self._preroll: collections.deque[bytes] = collections.deque(
            maxlen=max(1, preroll_ms // frame_ms) if keep_open else 1
        )
        self._opened_at = 0.0
        self._last_block_at = 0.0
        self._stopped = threading.Event()
        self._closing = False

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    @property
    def captured(self) -> bytes:
        with self._sink_lock:
            return bytes(self._captured)

    def open(self) -> None:
        """Open the device and start the pipeline (without a sink audio only fills pre-roll)."""
        if self._stream is not None:
            return
        self.device, self.note = find_input(self.wanted)
        if self.note:
            self.on_warning(self.note)
        self.error = None
        self._closing = False
        self._stopped.clear()
        self._stream = self._open_stream(self.device)
        self._thread = threading.Thread(target=self._pipeline, name="audio-pipeline", daemon=True)
        self._thread.start()
        self._opened_at = self._last_block_at = time.monotonic()
        self.cold_start_s = None
        with LOCK:
            self._stream.start()

    def start(self, sink: Sink) -> None:
        """Begin a dictation: pre-roll first, then live frames, all to `sink`."""
        self.open()
        with self._sink_lock:
            self._captured = bytearray()
            for frame in self._preroll:
                sink(frame)
                self._captured += frame
            self._preroll.clear()
            self._sink = sink

    def stop(self) -> None:
        """End the dictation: every block captured until now reaches the sink first."""
        if self._stream is None:
            return
        close = not self.keep_open
        if close:
            self._closing = True
            with contextlib.suppress(Exception), LOCK:
                self._stream.stop()
        marker = _Marker(close)
        self._put_marker(marker)
        marker.done.wait(5)
        with self._sink_lock:
            self._sink = None
        if close:
            self._close_stream()

    def close(self) -> None:
        self.keep_open = False
        self.stop()

    def wait(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)

    # --- PortAudio ---------------------------------------------------------------------

    def _open_stream(self, device: InputDevice) -> Any:
        sd = sounddevice()
        rates = list(dict.fromkeys([device.default_rate, 48000.0, 44100.0, 32000.0, 16000.0]))
        layouts = list(dict.fromkeys([min(device.channels, 2), 1]))
        last: Exception | None = None
        for rate in rates:
            for channels in layouts:
                try:
                    with LOCK:
                        sd.check_input_settings(
                            device=device.index, channels=channels, dtype="float32",
                            samplerate=rate,
                        )  # fmt: skip
                        stream = sd.InputStream(
                            device=device.index,
                            channels=channels,
                            samplerate=rate,
                            dtype="float32",
                            blocksize=int(rate * self.frame_ms // 1000),
                            callback=self._callback,
                            finished_callback=self._finished,
                        )
                except Exception as exc:
                    last = exc
                    continue
                self.rate, self.channels = rate, channels
                return stream
        tried = ", ".join(f"{r:.0f}" for r in rates)
        raise AudioInputError(
            f"cannot open microphone '{device.name}' (busy or unsupported): tried {tried} Hz "
            f"with {' or '.join(str(c) for c in layouts)} channel(s)",
            detail=str(last) if last else "",
        )

    def _callback(self, indata: Any, frames: int, _time: Any, _status: Any) -> None:
        try:
            self._queue.put_nowait((indata.copy(), time.monotonic()))
        except queue.Full:
            self.dropped_blocks += 1

    def _finished(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def _put_marker(self, marker: _Marker) -> None:
        try:
            self._queue.put(marker, timeout=2)
        except queue.Full:
            marker.done.set()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception), LOCK:
                stream.abort()
                stream.close()

    # --- pipeline thread ---------------------------------------------------------------

    def _pipeline(self) -> None:
        resampler = Resampler(self.rate)
        framer = Framer(self.frame_ms)
        meter = LevelMeter(self.rate)
        while True:
            try:
                item = self._queue.get(timeout=0.25)
            except queue.Empty:
                stalled = time.monotonic() - self._last_block_at > self.stall_timeout_s
                if stalled and not self._closing:
                    self._lost(resampler, framer)
                    return
                continue
            if item is None:  # the stream ended: by our stop(), or on its own
                if not self._closing:
                    self._lost(resampler, framer)
                    return
                continue
            if isinstance(item, _Marker):
                if item.close:
                    self._deliver(
                        framer.push(resampler.process(np.zeros(0, np.float32), last=True))
                    )
                    tail = framer.flush()
                    if tail:
                        self._deliver([tail])
                item.done.set()
                if item.close:
                    self._stopped.set()
                    return
                continue
            block, arrived = item
            now = time.monotonic()
            if self.cold_start_s is None:
                self.cold_start_s = now - self._opened_at
            self._last_block_at = now
            mono = downmix(block)
            level, warn = meter.push(mono)
            if level is not None:
                self.on_level(level)
            if warn is not None:
                self.on_silence(warn)
            frames = framer.push(resampler.process(mono))
            if frames:
                self._deliver(frames)
                self.block_latencies.append(time.monotonic() - arrived)

    def _deliver(self, frames: list[bytes]) -> None:
        with self._sink_lock:
            for frame in frames:
                if self._sink is not None:
                    self._sink(frame)
                    self._captured += frame
                else:
                    self._preroll.append(frame)

    def _lost(self, resampler: Resampler, framer: Framer) -> None:
        tail = framer.flush()
        if tail:
            self._deliver([tail])
        seconds = len(self._captured) / 2 / TARGET_RATE
        name = self.device.name if self.device else "the microphone"
        self.error = AudioInputError(
            f"microphone '{name}' stopped delivering audio (unplugged?); "
            f"the {seconds:.1f} s recorded so far are kept"
        )
        log.warning("%s", self.error)
        self._close_stream()
        self._stopped.set()
        self.on_error(self.error)
