"""A session's audio and where its speech is: the buffer, the voice detector's scores, the
segment events, and the moments decodes wait for.

Everything here is a pure function of the audio received, never of when it arrived or when
a decode finished: that is what makes a session write the same text at real time, faster
than real time and after a replay. The voice detector is injected (Silero in the engine, a
scripted one in unit tests), so segmentation, partials and finals can be driven without a
model.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import numpy as np
import numpy.typing as npt

from app.engine.audio_buffer import AudioBuffer
from app.engine.vad import FRAME, Segmenter, SileroStream, SpeechPaused, VadEvent
from app.realtime.protocol import SAMPLE_RATE, TurnDetection

# A final's audio ends this long after the speech paused (the segment's padding when that is
# shorter): enough for the tail of the last word, short enough that the partial taken then
# is ready when the key is released a moment later. Whisper's text depends on where a clip
# ends (tiny.en wrote other words for a third of our pauses between 30 ms and 250 ms), so
# the final and that partial decode exactly the same clip, whenever the release comes.
TAIL_S = 0.1


class VoiceDetector(Protocol):
    """Speech probability for each whole `FRAME` of a continuous stream."""

    def process(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...


class Segmentation:
    """The audio of one session, scored frame by frame; positions are absolute samples."""

    def __init__(self, params: TurnDetection, voice: VoiceDetector | None = None) -> None:
        self.audio = AudioBuffer()
        self.segmenter = Segmenter(params)
        self._voice = voice if voice is not None else SileroStream()
        self._carry = b""
        self._speech = bytearray()  # one byte per frame: 1 where it was speech
        # Where the partial taken at a pause ends: the pause plus `TAIL_S`, exactly where a
        # final's audio ends, so that its text can be the final's.
        self.pause_at: int | None = None
        self._pause_decoded = False
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []

    @property
    def end(self) -> int:
        return self.audio.end

    @property
    def params(self) -> TurnDetection:
        return self.segmenter.params

    def feed(self, data: bytes) -> list[VadEvent]:
        """Take the client's bytes (any split, an odd byte waits for its pair); the segment
        events they complete."""
        pcm = self._carry + data
        if len(pcm) % 2:
            pcm, self._carry = pcm[:-1], pcm[-1:]
        else:
            self._carry = b""
        if not pcm:
            return []
        self.audio.append(pcm)
        self.release()
        floats = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        probs = self._voice.process(floats)
        first = len(self._speech) * FRAME
        self._speech += (probs >= self.params.threshold).astype(np.uint8).tobytes()
        events = self.segmenter.feed(first, probs)
        for event in events:
            if isinstance(event, SpeechPaused):
                self.pause_at = event.at
                self._pause_decoded = False
        return events

    # --- where the speech is --------------------------------------------------------------

    def speech_between(self, start: int, end: int) -> int:
        """Samples scored as speech in [start, end), to whole frames."""
        return self._speech[max(start, 0) // FRAME : max(end, 0) // FRAME].count(1) * FRAME

    @property
    def pad(self) -> int:
        return int(self.params.speech_pad_ms * SAMPLE_RATE / 1000)

    @property
    def min_speech(self) -> int:
        return int(self.params.min_speech_duration_ms * SAMPLE_RATE / 1000)

    def has_speech(self, start: int, end: int) -> bool:
        return self.speech_between(start, end) >= self.min_speech

    # --- the pause partial ----------------------------------------------------------------

    @property
    def pause_end(self) -> int | None:
        return None if self.pause_at is None else self.pause_at + self.tail

    @property
    def tail(self) -> int:
        return min(self.pad, int(TAIL_S * SAMPLE_RATE))

    def _paused_since(self, end: int) -> bool:
        """No speech from the pause to `end`."""
        return self.pause_at is not None and self.speech_between(self.pause_at, end) == 0

    def forget_pause(self) -> None:
        self.pause_at = None

    def pause_reached(self) -> bool:
        """True once per pause, when the audio reaches the end of its tail with no speech
        since: the moment to decode the partial that will likely be the final."""
        pause_end = self.pause_end
        if pause_end is None or self._pause_decoded or self.end < pause_end:
            return False
        if not self._paused_since(self.end):
            self.pause_at = None  # the speaker went on
            return False
        self._pause_decoded = True
        return True

    def partial_end(self, final_grade: bool) -> int:
        """Where a partial decoded now ends: all the audio, except that the partial taken
        at a pause ends where the final will (so its punctuation is the final's)."""
        end = self.end
        pause_end = self.pause_end
        if final_grade and pause_end is not None:
            if self._paused_since(end):
                return min(end, pause_end)
            self.pause_at = None
        return end

    def clip_end(self, end: int) -> int:
        """Where the audio decoded for a final ending at `end` stops: at the end of the
        pause's tail when nothing was said since (the silence after it holds no words),
        so the final decodes the very clip the pause partial decoded, at any pace."""
        pause_end = self.pause_end
        if pause_end is not None and self._paused_since(end):
            return min(end, pause_end)
        return end

    # --- waiting for audio ----------------------------------------------------------------

    def until(self, sample: int) -> asyncio.Future[None]:
        """Resolves once the audio reaches `sample` (or `release(everything=True)`)."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((sample, ready))
        self.release()
        return ready

    def release(self, everything: bool = False) -> None:
        """Wake what waits for audio that has come; everything when no more audio will come
        before a result is wanted (a commit, the end of the session)."""
        waiting = []
        for sample, ready in self._waiting:
            if everything or self.end >= sample:
                if not ready.done():
                    ready.set_result(None)
            else:
                waiting.append((sample, ready))
        self._waiting = waiting

    def drop_before(self, sample: int) -> None:
        self.audio.drop_before(sample)

    def samples(self, start: int, end: int) -> npt.NDArray[np.float32]:
        return self.audio.samples(start, end)

    def close(self) -> None:
        self.release(everything=True)
        self.audio = AudioBuffer()
