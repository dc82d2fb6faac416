"""Streaming voice activity detection: Silero VAD scores, turned into speech segments.

Silero's ONNX model (the copy faster-whisper ships) scores 32 ms frames of 16 kHz audio;
its recurrent state is carried between calls, so a session can feed audio in whatever
chunks the client sends. `Segmenter` turns the scores into segment boundaries with
Together's parameters (PROTOCOL.md section 4): a segment ends after enough silence, a
segment with too little speech is discarded, and a segment that runs too long is split at
its best internal pause. Where it has none, the cut goes to the quietest moment of its last
third (the lowest smoothed speech probability, usually a breath between words) and is
marked `hard`: the session then finalizes only the words that end before it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.realtime.protocol import SAMPLE_RATE, TurnDetection

FRAME = 512  # samples per VAD frame at 16 kHz (32 ms)
_CONTEXT = 64  # samples of the previous frame that Silero v5+ expects in front of each frame
_MIN_SPLIT_PAUSE = int(0.098 * SAMPLE_RATE)  # a pause this long may split an over-long segment
_SMOOTH = 0.5  # weight of the newest frame in the smoothed probability that places a hard cut

_session_lock = threading.Lock()
_shared_session: Any = None


def _onnx_session() -> Any:
    """One ONNX session for every stream: `run` is thread-safe and the model is small."""
    global _shared_session
    with _session_lock:
        if _shared_session is None:
            import faster_whisper
            import onnxruntime

            path = os.path.join(
                os.path.dirname(faster_whisper.__file__), "assets", "silero_vad_v6.onnx"
            )
            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 4
            _shared_session = onnxruntime.InferenceSession(
                path, providers=["CPUExecutionProvider"], sess_options=opts
            )
        return _shared_session


class SileroStream:
    """Speech probability for each whole 512-sample frame of a continuous stream."""

    def __init__(self) -> None:
        self._session = _onnx_session()
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Scores for the frames completed by `samples` (leftover samples wait for more)."""
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = data.size // FRAME * FRAME
        self._pending = data[whole:].copy()
        if whole == 0:
            return np.zeros(0, dtype=np.float32)
        frames = data[:whole].reshape(-1, FRAME)
        contexts = np.vstack([self._context[None, :], frames[:-1, -_CONTEXT:]])
        batch = np.concatenate([contexts, frames], axis=1).astype(np.float32, copy=False)
        probs, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = frames[-1, -_CONTEXT:].copy()
        return np.asarray(probs, dtype=np.float32).reshape(-1)


@dataclass(frozen=True)
class SpeechStarted:
    start: int


@dataclass(frozen=True)
class SpeechPaused:
    """Speech stopped for now (a segment may still go on): a good moment for a decode."""

    at: int


@dataclass(frozen=True)
class SegmentEnded:
    """Speech from `start` to `end` (samples, unpadded); `next_start` is set on a split."""

    start: int
    end: int
    next_start: int | None = None
    hard: bool = False  # cut in running speech (no pause): a word may straddle `end`


@dataclass(frozen=True)
class SegmentDiscarded:
    start: int
    end: int


VadEvent = SpeechStarted | SpeechPaused | SegmentEnded | SegmentDiscarded


class Segmenter:
    """Turns frame scores into segment events; positions are absolute sample indexes."""

    def __init__(self, params: TurnDetection) -> None:
        self.params = params
        self.triggered = False
        self.start = 0
        self.last_speech_end = 0  # end of the last frame scored as speech, ever
        self._silence_start: int | None = None
        self._best_pause: tuple[int, int] | None = None  # (silence start, speech resumes)
        self._smooth = 0.0  # speech probability, smoothed over a few frames
        self._quietest: tuple[float, int] | None = None  # (smoothed prob, frame start)

    def reset(self) -> None:
        """Forget the open segment (after a commit or a clear)."""
        self.triggered = False
        self._silence_start = None
        self._best_pause = None
        self._quietest = None

    def feed(self, first_frame_pos: int, probs: npt.NDArray[np.float32]) -> list[VadEvent]:
        p = self.params
        threshold = p.threshold
        negative = max(threshold - 0.15, 0.01)
        min_silence = int(p.min_silence_duration_ms * SAMPLE_RATE / 1000)
        min_speech = int(p.min_speech_duration_ms * SAMPLE_RATE / 1000)
        max_speech = int(p.max_speech_duration_s * SAMPLE_RATE)
        events: list[VadEvent] = []
        for i, prob in enumerate(probs.tolist()):
            pos = first_frame_pos + i * FRAME
            end = pos + FRAME
            smooth_prev, self._smooth = self._smooth, _SMOOTH * prob + (1 - _SMOOTH) * self._smooth
            if (
                self.triggered
                and max_speech > 0
                and pos - self.start >= max_speech * 2 // 3
                and (self._quietest is None or smooth_prev + self._smooth <= self._quietest[0])
            ):
                # The dip between this frame and the one before: a cut lands between them.
                self._quietest = (smooth_prev + self._smooth, pos)
            if prob >= threshold:
                self.last_speech_end = end
                if self._silence_start is not None:
                    if pos - self._silence_start >= _MIN_SPLIT_PAUSE and (
                        self._best_pause is None
                        or pos - self._silence_start >= self._best_pause[1] - self._best_pause[0]
                    ):
                        self._best_pause = (self._silence_start, pos)
                    self._silence_start = None
                if not self.triggered:
                    self.triggered = True
                    self.start = pos
                    self._best_pause = None
                    events.append(SpeechStarted(pos))
            elif prob < negative and self.triggered:
                if self._silence_start is None:
                    self._silence_start = pos
                    events.append(SpeechPaused(pos))
                if end - self._silence_start >= min_silence:
                    seg_end = self._silence_start
                    if seg_end - self.start >= min_speech:
                        events.append(SegmentEnded(self.start, seg_end))
                    else:
                        events.append(SegmentDiscarded(self.start, seg_end))
                    self.reset()
                    continue
            if self.triggered and max_speech > 0 and end - self.start > max_speech:
                events.append(self._split(end))
        return events

    def _split(self, now: int) -> SegmentEnded:
        """End an over-long segment at its longest pause, or right here if it has none."""
        if self._silence_start is not None and now - self._silence_start >= _MIN_SPLIT_PAUSE:
            event = SegmentEnded(self.start, self._silence_start)
            self.reset()
            return event
        if self._best_pause is not None:
            pause_start, resume = self._best_pause
            event = SegmentEnded(self.start, pause_start, next_start=resume)
            self.start = resume
        else:
            cut = self._quietest[1] if self._quietest is not None else now
            event = SegmentEnded(self.start, cut, next_start=cut, hard=True)
            self.start = cut
        self._best_pause = None
        self._quietest = None
        return event
