"""Where Together's service moved since PROTOCOL.md (docs/protocol-notes.md), both sides.

Client: an overloaded service (close 4503 with no frame, or `no_healthy_workers`) is retried
with backoff, never in a tight loop; a server that does not acknowledge commits is waited for
while it works through a file sent faster than real time. Engine: configuration errors can come
Together's way (`session.created`, then a fatal `failed`); session fields it does not know are
ignored.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator

import pytest
import websocket
from websockets.sync.server import ServerConnection

from app.audio.files import FileSource
from app.backends import stream_source
from app.core.errors import ConfigError, ConnectionLostError
from app.realtime.backoff import Backoff
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.connect import connect_websocket
from app.realtime.events import ClientEvent, Status
from app.realtime.protocol import COMMITTED
from tests.conftest import Engine, start_engine
from tests.scripted import FrameScript, created
from tests.served import Served
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


class WithoutCommitAcks:
    """Our engine's socket as a client of a server that names no item for a commit sees it
    (Together; `commit_ack=None` until the first `input_audio_buffer.committed`)."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self._ws = ws

    def recv_data(self, control_frame: bool = False) -> tuple[int, bytes]:
        while True:
            opcode, data = self._ws.recv_data(control_frame=control_frame)
            if opcode != websocket.ABNF.OPCODE_TEXT or json.loads(data)["type"] != COMMITTED:
                return opcode, data

    def __getattr__(self, name: str) -> object:
        return getattr(self._ws, name)


def test_a_server_without_commit_acks_is_waited_for_while_it_catches_up() -> None:
    """A file sent as fast as the socket takes it, to `dictate serve` in its own process (in
    ours, the client would be slowed to the engine's pace): the engine is far behind when
    the last commit goes, and VAD segments' `completed` keep coming before the commit's own.
    The first of them, or a pause in the answers, ended the dictation: 2 segments of 42."""
    copies = 10
    audio = b"".join(pcm("long") + silence(0.5) for _ in range(copies))
    served = Served("--port", "0", "--token", "t")
    try:
        cfg = ClientConfig(url=served.url, model="openai/whisper-tiny.en", api_key="t",
                           commit_ack=None, return_audio=False)  # fmt: skip
        client = RealtimeClient(cfg, connect=lambda *a: WithoutCommitAcks(connect_websocket(*a)))
        result = stream_source(client, FileSource(audio, realtime=False))
    finally:
        served.close()
    assert result.error is None
    assert wer(" ".join([TEXTS["long"]] * copies), result.text) <= 0.3, result.text


def test_a_server_that_stops_answering_a_fast_file_is_left_in_bounded_time() -> None:
    """The other side of waiting for a server that catches up: one that takes the audio and
    then says nothing (pongs only) ends the dictation once its quiet has lasted as long as
    a server ten times faster than real time would need, with the text it gave."""

    def handler(conn: ServerConnection) -> None:
        conn.send(created())
        for _ in conn:  # takes every frame, answers none
            pass

    server = FrameScript(handler)
    try:
        cfg = ClientConfig(url=server.url, model="m", api_key="k", commit_ack=None,
                           return_audio=False)  # fmt: skip
        started = time.monotonic()
        result = stream_source(RealtimeClient(cfg), FileSource(silence(60), realtime=False))
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert result.error is None and result.text == ""
    assert 5 < elapsed < 30  # waited for it (1.2 s before), but not for the finish cap (120 s)
