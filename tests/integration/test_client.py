"""The realtime client against the real engine, directly and through a faulty network."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.audio.files import FileSource
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from app.realtime.events import ClientEvent, DictationResult, Status, TextChanged
from app.realtime.protocol import TurnDetection
from tests.conftest import Engine
from tests.proxy import FaultProxy
from tests.speech import TEXTS, pcm, silence, wer

DICTATION = ["weather", "fox", "meeting"]
REFERENCE = " ".join(TEXTS[n] for n in DICTATION)


def dictation_audio() -> bytes:
    return b"".join(pcm(n) + silence(0.9) for n in DICTATION)


class Recorder:
    """Collects events; lets a test wait for one that matches."""

    def __init__(self) -> None:
        self.events: list[ClientEvent] = []
        self._cv = threading.Condition()

    def __call__(self, event: ClientEvent) -> None:
        with self._cv:
            self.events.append(event)
            self._cv.notify_all()

    def wait_for(self, predicate: object, timeout: float = 30) -> ClientEvent:
        assert callable(predicate)
        with self._cv:
            found: list[ClientEvent] = []

            def match() -> bool:
                found[:] = [e for e in self.events if predicate(e)]
                return bool(found)

            assert self._cv.wait_for(match, timeout), "the event never came"
            return found[0]


def config(url: str, token: str, **kw: object) -> ClientConfig:
    options: dict[str, object] = {
        "url": url,
        "model": "openai/whisper-tiny.en",
        "api_key": token,
        "ping_interval_s": 0.5,
        "ping_timeout_s": 1.0,
        "commit_ack": True,
    }
    options.update(kw)
    return ClientConfig(**options)  # type: ignore[arg-type]


def dictate(
    cfg: ClientConfig, audio: bytes, *, realtime: bool, during: object = None
) -> tuple[DictationResult, Recorder]:
    recorder = Recorder()
    client = RealtimeClient(cfg, recorder)
    client.start()
    source = FileSource(audio, realtime=realtime)
    source.start(client.send_audio)
    if callable(during):
        during(recorder)
    assert source.wait(120)
    return client.finish(60), recorder


@pytest.fixture(scope="module")
def uninterrupted(engine: Engine) -> DictationResult:
    result, _ = dictate(config(engine.url, engine.token), dictation_audio(), realtime=False)
    return result


@pytest.fixture
def proxy(engine: Engine) -> Iterator[FaultProxy]:
    port = int(engine.url.rsplit(":", 1)[1].split("/")[0])
    running = FaultProxy("127.0.0.1", port)
    yield running
    running.close()


def test_vad_mode_gives_several_segments_and_the_whole_text(
    uninterrupted: DictationResult,
) -> None:
    assert uninterrupted.error is None
    assert len(uninterrupted.segments) >= 3
    assert wer(REFERENCE, uninterrupted.text) <= 0.25
    assert uninterrupted.audio == dictation_audio()


def test_manual_mode_finalizes_on_finish(engine: Engine) -> None:
    cfg = config(engine.url, engine.token, turn_detection=None)
    result, recorder = dictate(cfg, pcm("fox") + silence(0.5) + pcm("meeting"), realtime=False)
    assert result.error is None and len(result.segments) == 1
    assert wer(TEXTS["fox"] + " " + TEXTS["meeting"], result.text) <= 0.25
    assert any(isinstance(e, Status) and e.state == "connected" for e in recorder.events)


def test_live_text_flows_while_speaking(engine: Engine) -> None:
    cfg = config(engine.url, engine.token)
    result, recorder = dictate(cfg, pcm("five") + silence(0.3), realtime=True)
    assert any(isinstance(e, TextChanged) and e.live for e in recorder.events)
    assert wer(TEXTS["five"], result.text) <= 0.3


def test_finish_waits_for_the_answer_to_its_own_commit_not_the_first_completed(
    engine: Engine,
) -> None:
    # Speech ends just before finish: a VAD segment may complete while the commit is in
    # flight; the result must still hold the words said last.
    cfg = config(engine.url, engine.token)
    result, _ = dictate(cfg, pcm("fox") + silence(0.9) + pcm("weather"), realtime=False)
    assert wer(TEXTS["fox"] + " " + TEXTS["weather"], result.text) <= 0.3


def test_a_cut_mid_utterance_loses_and_doubles_nothing(
    engine: Engine, proxy: FaultProxy, uninterrupted: DictationResult
) -> None:
    cfg = config(proxy.url(), engine.token)

    def cut_while_speaking(recorder: Recorder) -> None:
        recorder.wait_for(lambda e: isinstance(e, TextChanged) and "quick" in e.live.lower())
        proxy.cut()

    result, recorder = dictate(cfg, dictation_audio(), realtime=True, during=cut_while_speaking)
    assert result.error is None
    assert result.reconnects >= 1 and proxy.accepted >= 2
    assert any(isinstance(e, Status) and e.state == "reconnecting" for e in recorder.events)
    assert wer(uninterrupted.text, result.text) <= 0.1
    assert len(result.text.split()) <= len(uninterrupted.text.split()) + 1
    assert wer(REFERENCE, result.text) <= 0.25


def test_a_stalled_connection_is_detected_and_replaced(
    engine: Engine, proxy: FaultProxy, uninterrupted: DictationResult
) -> None:
    cfg = config(proxy.url(), engine.token)

    def stall_while_speaking(recorder: Recorder) -> None:
        recorder.wait_for(lambda e: isinstance(e, TextChanged) and bool(e.live))
        proxy.stall()

    result, _ = dictate(cfg, dictation_audio(), realtime=True, during=stall_while_speaking)
    assert result.error is None and result.reconnects >= 1
    assert wer(uninterrupted.text, result.text) <= 0.1
    assert len(result.text.split()) <= len(uninterrupted.text.split()) + 1


def test_slow_events_still_end_in_the_same_transcript(
    engine: Engine, proxy: FaultProxy, uninterrupted: DictationResult
) -> None:
    proxy.downstream_delay = 0.15
    cfg = config(proxy.url(), engine.token)
    result, _ = dictate(cfg, dictation_audio(), realtime=False)
    assert result.error is None and result.reconnects == 0
    assert wer(uninterrupted.text, result.text) <= 0.05


def test_without_commit_acks_the_together_rules_still_finish(engine: Engine) -> None:
    cfg = config(engine.url, engine.token, commit_ack=None, turn_detection=TurnDetection())
    result, _ = dictate(cfg, pcm("meeting") + silence(0.3), realtime=False)
    assert result.error is None
    assert wer(TEXTS["meeting"], result.text) <= 0.2


def test_an_idle_connection_is_closed_and_reopened_when_audio_comes(
    engine: Engine, proxy: FaultProxy
) -> None:
    recorder = Recorder()
    client = RealtimeClient(config(proxy.url(), engine.token, idle_close_s=0.5), recorder)
    client.start()
    client.send_audio(pcm("fox") + silence(1.0))
    recorder.wait_for(lambda e: isinstance(e, Status) and e.state == "idle")
    assert proxy.accepted == 1
    client.send_audio(pcm("meeting") + silence(0.5))  # the user speaks again
    result = client.finish(30)
    assert result.error is None and result.reconnects == 0  # closed on purpose, not lost
    assert proxy.accepted == 2
    assert wer(TEXTS["fox"] + " " + TEXTS["meeting"], result.text) <= 0.3
