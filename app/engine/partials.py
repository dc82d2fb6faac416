"""A session's live text: the open segment decoded again as speech goes on, sent as deltas.

An open item is decoded every `partial_interval_ms` of new speech, or every decode's wall
time when that is longer (never two decodes of one item at once, and the audio is taken
when a worker is free, so the decode is of the newest audio); trailing silence is never
decoded again. The partial taken at a pause is decoded as a final would be, over exactly the
audio the final will have, so the final can reuse its text. A decode that looks looped, or
an ordinary partial that writes a phrase twice, is not shown: the previous delta stands.
The next item's partials neither wait for the previous item's final nor for its pause
partial (each delta names its item), so a final waiting for a worker never silences the
speaker's live text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from app.engine.decode import Transcript, looks_looped
from app.engine.items import Item, SessionOptions, _Partial
from app.engine.jobs import Jobs, Prompt
from app.engine.repeats import has_repeat
from app.engine.scheduler import LIKELY_FINAL, PARTIAL, DecodeJob, DecodeScheduler
from app.engine.segmentation import Segmentation
from app.realtime.protocol import SAMPLE_RATE, ServerEvent, TranscriptDelta

log = logging.getLogger(__name__)


class Partials:
    """The partial decodes of one session; `current` is the item open now, if any."""

    def __init__(
        self,
        segmentation: Segmentation,
        jobs: Jobs,
        scheduler: DecodeScheduler,
        options: SessionOptions,
        current: Callable[[], Item | None],
        emit: Callable[[ServerEvent], Awaitable[None]],
    ) -> None:
        self._seg = segmentation
        self._jobs = jobs
        self._scheduler = scheduler
        self._options = options
        self._current = current
        self._emit = emit
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._item: Item | None = None  # the item of `_task`
        self.decoded_end = 0  # where the audio of the newest partial ends
        self._again = False  # a pause partial was asked for while another ran
        self._last_end = 0  # audio end when the last partial was asked for (0: none yet)
        self._wall = 0.0  # seconds from asking for the last partial to its text
        self.cache: _Partial | None = None

    def restart(self) -> None:
        """A new item (or one whose start just became known): its first partial is due."""
        self._last_end = 0

    def request(self, force: bool = False) -> None:
        """Decode the open item now if it is due; `force` for the partial taken at a pause."""
        item = self._current()
        if item is None or not self._seg.has_speech(item.start, self._seg.end):
            return
        if self._task is not None and not self._task.done() and self._item is item:
            if force:
                self._again = True
            return  # one decode of an item at a time (an ended item's may still run)
        # Under load a decode takes longer: the interval stretches with it, so every session's
        # partials slow down alike instead of piling up or stopping.
        interval = max(
            self._options.partial_interval_ms * SAMPLE_RATE // 1000, int(self._wall * SAMPLE_RATE)
        )
        # Only new speech can change the text: trailing silence is not decoded again.
        due = self._last_end == 0 or (
            self._seg.end - self._last_end >= interval
            and self._seg.speech_between(self._last_end, self._seg.end) > 0
        )
        if not (force or self._again or due):
            return
        grade = force or self._again
        # An item's first partial goes ahead of other sessions' ordinary ones: until it comes
        # the user sees nothing new.
        priority = LIKELY_FINAL if grade or self._last_end == 0 else PARTIAL
        self._again = False
        self._last_end = self._seg.end
        self._item = item
        self._task = asyncio.create_task(self._run(item, priority, grade))
        self._running.add(self._task)
        self._task.add_done_callback(self._running.discard)

    def settle(self, item: Item, end: int) -> asyncio.Task[None] | None:
        """`item` is being finalized at `end`: the partial that may become its final, if one
        runs. A partial that misses words said since cannot, and must not hold a worker (or
        the final) up: it is cancelled."""
        task = self._task if self._item is item else None
        if task is not None and self._seg.speech_between(self.decoded_end, end) > 0:
            task.cancel()
            self._again = False
            return None
        return task

    def reusable(self, item: Item, prompt: Prompt, clip_end: int) -> str | None:
        """The text of the pause partial when it can stand as `item`'s final: decoded as a
        final over the very clip and prompt the final would decode."""
        cache = self.cache
        if (
            cache is not None
            and cache.final_grade
            and cache.item_id == item.id
            and cache.start == item.start
            and cache.end == clip_end
            and cache.prompt == prompt
        ):
            return cache.text
        return None

    def forget(self) -> None:
        self.cache = None

    def close(self) -> None:
        for task in list(self._running):
            task.cancel()

    def _prepare(self, item: Item, box: list[_Partial], final_grade: bool) -> DecodeJob | None:
        """Called when a worker is free: decode the newest audio, or nothing if stale."""
        if item.closed or item is not self._current():
            return None
        end = self.decoded_end = self._seg.partial_end(final_grade)
        prompt = self._jobs.prompt(item.start)
        box.append(_Partial(item.id, item.start, end, "", prompt, final_grade))
        return self._jobs.job(self._seg.samples(item.start, end), prompt, final_grade)

    async def _run(self, item: Item, priority: int, grade: bool) -> None:
        box: list[_Partial] = []
        asked = time.perf_counter()
        future = self._scheduler.submit_latest(lambda: self._prepare(item, box, grade), priority)
        try:
            found: Transcript | None = await future
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception:
            log.exception("partial decode failed")
            return
        if found is None or not box:
            return  # dropped: the item ended before a worker was free
        self._wall = time.perf_counter() - asked
        taken = box[0]
        text = taken.text = found.text
        # A final-grade decode was checked against the audio; an ordinary partial that
        # writes a phrase twice was not, and is not shown.
        wrong = found.looped or looks_looped(text) or (not taken.final_grade and has_repeat(text))
        if not wrong:
            self.cache = taken
        if not item.closed and text and text != item.last_delta and not wrong:
            item.last_delta = text
            await self._emit(TranscriptDelta(item.id, text))
        if self._again and self._item is item:
            self._task = None
            self.request(force=True)
