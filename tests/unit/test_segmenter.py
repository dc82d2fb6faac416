"""The VAD segmenter on made-up speech probabilities (one value per 32 ms frame)."""

from __future__ import annotations

import numpy as np

from app.engine.audio_buffer import AudioBuffer
from app.engine.vad import FRAME, SegmentDiscarded, SegmentEnded, Segmenter, SpeechStarted
from app.realtime.protocol import TurnDetection


def frames(*runs: tuple[float, float]) -> np.ndarray:
    """(probability, seconds) runs -> per-frame probabilities."""
    out = [np.full(round(sec * 16000 / FRAME), prob, dtype=np.float32) for prob, sec in runs]
    return np.concatenate(out)


def feed_all(seg: Segmenter, probs: np.ndarray, step: int = 3) -> list[object]:
    events: list[object] = []
    for i in range(0, probs.size, step):
        events += seg.feed(i * FRAME, probs[i : i + step])
    return events


def test_speech_then_enough_silence_ends_one_segment() -> None:
    seg = Segmenter(TurnDetection())
    events = feed_all(seg, frames((0.0, 0.5), (0.9, 1.0), (0.0, 0.7)))
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    ends = [e for e in events if isinstance(e, SegmentEnded)]
    assert len(starts) == 1 and len(ends) == 1
    assert abs(ends[0].start / 16000 - 0.5) < 0.04 and abs(ends[0].end / 16000 - 1.5) < 0.04


def test_a_short_pause_does_not_split_and_a_long_one_does() -> None:
    seg = Segmenter(TurnDetection())
    events = feed_all(seg, frames((0.9, 1.0), (0.0, 0.3), (0.9, 1.0), (0.0, 0.6), (0.9, 0.5)))
    ends = [e for e in events if isinstance(e, SegmentEnded)]
    assert len(ends) == 1 and abs(ends[0].end / 16000 - 2.3) < 0.04


def test_too_little_speech_is_discarded() -> None:
    seg = Segmenter(TurnDetection())
    events = feed_all(seg, frames((0.0, 0.3), (0.9, 0.15), (0.0, 1.0)))
    assert [type(e) for e in events if not isinstance(e, SpeechStarted)][-1] is SegmentDiscarded
    assert not [e for e in events if isinstance(e, SegmentEnded)]


def test_over_long_speech_splits_at_its_longest_pause() -> None:
    seg = Segmenter(TurnDetection())
    probs = frames((0.9, 2.0), (0.0, 0.2), (0.9, 1.5), (0.0, 0.3), (0.9, 2.5))
    ends = [e for e in feed_all(seg, probs) if isinstance(e, SegmentEnded)]
    assert ends, "no split"
    first = ends[0]
    assert abs(first.end / 16000 - 3.7) < 0.04  # the 0.3 s pause, not the 0.2 s one
    assert first.next_start is not None and abs(first.next_start / 16000 - 4.0) < 0.04
    assert (first.end - first.start) / 16000 <= 5.0


def test_speech_without_any_pause_is_cut_at_the_maximum() -> None:
    seg = Segmenter(TurnDetection(max_speech_duration_s=2.0))
    ends = [e for e in feed_all(seg, frames((0.9, 5.0))) if isinstance(e, SegmentEnded)]
    assert len(ends) == 2
    assert all((e.end - e.start) / 16000 <= 2.05 for e in ends)
    assert ends[0].next_start == ends[0].end == ends[1].start


def test_audio_buffer_keeps_absolute_positions_after_dropping() -> None:
    buf = AudioBuffer()
    buf.append(np.arange(1000, dtype="<i2").tobytes())
    buf.drop_before(400)
    assert (buf.base, buf.end, buf.kept) == (400, 1000, 600)
    got = buf.samples(390, 410)
    assert got.size == 10 and round(float(got[0]) * 32768) == 400


def test_speech_without_a_pause_is_cut_at_its_quietest_moment_in_the_last_third() -> None:
    seg = Segmenter(TurnDetection(max_speech_duration_s=3.0))
    # A dip (still speech, no pause) at 1.2 s is too early; the one at 2.5 s is taken.
    probs = frames((0.9, 1.2), (0.5, 0.1), (0.95, 1.2), (0.6, 0.1), (0.95, 1.0))
    ends = [e for e in feed_all(seg, probs) if isinstance(e, SegmentEnded)]
    assert ends and ends[0].hard
    dip = (38 + 3 + 38) * FRAME  # where the second dip's three frames begin
    assert dip <= ends[0].end <= dip + 3 * FRAME
    assert ends[0].next_start == ends[0].end


def test_a_cut_at_a_pause_is_not_hard() -> None:
    seg = Segmenter(TurnDetection())
    probs = frames((0.9, 2.0), (0.0, 0.2), (0.9, 3.5))
    ends = [e for e in feed_all(seg, probs) if isinstance(e, SegmentEnded)]
    assert ends and not ends[0].hard
