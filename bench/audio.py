"""Audio benchmark (issue 4): pipeline CPU for 48 kHz stereo, block -> frame latency, and
how long a cold microphone takes to deliver its first block.

Run: `.venv/bin/python -m bench.audio` (needs pulseaudio for the real-device part, as the
test suite installs it).
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from app.audio import devices
from app.audio.capture import MicrophoneSource
from app.audio.levels import LevelMeter
from app.audio.resample import Framer, Resampler, downmix
from bench.common import pct, table
from tests.speech import pcm
from tests.virtual_mic import VirtualMic


def cpu_time(exclude_tid: int = 0) -> float:
    """This process's CPU seconds, less one thread's (the virtual microphone's feeder)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    if exclude_tid:
        total -= cpu_seconds_of(f"/proc/self/task/{exclude_tid}/stat")
    return total


def cpu_seconds_of(stat_path: str) -> float:
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def synthetic_pipeline_cost(seconds: int = 60) -> float:
    """CPU seconds per second of 48 kHz stereo audio through downmix, levels, soxr, framing."""
    rate, block = 48000, 960
    rng = np.random.default_rng(0)
    blocks = [rng.normal(0, 0.1, (block, 2)).astype(np.float32) for _ in range(100)]
    resampler, framer, meter = Resampler(rate), Framer(20), LevelMeter(rate)
    started = time.process_time()
    for i in range(seconds * rate // block):
        mono = downmix(blocks[i % 100])
        meter.push(mono)
        framer.push(resampler.process(mono))
    return (time.process_time() - started) / seconds


def real_capture(seconds: float = 20) -> tuple[float, list[float], list[float], str]:
    mic = VirtualMic(48000)
    mic.start()
    devices.refresh()
    try:
        colds = []
        for _ in range(5):
            source = MicrophoneSource(None)
            source.start(lambda _f: None)
            while source.cold_start_s is None:
                time.sleep(0.005)  # pacing: polling for the first block
            colds.append(source.cold_start_s)
            source.stop()
        source = MicrophoneSource(None)
        for _ in range(int(seconds // 4)):
            mic.play(pcm("five"))
        frames = 0

        def sink(_frame: bytes) -> None:
            nonlocal frames
            frames += 1

        source.start(sink)
        cpu_before, wall = cpu_time(mic.feeder_tid), time.monotonic()
        source.wait(seconds)
        cpu = (cpu_time(mic.feeder_tid) - cpu_before) / (time.monotonic() - wall)
        latencies = list(source.block_latencies)
        opened = f"{source.rate:.0f} Hz, {source.channels} ch"
        source.stop()
        return cpu, latencies, colds, opened
    finally:
        mic.stop()


def main() -> None:
    per_second = synthetic_pipeline_cost()
    cpu, latencies, colds, opened = real_capture()
    rows = [
        (
            "pipeline CPU, 48 kHz stereo (synthetic)",
            f"{per_second * 100:.2f} % of a core",
            "<= 1 %",
            str(per_second <= 0.01),
        ),
        (
            f"capture CPU, callback + pipeline ({opened})",
            f"{cpu * 100:.2f} % of a core",
            "<= 1 %",
            str(cpu <= 0.01),
        ),
        (
            "block -> frame on the queue, p95",
            f"{pct(latencies, 95) * 1000:.2f} ms",
            "<= 10 ms",
            str(pct(latencies, 95) <= 0.010),
        ),
        (
            "cold microphone start (open -> first block), p50",
            f"{pct(colds, 50) * 1000:.0f} ms",
            "measure",
            "",
        ),
        ("cold microphone start, max", f"{max(colds) * 1000:.0f} ms", "", ""),
        ("cores", str(os.cpu_count()), "", ""),
    ]
    print(table("Audio capture and resampling", rows))


if __name__ == "__main__":
    main()
