"""The decode queue: every session's decodes share a small pool of worker threads.

A final (someone is waiting for it) goes first, then the partial taken when speech pauses
(it usually becomes the final as it is), then ordinary partials, first come first served, so
partials never delay finals and under load every session's partials slow down alike instead
of some stopping. A partial is `submit_latest`: its audio is taken when a worker is free, so
the decode is of the newest audio, and a partial that can no longer be fresh is dropped. The
event loop never decodes itself, so echoes, pings and other sessions stay responsive.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

FINAL = 0
LIKELY_FINAL = 1
PARTIAL = 2
KIND_NAMES = {FINAL: "final", LIKELY_FINAL: "likely_final", PARTIAL: "partial"}

# (kind, seconds waited in the queue, seconds the decode ran): how /metrics sees the pool.
Observer = Callable[[str, float, float], None]


class DecodeScheduler:
    """Runs `submit`ted decode calls on `workers` threads, finals first, FIFO within a kind."""

    def __init__(self, workers: int = 2, observer: Observer | None = None) -> None:
        self.workers = workers
        self.observer = observer
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="decode")
        self._queue: asyncio.PriorityQueue[
            tuple[int, int, Callable[[], Any], asyncio.Future[Any], float, bool]
        ] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, fn: Callable[[], T], priority: int) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((priority, next(self._seq), fn, future, time.perf_counter(), False))
        return future

    def submit_latest(
        self, prepare: Callable[[], Callable[[], T] | None], priority: int
    ) -> asyncio.Future[T | None]:
        """Queue a decode whose input is chosen by `prepare`, on the event loop, the moment a
        worker takes it; `prepare` returns None when the job is no longer wanted (the future
        then resolves to None)."""
        future: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(
            (priority, next(self._seq), prepare, future, time.perf_counter(), True)
        )
        return future

    def has_capacity(self) -> bool:
        """A worker would start a new job at once."""
        return self.busy + self._queue.qsize() < self.workers

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            priority, _, fn, future, queued, lazy = await self._queue.get()
            if future.cancelled():
                continue
            if lazy:
                fn = fn()
                if fn is None:
                    future.set_result(None)
                    continue
            self.busy += 1
            started = time.perf_counter()
            try:
                result = await loop.run_in_executor(self._executor, fn)
                if self.observer is not None:
                    kind = KIND_NAMES.get(priority, str(priority))
                    self.observer(kind, started - queued, time.perf_counter() - started)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
            finally:
                self.busy -= 1
