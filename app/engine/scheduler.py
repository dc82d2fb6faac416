"""The decode queue: every session's decodes share a small pool of worker threads.

A final (someone is waiting for it) goes first, then the partial taken when speech pauses
(it usually becomes the final as it is), then ordinary partials, first come first served, so
partials never delay finals and under load every session's partials slow down alike instead
of some stopping. A partial is `submit_latest`: its audio is taken when a worker is free, so
the decode is of the newest audio, and a partial that can no longer be fresh is dropped. The
event loop never decodes itself, so echoes, pings and other sessions stay responsive.

Decodes wait in the queue only while every worker is busy, and that is when several
sessions' decodes can share one batched CTranslate2 call (`engine.decode`): a worker that
takes a decode also takes the queued decodes that can join its batch, up to `MAX_BATCH`.
A final takes only other finals with it, so batching never makes a final wait for text
nobody is waiting for; completions still leave each session in order (the session's outbox
sees to that). Measured on 2 cores with 6 to 10 real-time sessions (bench.engine_memory),
batching did not win: batches form only while every worker is busy, and then a batch takes
longer than the decode a final was waiting behind. It is off unless
`DICTATE_DECODE_BATCHING=1`; it should pay where a batch costs little more than one decode
(a GPU, more cores).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.engine import memory
from app.engine.decode import Prepared, Request, Transcript, batch_key

T = TypeVar("T")

FINAL = 0
LIKELY_FINAL = 1
PARTIAL = 2
KIND_NAMES = {FINAL: "final", LIKELY_FINAL: "likely_final", PARTIAL: "partial"}
MAX_BATCH = 8
# `DICTATE_DECODE_BATCHING=1` batches queued decodes (off by default: see above).
BATCHING = os.environ.get("DICTATE_DECODE_BATCHING", "0") == "1"

# (kind, seconds waited in the queue, seconds the decode ran): how /metrics sees the pool.
Observer = Callable[[str, float, float], None]


@dataclass
class DecodeJob:
    """A decode the scheduler may batch with others of the same recognizer."""

    recognizer: Any  # a Recognizer (`prepare`, `decode_prepared`, `decode`)
    request: Request


@dataclass(order=True)
class _Entry:
    priority: int
    seq: int
    payload: Any = field(compare=False)  # DecodeJob, a callable, or a `prepare` (lazy)
    future: asyncio.Future[Any] = field(compare=False)
    queued: float = field(compare=False)
    lazy: bool = field(compare=False, default=False)
    prepared: Prepared | None = field(compare=False, default=None)


class DecodeScheduler:
    """Runs `submit`ted decodes on `workers` threads, finals first, FIFO within a kind;
    with `batching`, queued decodes that can share a batch run as one call."""

    def __init__(
        self, workers: int = 2, observer: Observer | None = None, batching: bool = BATCHING
    ) -> None:
        self.workers = workers
        self.observer = observer
        self.batching = batching
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="decode")
        self._heap: list[_Entry] = []
        self._ready = asyncio.Event()
        self._seq = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0
        self.batches: list[int] = []  # sizes of the decode calls run (kept short)
        self._idle_trim: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._ready = asyncio.Event()
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self) -> None:
        if self._idle_trim is not None:
            self._idle_trim.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, job: Callable[[], T] | DecodeJob, priority: int) -> asyncio.Future[Any]:
        """Queue a decode (a `DecodeJob`, whose future gets a `Transcript`) or any call."""
        return self._put(job, priority, lazy=False)

    def submit_latest(
        self, prepare: Callable[[], DecodeJob | None], priority: int
    ) -> asyncio.Future[Transcript | None]:
        """Queue a decode whose input is chosen by `prepare`, on the event loop, the moment a
        worker takes it; `prepare` returns None when the job is no longer wanted (the future
        then resolves to None)."""
        return self._put(prepare, priority, lazy=True)

    def has_capacity(self) -> bool:
        """A worker would start a new job at once."""
        return self.busy + len(self._heap) < self.workers

    def _put(self, payload: Any, priority: int, lazy: bool) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = _Entry(priority, next(self._seq), payload, future, time.perf_counter(), lazy)
        heapq.heappush(self._heap, entry)
        self._ready.set()
        if self._idle_trim is not None:
            self._idle_trim.cancel()
            self._idle_trim = None
        return future

    async def _next(self) -> _Entry:
        while not self._heap:
            self._ready.clear()
            await self._ready.wait()
        return heapq.heappop(self._heap)

    def _resolve(self, entry: _Entry) -> bool:
        """Turn a lazy entry into its job (False: dropped) and prepare a decode job."""
        if entry.future.cancelled():
            return False
        if entry.lazy:
            entry.lazy = False
            entry.payload = entry.payload()
            if entry.payload is None:
                entry.future.set_result(None)
                return False
        if isinstance(entry.payload, DecodeJob) and entry.prepared is None:
            entry.prepared = entry.payload.recognizer.prepare(entry.payload.request)
        return True

    def _companions(self, head: _Entry) -> list[_Entry]:
        """Queued decodes that can share `head`'s batch, taken off the queue."""
        if not self.batching or head.prepared is None:
            return []
        job = head.payload
        key = batch_key(head.prepared)
        limit = FINAL if head.priority == FINAL else PARTIAL
        taken: list[_Entry] = []
        for entry in sorted(self._heap):
            if len(taken) + 1 >= MAX_BATCH or entry.priority > limit:
                break
            payload = entry.payload
            if not entry.lazy and not (
                isinstance(payload, DecodeJob) and payload.recognizer is job.recognizer
            ):
                continue
            self._heap.remove(entry)
            if not self._resolve(entry):
                continue
            other = entry.payload
            if (
                isinstance(other, DecodeJob)
                and other.recognizer is job.recognizer
                and entry.prepared is not None
                and batch_key(entry.prepared) == key
            ):
                taken.append(entry)
            else:
                self._heap.append(entry)  # prepared now; it keeps its place in the queue
        heapq.heapify(self._heap)
        return taken

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            head = await self._next()
            if not self._resolve(head):
                continue
            batch = [head, *self._companions(head)]
            self.busy += 1
            started = time.perf_counter()
            try:
                results = await loop.run_in_executor(self._executor, self._run, batch)
            except Exception as exc:
                for entry in batch:
                    if not entry.future.done():
                        entry.future.set_exception(exc)
            else:
                ran = time.perf_counter() - started
                self.batches = [*self.batches[-999:], len(batch)]
                for entry, result in zip(batch, results, strict=True):
                    if self.observer is not None:
                        kind = KIND_NAMES.get(entry.priority, str(entry.priority))
                        self.observer(kind, started - entry.queued, ran)
                    if not entry.future.done():
                        entry.future.set_result(result)
            finally:
                self.busy -= 1
                if self.busy == 0 and not self._heap:
                    if self._idle_trim is not None:
                        self._idle_trim.cancel()
                    self._idle_trim = loop.call_later(memory.IDLE_TRIM_S, self._trim)

    def _trim(self) -> None:
        """No decode for a while: the memory decodes freed goes back (off the loop)."""
        self._idle_trim = None
        self.trim()

    def trim(self) -> None:
        """Give freed memory back now, on a worker thread (a session has ended)."""
        asyncio.get_running_loop().run_in_executor(self._executor, memory.trim)

    @staticmethod
    def _run(batch: list[_Entry]) -> list[Any]:
        head = batch[0]
        if not isinstance(head.payload, DecodeJob):
            return [head.payload()]
        if head.prepared is None:  # the full-window path
            return list(head.payload.recognizer.decode([head.payload.request]))
        prepared = [entry.prepared for entry in batch if entry.prepared is not None]
        return list(head.payload.recognizer.decode_prepared(prepared))
