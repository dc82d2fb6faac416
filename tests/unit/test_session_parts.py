"""The engine session's segmentation, partials and finals, driven without a model.

Speech here is tone bursts, one pitch per word; the voice detector hears energy and the
recognizer names each burst by its pitch, with its timing. So a test knows exactly what a
decode of any clip must write, and can see which clips were decoded, in which order and
when: that is what pace independence, partial reuse, look-ahead at cuts and live text while
a final waits are about.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.decode import Request, Transcript, Word
from app.engine.items import SessionOptions
from app.engine.scheduler import DecodeScheduler
from app.engine.segmentation import TAIL_S
from app.engine.session import Session
from app.engine.vad import FRAME
from app.realtime.protocol import AppendAudio, Commit, TurnDetection

RATE = 16000
PITCHES = {200: "alpha", 300: "bravo", 400: "charlie", 500: "delta", 600: "echo", 700: "fox"}


def word(pitch: int, seconds: float = 0.4) -> npt.NDArray[np.int16]:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * pitch * t) * 8000).astype(np.int16)


def gap(seconds: float) -> npt.NDArray[np.int16]:
    return np.zeros(int(seconds * RATE), np.int16)


class EnergyVoice:
    """Speech wherever a frame is loud."""

    def __init__(self) -> None:
        self._pending = np.zeros(0, np.float32)

    def process(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        data = np.concatenate([self._pending, samples])
        whole = data.size // FRAME * FRAME
        self._pending = data[whole:]
        frames = data[:whole].reshape(-1, FRAME)
        loud: npt.NDArray[np.float32] = (np.abs(frames).mean(axis=1) > 0.05).astype(np.float32)
        return loud * 0.9


@dataclass
class ToneRecognizer:
    """Names each burst of a clip by its pitch; `hold` keeps the final-grade decodes that
    hear `held_word` waiting."""

    model_id: str = "tones"
    decoded: list[Request] = field(default_factory=list)
    hold: threading.Event | None = None
    held_word: str = "bravo"

    def prepare(self, request: Request) -> None:
        return None  # every decode goes through `decode`

    def decode(self, requests: list[Request]) -> list[Transcript]:
        out = []
        for request in requests:
            self.decoded.append(request)
            found = self.name(request)
            if self.hold is not None and request.fallback and self.held_word in found.text:
                self.hold.wait(10)
            out.append(found)
        return out

    @staticmethod
    def name(request: Request) -> Transcript:
        audio = request.audio
        loud = np.abs(audio) > 0.05
        words: list[Word] = []
        i = 0
        while i < audio.size:
            if not loud[i]:
                i += 1
                continue
            j = i
            while j < audio.size and np.any(loud[j : j + 160]):
                j += 160
            burst = audio[i:j]
            crossings = np.count_nonzero(np.diff(np.signbit(burst)))
            pitch = round(crossings / 2 / (burst.size / RATE) / 100) * 100
            if burst.size >= 0.2 * RATE and pitch in PITCHES:  # a clipped word is not heard
                words.append(Word(" " + PITCHES[pitch], i / RATE, j / RATE))
            i = j
        return Transcript("".join(w.text for w in words).strip(), words if request.words else [])


async def run_session(
    chunks: list[bytes],
    recognizer: ToneRecognizer,
    *,
    pace: float | None = None,
    during: Callable[[list[dict[str, Any]]], Coroutine[Any, Any, None]] | None = None,
    turn_detection: TurnDetection | None = None,
) -> list[dict[str, Any]]:
    """Feed `chunks` (paced in audio time when `pace`), commit, wait for every final."""
    scheduler = DecodeScheduler(workers=2, batching=False)
    scheduler.start()
    events: list[dict[str, Any]] = []

    async def send(text: str) -> None:
        events.append(json.loads(text))

    options = SessionOptions(turn_detection=turn_detection or TurnDetection())
    session = Session(recognizer, scheduler, send, options, EnergyVoice())  # type: ignore[arg-type]
    watcher = asyncio.create_task(during(events)) if during else None
    for chunk in chunks:
        await session.handle(AppendAudio(chunk))
        await asyncio.sleep(len(chunk) / 2 / RATE / pace if pace else 0)
    await session.handle(Commit())
    await session.drain()
    if watcher is not None:
        await watcher
    session.close()
    await scheduler.stop()
    return events


def split(pcm: npt.NDArray[np.int16], ms: int) -> list[bytes]:
    data = pcm.tobytes()
    size = RATE * 2 * ms // 1000
    return [data[i : i + size] for i in range(0, len(data), size)]


def completed(events: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    return [
        (e["transcript"], round(e["start"], 3), round(e["duration"], 3))
        for e in events
        if e["type"].endswith("transcription.completed")
    ]


PHRASES = np.concatenate(
    [gap(0.3), word(200), gap(0.1), word(300), gap(0.8), word(400), gap(0.6), word(500), gap(0.4)]
)


def test_the_same_audio_gives_the_same_segments_in_any_chunks_at_any_pace() -> None:
    fast = asyncio.run(run_session(split(PHRASES, 1000), ToneRecognizer()))
    paced = asyncio.run(run_session(split(PHRASES, 20), ToneRecognizer(), pace=4.0))
    assert completed(fast) == completed(paced)
    assert [t for t, _s, _d in completed(fast)] == ["alpha bravo", "charlie", "delta"]


def test_the_pause_partial_decodes_the_finals_clip_and_becomes_the_final() -> None:
    recognizer = ToneRecognizer()
    events = asyncio.run(run_session(split(PHRASES, 20), recognizer, pace=4.0))
    assert completed(events)
    # A segment ended by silence is decoded as a final once: by the partial taken at the
    # pause, whose clip ends where the final's does (the pause plus a short tail).
    start = completed(events)[0][1]
    clip = 0.3 + 0.4 + 0.1 + 0.4 + TAIL_S - start  # to the end of the speech, and the tail
    graded = [r.audio.size / RATE for r in recognizer.decoded if r.fallback]
    assert len([g for g in graded if abs(g - clip) < 2 * FRAME / RATE]) == 1, (clip, graded)


def test_the_next_phrase_is_live_while_the_previous_final_waits() -> None:
    hold = threading.Event()
    recognizer = ToneRecognizer(hold=hold)
    seen_delta_of_next: list[bool] = []

    async def release_when_next_is_live(events: list[dict[str, Any]]) -> None:
        while True:
            deltas = [e for e in events if e["type"].endswith("transcription.delta")]
            items = list(dict.fromkeys(e["item_id"] for e in deltas))
            if len(items) >= 2:
                done = {e["item_id"] for e in events if e["type"].endswith("completed")}
                seen_delta_of_next.append(items[0] not in done)
                break
            await asyncio.sleep(0.01)
        hold.set()

    events = asyncio.run(
        run_session(split(PHRASES, 20), recognizer, pace=4.0, during=release_when_next_is_live)
    )
    assert seen_delta_of_next == [True], "a delta of the next item came before the final"
    assert [t for t, _s, _d in completed(events)] == ["alpha bravo", "charlie", "delta"]


def test_a_cut_in_running_speech_is_decoded_with_the_second_after_it() -> None:
    # Six words with no pause a segment could end at (40 ms between words): longer than
    # the segment maximum, so the detector must cut in running speech.
    words = [np.concatenate([word(p, 0.45), gap(0.04)]) for p in (200, 300, 400, 500, 600, 700)]
    running = np.concatenate([gap(0.3), *words, gap(0.7)])
    recognizer = ToneRecognizer()
    td = TurnDetection(max_speech_duration_s=1.5)
    events = asyncio.run(run_session(split(running, 20), recognizer, pace=8.0, turn_detection=td))
    texts = [t for t, _s, _d in completed(events)]
    # Every word once, in order, though cuts fell inside words.
    assert " ".join(t for t in texts if t).split() == [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "fox",
    ]
    cut_finals = [r for r in recognizer.decoded if r.words and r.fallback]
    assert cut_finals
    for request in cut_finals[:1]:  # the first cut's final heard past the cut
        assert request.audio.size / RATE >= 1.5 + 1.0 - 0.3
    # The segments follow one another with no overlap (an empty one is not sent).
    spans = completed(events)
    for (_t, start, duration), (_n, after, _d) in itertools.pairwise(spans):
        assert start + duration <= after + 0.002
