"""Downmixing, resampling, framing and levels, on synthetic signals (no audio device)."""

from __future__ import annotations

import numpy as np
import soxr

from app.audio.levels import LevelMeter
from app.audio.resample import Framer, Resampler, downmix


def sweep(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    f0, f1 = 100.0, 7000.0
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / (2 * seconds) * t**2)
    return (0.5 * np.sin(phase)).astype(np.float32)


def stream_through(signal: np.ndarray, rate: int, blocks: list[int]) -> np.ndarray:
    resampler, framer = Resampler(rate), Framer(20)
    frames: list[bytes] = []
    pos, i = 0, 0
    while pos < signal.size:
        size = blocks[i % len(blocks)]
        frames += framer.push(resampler.process(signal[pos : pos + size]))
        pos, i = pos + size, i + 1
    frames += framer.push(resampler.process(np.zeros(0, np.float32), last=True))
    tail = framer.flush()
    pcm = b"".join(frames) + tail
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768


def test_streamed_resampling_equals_one_shot_with_no_clicks_at_block_edges() -> None:
    rate = 48000
    signal = sweep(rate, 3.0)
    streamed = stream_through(signal, rate, [480, 441, 1024, 17, 4800])
    reference = soxr.resample(signal, rate, 16000, quality="HQ")
    n = min(streamed.size, reference.size)
    assert abs(streamed.size - reference.size) <= 2
    diff = np.abs(streamed[:n] - reference[:n])
    assert diff.max() < 2e-4  # int16 rounding, nothing more: no clicks anywhere
    # The largest sample-to-sample jump is the sweep's own, not a block boundary's.
    assert np.abs(np.diff(streamed[:n])).max() <= np.abs(np.diff(reference[:n])).max() + 1e-3


def test_ten_minutes_of_input_give_exact_frames_and_no_drift() -> None:
    rate, block = 44100, 441  # PortAudio's 10 ms blocks
    resampler, framer = Resampler(rate), Framer(20)
    silence_block = np.zeros(block, np.float32)
    frames = 0
    blocks = 10 * 60 * rate // block
    for _ in range(blocks):
        out = framer.push(resampler.process(silence_block))
        assert all(len(f) == 640 for f in out)
        frames += len(out)
    frames += len(framer.push(resampler.process(np.zeros(0, np.float32), last=True)))
    total = frames * 320 + len(framer.flush()) // 2
    assert total == 10 * 60 * 16000


def test_sixteen_khz_input_passes_through_untouched() -> None:
    signal = sweep(16000, 1.0)
    assert np.array_equal(Resampler(16000).process(signal), signal)


def test_downmix_averages_channels() -> None:
    stereo = np.stack([np.ones(4, np.float32), -np.ones(4, np.float32) * 0.5], axis=1)
    assert np.allclose(downmix(stereo), 0.25)
    assert downmix(np.ones((3, 1), np.float32)).shape == (3,)


def test_frames_must_be_20_to_100_ms() -> None:
    for bad in (10, 120):
        try:
            Framer(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} ms accepted")


def test_levels_are_in_dbfs_and_at_most_every_50_ms() -> None:
    rate = 48000
    meter = LevelMeter(rate)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    levels = []
    for i in range(0, rate, 480):
        level, _ = meter.push(tone[i : i + 480])
        if level is not None:
            levels.append(level)
    assert len(levels) == 20  # one second, one level per 50 ms
    assert all(abs(lv.peak_db - (-6.02)) < 0.1 and abs(lv.rms_db - (-9.03)) < 0.1 for lv in levels)


def test_digital_silence_warns_once_after_a_second() -> None:
    meter = LevelMeter(16000)
    warnings = [meter.push(np.zeros(1600, np.float32))[1] for _ in range(25)]
    assert warnings.count(True) == 1 and warnings.index(True) == 9
    meter.push(np.full(160, 0.1, np.float32))
    assert not meter.silent_input
