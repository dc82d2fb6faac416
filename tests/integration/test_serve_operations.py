"""Operating `dictate serve` (issue 11): /health, /ready, /metrics, SIGTERM drain, JSON logs.

A real `dictate serve` subprocess with a key; a real dictation over a raw WebSocket; /metrics
read with prometheus_client's own parser.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.served import Served, http_get, metrics
from tests.speech import TEXTS, pcm, silence, wer
from tests.waiting import wait_until
from tests.wire import RawSession, handshake_error

KEY = "team-key-6f1c2d"
WRONG = "wrong-key-93ab7e"


def test_health_ready_metrics_and_a_drain_that_gives_the_final_text() -> None:
    served = Served(
        "--port", "0", "--token", KEY, "--log-format", "json", "--max-sessions", "2",
        "--drain-timeout-s", "30",
    )  # fmt: skip
    try:
        assert http_get(served.port, "/health") == (200, "ok\n")
        assert http_get(served.port, "/ready") == (200, "ready\n")
        before = metrics(served.port)
        assert before["dictate_sessions_open"] == 0
        assert before['dictate_model_load_seconds{model="openai/whisper-tiny.en"}'] > 0
        assert before.get("dictate_sessions_total", 0) == 0

        status, body = handshake_error(
            served.url, "model=openai/whisper-tiny.en", [f"Authorization: Bearer {WRONG}"]
        )
        assert (status, body["error"]["code"]) == (401, "invalid_api_key")

        audio = pcm("fox") + silence(0.3)
        half = len(audio) // 2 // 2 * 2
        session = RawSession(served.url, KEY)
        session.stream(audio[:half], pace=1.0)
        during = metrics(served.port)
        assert during["dictate_sessions_open"] == 1
        assert during["dictate_sessions_total"] == 1
        assert during["dictate_audio_seconds_total"] >= half / 32000 - 0.01
        assert during['dictate_sessions_refused_total{reason="invalid_api_key"}'] == 1
        # One session of two: /ready says the engine would take another.
        assert http_get(served.port, "/ready")[0] == 200

        served.terminate()
        wait_until(lambda: http_get(served.port, "/ready")[0] == 503, 10, "/ready 503")
        assert "draining" in http_get(served.port, "/ready")[1]
        status, body = handshake_error(
            served.url, "model=openai/whisper-tiny.en", [f"Authorization: Bearer {KEY}"]
        )
        assert (status, body["error"]["code"]) == (503, "server_shutdown")

        session.stream(audio[half:], pace=1.0)
        _, text = session.commit_and_wait()
        assert wer(TEXTS["fox"], text) <= 0.35, text
        after = metrics(served.port)
        assert after["dictate_commit_to_completed_seconds_count"] == 1
        # The final may reuse the partial taken at the pause: decodes of any kind count.
        decodes = [v for k, v in after.items() if k.startswith("dictate_decode_seconds_count")]
        waits = [
            v for k, v in after.items() if k.startswith("dictate_decode_queue_wait_seconds_count")
        ]
        assert sum(decodes) >= 1 and sum(waits) == sum(decodes)
        assert after["dictate_partial_lag_seconds_count"] >= 1
        assert after['dictate_sessions_refused_total{reason="server_shutdown"}'] == 1
        assert after["dictate_draining"] == 1
        session.close()
        assert served.wait(15) == 0
    finally:
        served.close()

    log = served.log()
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert entries, "no log lines"
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any("draining" in e["message"] for e in entries)
    everything = log + "\n".join(served.lines)
    assert KEY not in everything and WRONG not in everything


def test_a_drain_ends_sessions_that_go_on_past_the_bound() -> None:
    served = Served("--port", "0", "--no-auth", "--drain-timeout-s", "1")
    try:
        session = RawSession(served.url, None)
        session.stream(pcm("fox"), pace=None)
        done = threading.Event()
        served.terminate()
        events: list[dict[str, Any]] = []

        def read() -> None:
            try:
                while True:
                    events.append(session.next(20))
            except Exception:
                done.set()

        threading.Thread(target=read, daemon=True).start()
        assert served.wait(20) == 0
        assert done.wait(10)
        failed = [e for e in events if e["type"].endswith("failed")]
        assert failed and failed[-1]["error"]["code"] == "server_shutdown"
    finally:
        served.close()
