"""A session's finals: each segment's text decoded once more, and sent in order.

Finals are queued in the order their segments ended and `completed` events leave in that
order, whatever order the decodes finish in. Each final is prompted with the text of the
finals before it (`Jobs.context`), so it waits for the one before. A final whose audio has
had no speech since the pause partial reuses that partial's text (`Partials.reusable`).

A cut the voice detector had to make in running speech is not final as it stands: that
item's final is decoded with the second of audio after the cut (`LOOKAHEAD_S`, so the words
next to the cut are heard whole, as an offline decode hears them) and with word timings,
keeps the words that end before the cut, and hands the rest to the next item, whose start
waits for it. That next item's final hears `LEAD_IN_S` before its start and drops the words
the previous final kept. `completed` carries the moved `start` and `duration`, so the
segments still tile the audio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.context import LOOKAHEAD_S, after_lead_in, words_before
from app.engine.decode import Transcript
from app.engine.items import Item
from app.engine.jobs import Jobs, Prompt
from app.engine.partials import Partials
from app.engine.scheduler import FINAL, DecodeScheduler
from app.engine.segmentation import Segmentation
from app.realtime.protocol import (
    SAMPLE_RATE,
    ServerEvent,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
)

log = logging.getLogger(__name__)


class Finals:
    """The finals of one session; `start_known(item)` is called when a cut's next item gets
    its start (its partials may then be decoded from there)."""

    def __init__(
        self,
        segmentation: Segmentation,
        jobs: Jobs,
        partials: Partials,
        scheduler: DecodeScheduler,
        emit: Callable[[ServerEvent], Awaitable[None]],
        start_known: Callable[[Item], None],
    ) -> None:
        self._seg = segmentation
        self._jobs = jobs
        self._partials = partials
        self._scheduler = scheduler
        self._emit = emit
        self._start_known = start_known
        self._last: asyncio.Future[str] | None = None
        self.hold: int | None = None  # audio kept from here while a cut awaits its words
        self._unresolved = 0
        self._outbox: asyncio.Queue[tuple[Item, asyncio.Future[str]]] = asyncio.Queue()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._emitter = asyncio.create_task(self._send_in_order())

    def finalize(self, item: Item, end: int, carry_to: Item | None = None) -> None:
        """Queue `item`'s final over [item.start, end). With `carry_to`, `end` is a cut in
        running speech: the final keeps only the words that end before it and hands the
        rest of the audio to `carry_to` (the next item)."""
        item.closed = True
        item.end = end
        seg = self._seg
        # The audio from `lo` covers the item whatever start it is finally given.
        hold = self.hold if self.hold is not None else item.start
        lo = item.start if item.start_known else min(hold, item.start)
        lo = max(lo - item.lead_in, seg.audio.base)
        ahead: tuple[int, asyncio.Future[None]] | None = None
        if carry_to is not None:
            self.hold = lo if self.hold is None else min(self.hold, lo)
            self._unresolved += 1
            until = end + int(LOOKAHEAD_S * SAMPLE_RATE)
            ahead = (until, seg.until(until))
        clip_end = end if carry_to is not None else seg.clip_end(end)
        job = self._text(
            item,
            lo,
            seg.samples(lo, clip_end),
            seg.has_speech(item.start, end),
            self._partials.settle(item, end),
            carry_to,
            self._last,
            ahead,
        )
        future: asyncio.Future[str] = asyncio.ensure_future(job)
        self._last = future
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        self._outbox.put_nowait((item, future))

    async def drain(self) -> None:
        """Wait until every queued final has been sent."""
        await self._outbox.join()

    def close(self) -> None:
        self._emitter.cancel()
        for task in list(self._tasks):
            task.cancel()
        while not self._outbox.empty():
            _item, future = self._outbox.get_nowait()
            future.cancel()

    # --- the text of one final ------------------------------------------------------------

    async def _text(
        self,
        item: Item,
        lo: int,
        audio: npt.NDArray[np.float32],
        has_speech: bool,
        partial: asyncio.Task[None] | None,
        carry_to: Item | None,
        previous: asyncio.Future[str] | None,
        ahead: tuple[int, asyncio.Future[None]] | None,
    ) -> str:
        text = ""
        try:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])  # its text is this decode's context
            if item.start_ready is not None:
                item.start = await item.start_ready
            if ahead is not None:
                await ahead[1]
                audio = self._seg.samples(lo, min(ahead[0], self._seg.end))
            begin = max(item.start - item.lead_in, lo)
            audio = audio[begin - lo :]
            prompt = self._jobs.prompt(item.start)
            if has_speech:
                if carry_to is not None:
                    text = await self._split(item, audio, prompt, begin)
                elif begin < item.start:
                    text = await self._after_lead_in(audio, prompt, item.start - begin)
                else:
                    text = await self._whole(item, audio, prompt, partial)
            self._jobs.context.completed(text, item.end, paused=item.paused)
            return text
        finally:
            if carry_to is not None:
                self._carry_over(item.end, carry_to)

    async def _decode(
        self, audio: npt.NDArray[np.float32], prompt: Prompt, words: bool = False
    ) -> Transcript:
        found: Transcript = await self._scheduler.submit(
            self._jobs.job(audio, prompt, words=words), FINAL
        )
        return found

    async def _whole(
        self,
        item: Item,
        audio: npt.NDArray[np.float32],
        prompt: Prompt,
        partial: asyncio.Task[None] | None,
    ) -> str:
        if partial is not None and not partial.done():
            await asyncio.wait([partial])
        reused = self._partials.reusable(item, prompt, item.start + audio.size)
        if reused is not None:
            return reused  # nothing was said since that partial: its text is final
        return (await self._decode(audio, prompt)).text

    async def _after_lead_in(
        self, audio: npt.NDArray[np.float32], prompt: Prompt, lead: int
    ) -> str:
        """The words of a clip that starts `lead` samples early, without those said in the
        lead-in: they belong to the item before."""
        found = await self._decode(audio, prompt, words=True)
        if not found.words:
            return found.text
        kept = after_lead_in(found.words, lead / SAMPLE_RATE, self._jobs.context.text)
        return "".join(w.text for w in kept).strip()

    async def _split(
        self, item: Item, audio: npt.NDArray[np.float32], prompt: Prompt, begin: int
    ) -> str:
        """The words that end before a cut in running speech, decoded with the audio that
        follows the cut; moves `item.end` back to just after the last of them. Without word
        timings, the clip up to the cut is decoded and the words that end well before it
        are kept, as when nothing past the cut had come."""
        cut = item.end - begin
        lead_s = (item.start - begin) / SAMPLE_RATE
        before = self._jobs.context.text
        found = await self._decode(audio, prompt, words=True)
        words = after_lead_in(found.words, lead_s, before)
        split = words_before(words, cut / SAMPLE_RATE, margin_s=0.0) if words else None
        if not found.words and audio.size > cut:
            found = await self._decode(audio[:cut], prompt, words=True)
            if not found.words:
                return found.text
            split = words_before(after_lead_in(found.words, lead_s, before), cut / SAMPLE_RATE)
        if split is None:
            item.end = item.start  # every word ends past the cut: the next item says them
            return ""
        text, boundary = split
        item.end = min(item.end, begin + int(boundary * SAMPLE_RATE))
        return text

    def _carry_over(self, boundary: int, follower: Item) -> None:
        """The cut is placed: the next item starts at `boundary`."""
        ready = follower.start_ready
        if ready is not None and not ready.done():
            follower.start = boundary
            ready.set_result(boundary)
        self._unresolved -= 1
        if self._unresolved == 0:
            self.hold = None
        self._start_known(follower)

    # --- sending --------------------------------------------------------------------------

    async def _send_in_order(self) -> None:
        while True:
            item, future = await self._outbox.get()
            try:
                try:
                    text = await future
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.exception("final decode failed")
                    await self._emit(
                        TranscriptFailed(
                            f"transcription failed: {exc}",
                            code="decode_failed",
                            error_type="server_error",
                            item_id=item.id,
                            event_type="transcription",
                        )
                    )
                    continue
                if not (text or item.last_delta or item.answers_commit):
                    continue  # a VAD segment that turned out to hold no words
                if text and text != item.last_delta:
                    await self._emit(TranscriptDelta(item.id, text))
                start, end = item.start, max(item.end, item.start)
                await self._emit(
                    TranscriptCompleted(
                        item.id, text, start / SAMPLE_RATE, (end - start) / SAMPLE_RATE
                    )
                )
            finally:
                self._outbox.task_done()
