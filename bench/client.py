"""Client benchmark (issue 3): CPU and memory while streaming 60 s at real time, and how
long transcripts take to flow again after the connection is cut.

Run: `.venv/bin/python -m bench.client`. The engine runs in a subprocess, so this process's
CPU is the client's own (plus the paced file source that stands in for the microphone).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from urllib.parse import urlsplit

from app.audio.files import FileSource
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent, TextChanged
from bench.common import TOKEN, pct, rss_mb, served, table
from tests.proxy import FaultProxy
from tests.speech import pcm, silence


def minute_of_speech() -> bytes:
    names = ["long", "five", "weather", "meeting", "fox"]
    audio = b""
    while len(audio) < 60 * 32000:
        for name in names:
            audio += pcm(name) + silence(0.8)
    return audio[: 60 * 32000]


def cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stream_minute(url: str) -> tuple[float, list[float], str]:
    config = ClientConfig(url, "openai/whisper-tiny.en", TOKEN, commit_ack=True)
    client = RealtimeClient(config)
    client.start()
    source = FileSource(minute_of_speech(), frame_ms=20, realtime=True)
    rss: list[float] = []
    cpu_before, wall_before = cpu_time(), time.monotonic()
    source.start(client.send_audio)
    while not source.wait(5):
        rss.append(rss_mb(os.getpid()))
    cpu = (cpu_time() - cpu_before) / (time.monotonic() - wall_before) * 100
    result = client.finish(30)
    return cpu, rss, result.text


def one_cut(proxy: FaultProxy) -> float:
    """Seconds from cutting the connection mid-utterance to partial text flowing again."""
    flowing = threading.Event()
    cut_at = 0.0

    def on_event(event: ClientEvent) -> None:
        if cut_at and isinstance(event, TextChanged) and event.live:
            flowing.set()

    config = ClientConfig(proxy.url(), "openai/whisper-tiny.en", TOKEN, commit_ack=True)
    client = RealtimeClient(config, on_event)
    client.start()
    source = FileSource(pcm("long"), frame_ms=20, realtime=True)
    source.start(client.send_audio)
    time.sleep(2.0)  # pacing: cut in the middle of the utterance
    cut_at = time.monotonic()
    proxy.cut()
    flowing.wait(15)
    elapsed = time.monotonic() - cut_at
    source.stop()
    client.finish(20)
    return elapsed


def reconnect_times(url: str, runs: int = 5) -> list[float]:
    parts = urlsplit(url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 0)
    try:
        return [one_cut(proxy) for _ in range(runs)]
    finally:
        proxy.close()


def main() -> None:
    with served(18766) as (url, _proc):
        cpu, rss, text = stream_minute(url)
        cuts = reconnect_times(url)
    growth = rss[-1] - rss[0] if rss else float("nan")
    rows = [
        ("client CPU, 60 s at real time", f"{cpu:.2f} % of a core", "<= 2 %", str(cpu <= 2)),
        ("client RSS at 5 s / 60 s", f"{rss[0]:.0f} / {rss[-1]:.0f} MB", "flat", str(growth < 5)),
        (
            "cut -> partial text again, p50",
            f"{pct(cuts, 50) * 1000:.0f} ms",
            "<= 1000 ms + backoff (0 on first retry)",
            str(pct(cuts, 50) <= 1.0),
        ),
        ("cut -> partial text again, max", f"{max(cuts) * 1000:.0f} ms", "", ""),
        ("words transcribed in the minute", str(len(text.split())), "", ""),
    ]
    print(table("Realtime client", rows))


if __name__ == "__main__":
    main()
