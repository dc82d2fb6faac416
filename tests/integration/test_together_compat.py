"""Where Together's service moved since PROTOCOL.md (docs/protocol-notes.md), both sides.

Client: an overloaded service (close 4503 with no frame, or `no_healthy_workers`) is retried
with backoff, never in a tight loop. Engine: configuration errors can come Together's way
(`session.created`, then a fatal `failed`); session fields it does not know are ignored.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator

import pytest
from websockets.sync.server import ServerConnection

from app.core.errors import ConfigError, ConnectionLostError
from app.realtime.backoff import Backoff
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent, Status
from tests.conftest import Engine, start_engine
from tests.scripted import FrameScript, created
from tests.speech import TEXTS, pcm, silence, wer
from tests.wire import FAILED, Closed, RawSession

BACKOFF = Backoff(base=0.2, cap=0.4, attempts=3)  # each wait is at least 0.1 s


def _overloaded(
    answer: Callable[[ServerConnection], None],
) -> tuple[object, list[float], list[ClientEvent]]:
    accepted: list[float] = []

    def handler(conn: ServerConnection) -> None:
        accepted.append(time.monotonic())
        answer(conn)

    server = FrameScript(handler)
    events: list[ClientEvent] = []
    try:
        cfg = ClientConfig(url=server.url, model="m", api_key="k", backoff=BACKOFF)
        client = RealtimeClient(cfg, events.append)
        client.start()
        client.send_audio(silence(0.5))
        result = client.finish(15)
    finally:
        server.close()
    return result, accepted, events


def _close_4503(conn: ServerConnection) -> None:
    conn.close(4503, "no healthy workers")


def _no_healthy_workers(conn: ServerConnection) -> None:
    conn.send(created())
    failed = {
        "type": FAILED,
        "error": {
            "message": "No healthy workers available",
            "type": "service_unavailable_error",
            "code": "no_healthy_workers",
        },
    }
    conn.send(json.dumps(failed))
    conn.close(1000)


@pytest.mark.parametrize("answer", [_close_4503, _no_healthy_workers], ids=["4503", "failed"])
def test_an_overloaded_service_is_retried_with_backoff_then_given_up_on(
    answer: Callable[[ServerConnection], None],
) -> None:
    result, accepted, events = _overloaded(answer)
    error = result.error  # type: ignore[attr-defined]
    assert isinstance(error, ConnectionLostError), error
    assert "audio are kept" in error.message
    assert len(accepted) == 4  # the first connection and three retries, then it gives up
    gaps = [b - a for a, b in itertools.pairwise(accepted)]
    assert min(gaps) >= 0.09, gaps  # waited, not a tight reconnect loop
    assert any(isinstance(e, Status) and "retrying in" in e.detail for e in events)


@pytest.fixture(scope="module")
def together_style() -> Iterator[Engine]:
    running = start_engine(max_sessions=2, config_errors="session")
    yield running
    running.embedded.stop()


def test_config_errors_come_after_session_created_in_session_mode(together_style: Engine) -> None:
    s = RawSession(together_style.url, together_style.token, {"model": "x/none"})
    assert s.created is not None and s.created["type"] == "session.created"
    failed = s.next(10)
    assert failed["type"] == FAILED and failed["error"]["code"] == "model_not_available"
    with pytest.raises(Closed):
        s.next(10)
    assert s.close_code == 1000
    # The refusal held no slot: both sessions of two still open.
    sessions = [RawSession(together_style.url, together_style.token) for _ in range(2)]
    for one in sessions:
        one.close()


def test_our_client_reports_a_session_mode_config_error_once(together_style: Engine) -> None:
    events: list[ClientEvent] = []
    cfg = ClientConfig(
        url=together_style.url, model="x/none", api_key=together_style.token, backoff=BACKOFF
    )
    client = RealtimeClient(cfg, events.append)
    client.start()
    client.send_audio(silence(0.5))
    result = client.finish(10)
    assert isinstance(result.error, ConfigError) and "x/none" in result.error.message
    assert result.reconnects == 0


def test_unknown_session_fields_are_ignored(engine: Engine) -> None:
    query = {"rolling_prompt": "true", "energy_gate_rms": "0.01"}
    s = RawSession(engine.url, engine.token, query)
    s.send(
        {
            "type": "transcription_session.update",
            "session": {"rolling_prompt": True, "energy_gate_rms": 0.02, "language": "en"},
        }
    )
    updated = s.until("transcription_session.updated", 5)
    assert not [e for e in updated if e["type"] == FAILED]
    assert "rolling_prompt" not in updated[-1]["session"]
    s.stream(pcm("fox") + silence(0.3), pace=None)
    _, text = s.commit_and_wait()
    assert wer(TEXTS["fox"], text) <= 0.35
    s.close()
