"""Hundreds of dictations against a server that answers every commit at once: none waits."""

from __future__ import annotations

import json
import time

from websockets.sync.server import ServerConnection

from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from tests.scripted import FrameScript, created
from tests.speech import silence

COMPLETED = "conversation.item.input_audio_transcription.completed"
FINISHES = 300


def answer_at_once(ws: ServerConnection) -> None:
    ws.send(created())
    count = 0
    for message in ws:
        if json.loads(message)["type"] == "input_audio_buffer.commit":
            count += 1
            item = f"item_{count}"
            ws.send(json.dumps({"type": "input_audio_buffer.committed", "item_id": item}))
            ws.send(json.dumps({"type": COMPLETED, "item_id": item, "transcript": f"n{count}"}))


def test_hundreds_of_finishes_never_wait_for_the_cap() -> None:
    server = FrameScript(answer_at_once)
    config = ClientConfig(url=server.url, model="m", finish_cap_s=5, commit_ack=True)
    waits: list[float] = []
    try:
        for _ in range(FINISHES):
            client = RealtimeClient(config)
            client.start()
            client.send_audio(silence(0.1))
            started = time.monotonic()
            result = client.finish()
            waits.append(time.monotonic() - started)
            assert result.error is None and result.text == "n1"
    finally:
        server.close()
    waits.sort()
    # A lost answer waits the whole 5 s cap; an answered one takes a round trip on loopback.
    assert waits[-1] < 1.0, f"slowest finish {waits[-1]:.3f} s; median {waits[FINISHES // 2]:.4f}"
