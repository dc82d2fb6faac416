"""Two `dictate serve` processes behind HAProxy (issue 11): sessions spread over both, and a
dictation whose engine is killed mid-sentence ends with the whole transcript, nothing doubled.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.realtime.events import Status, TextChanged
from tests.balanced import Balancer
from tests.integration.test_client import REFERENCE, Recorder, config, dictate, dictation_audio
from tests.served import Served, metrics
from tests.speech import wer
from tests.waiting import wait_until
from tests.wire import RawSession

KEY = "failover-key-1"


@pytest.fixture
def farm() -> Iterator[tuple[list[Served], Balancer]]:
    engines = [Served("--port", "0", "--token", KEY, "--max-sessions", "4") for _ in range(2)]
    balancer = None
    try:
        balancer = Balancer(engines)
        yield engines, balancer
    finally:
        if balancer is not None:
            balancer.close()
        for engine in engines:
            engine.close()


def open_sessions(engine: Served) -> float:
    return metrics(engine.port)["dictate_sessions_open"]


def test_sessions_spread_and_a_killed_engine_loses_no_words(
    farm: tuple[list[Served], Balancer],
) -> None:
    engines, balancer = farm
    sessions = [RawSession(balancer.url, KEY) for _ in range(4)]
    wait_until(lambda: [open_sessions(e) for e in engines] == [2, 2], 10, "two sessions each")
    for s in sessions:
        s.close()
    wait_until(lambda: sum(open_sessions(e) for e in engines) == 0, 10, "sessions closed")

    killed: list[Served] = []
    gap: list[float] = []

    def kill_while_speaking(recorder: Recorder) -> None:
        recorder.wait_for(lambda e: isinstance(e, TextChanged) and "weather" in e.live.lower())
        victim = next(e for e in engines if open_sessions(e) == 1)
        victim.kill()
        killed.append(victim)
        seen = len(recorder.events)
        at = time.monotonic()
        recorder.wait_for(
            lambda e: (
                isinstance(e, TextChanged) and bool(e.live) and recorder.events.index(e) >= seen
            )
        )
        gap.append(time.monotonic() - at)

    cfg = config(balancer.url, KEY)
    result, recorder = dictate(cfg, dictation_audio(), realtime=True, during=kill_while_speaking)
    assert killed and result.error is None
    assert result.reconnects >= 1
    assert any(isinstance(e, Status) and e.state == "reconnecting" for e in recorder.events)
    survivor = next(e for e in engines if e is not killed[0])
    assert metrics(survivor.port)["dictate_sessions_total"] >= 3  # its 2, then the failover
    assert wer(REFERENCE, result.text) <= 0.25, result.text
    assert len(result.text.split()) <= len(REFERENCE.split()) + 1, result.text
    assert gap and gap[0] < 10
