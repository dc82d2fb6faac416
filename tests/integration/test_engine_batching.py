"""Issue 10: several sessions' decodes run as one batched CTranslate2 call, and nothing else
changes: each member gets the text (and word timings) it gets alone, and finals keep their
priority and their order. Real model, real scheduler; the queue is filled while the only
worker is held by a job that waits on an event, so what gets batched is deterministic."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest

from app.engine.asr import ModelRegistry, Recognizer
from app.engine.decode import Prepared, Request, Transcript, batch_key, decode_batch
from app.engine.scheduler import FINAL, LIKELY_FINAL, PARTIAL, DecodeJob, DecodeScheduler
from tests.continuous import PASSAGES, continuous


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return ModelRegistry("cpu", 1).get("openai/whisper-tiny.en")


@pytest.fixture(scope="module")
def speech() -> np.ndarray[Any, np.dtype[np.float32]]:
    pcm, _ = continuous()
    return np.frombuffer(pcm, "<i2").astype(np.float32) / np.float32(32768)


def _clip(speech: np.ndarray[Any, Any], at: float, seconds: float) -> Any:
    return speech[int(at * 16000) : int((at + seconds) * 16000)]


def test_a_batch_writes_what_each_member_writes_alone(
    recognizer: Recognizer, speech: np.ndarray[Any, Any]
) -> None:
    context = PASSAGES["river"][:150]
    groups = [
        [Request(_clip(speech, at, 3.3 + at / 100)) for at in (1.0, 7.0, 13.0, 19.0)],
        [Request(_clip(speech, at, 3.5), context=context) for at in (2.0, 9.0, 16.0)],
        [Request(_clip(speech, at, 4.2), words=True) for at in (3.0, 11.0, 22.0)],
    ]
    for requests in groups:
        prepared = [recognizer.prepare(r) for r in requests]
        assert all(p is not None for p in prepared)
        members: list[Prepared] = [p for p in prepared if p is not None]
        assert len({batch_key(p) for p in members}) == 1, "these requests share a batch"
        together = decode_batch(recognizer.model, members)
        alone = [decode_batch(recognizer.model, [p])[0] for p in members]
        assert [t.text for t in together] == [t.text for t in alone]
        assert all(t.text for t in together)
        # Word timings come from cross-attention weights, which int8 arithmetic over a batch
        # may move by a frame (20 ms) now and then: the same words, at the same places.
        for t, a in zip(together, alone, strict=True):
            assert [w.text for w in t.words] == [w.text for w in a.words]
            for w, v in zip(t.words, a.words, strict=True):
                assert abs(w.start - v.start) <= 0.04 and abs(w.end - v.end) <= 0.04
        if requests[0].words:
            assert all(t.words for t in together)
    # The recognizer's own entry point batches what it can and keeps the order.
    mixed = [r for group in groups for r in group]
    assert [t.text for t in recognizer.decode(mixed)] == [
        recognizer.decode([r])[0].text for r in mixed
    ]


class Recording:
    """The recognizer, with a log of every decode call and what was in it."""

    def __init__(self, inner: Recognizer) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []
        self.names: dict[int, str] = {}

    def prepare(self, request: Request) -> Prepared | None:
        return self.inner.prepare(request)

    def decode_prepared(self, items: list[Prepared]) -> list[Transcript]:
        self.calls.append([self.names[id(p.request.audio)] for p in items])
        return self.inner.decode_prepared(items)

    def decode(self, requests: list[Request]) -> list[Transcript]:
        self.calls.append([self.names[id(r.audio)] for r in requests])
        return self.inner.decode(requests)


def test_queued_decodes_are_batched_and_finals_go_first_in_order(
    recognizer: Recognizer, speech: np.ndarray[Any, Any]
) -> None:
    rec = Recording(recognizer)
    requests = {
        name: Request(_clip(speech, at, 3.4))
        for name, at in (("p1", 1.0), ("p2", 6.0), ("f1", 11.0), ("f2", 16.0), ("lf", 21.0))
    }
    for name, request in requests.items():
        rec.names[id(request.audio)] = name

    async def scenario() -> tuple[dict[str, str], list[str]]:
        scheduler = DecodeScheduler(workers=1, batching=True)
        scheduler.start()
        release = threading.Event()
        blocker = scheduler.submit(lambda: release.wait(30), FINAL)
        await asyncio.sleep(0)  # the worker takes the blocker: everything below queues
        done: list[str] = []
        futures: dict[str, asyncio.Future[Any]] = {}

        def job(name: str) -> DecodeJob:
            return DecodeJob(rec, requests[name])

        futures["p1"] = scheduler.submit_latest(lambda: job("p1"), PARTIAL)
        futures["p2"] = scheduler.submit(job("p2"), PARTIAL)
        futures["f1"] = scheduler.submit(job("f1"), FINAL)
        futures["lf"] = scheduler.submit_latest(lambda: job("lf"), LIKELY_FINAL)
        futures["f2"] = scheduler.submit(job("f2"), FINAL)
        for name, future in futures.items():

            def finished(_f: object, n: str = name) -> None:
                done.append(n)

            future.add_done_callback(finished)
        release.set()
        await blocker
        texts = {name: (await f).text for name, f in futures.items()}
        await scheduler.stop()
        return texts, done

    texts, done = asyncio.run(scenario())
    # Finals first, together, in the order they came; then the pause partial (which may
    # become a final) with the ordinary partials.
    assert rec.calls == [["f1", "f2"], ["lf", "p1", "p2"]]
    assert done[:2] == ["f1", "f2"]
    for name, request in requests.items():
        assert texts[name] == recognizer.decode([request])[0].text
