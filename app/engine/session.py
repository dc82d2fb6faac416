"""One realtime transcription session: audio in, deltas and completed segments out.

Messages are handled strictly in arrival order. Audio is scored by the VAD as it arrives;
segment boundaries open and finalize *items*. While an item is open it is decoded again
every `partial_interval` of new audio, or every decode's wall time when that is longer (never
two decodes of one session at once, and the audio is taken when a worker is free), and the
whole text so far goes out as a delta unless it looks looped. Finals are queued in order and
emitted in order, so `completed` events never overtake each other, and a final whose audio
has had no speech since the last partial reuses that partial's text instead of decoding again.

Each decode is prompted with the session's recent completed text (`engine.context`), so a
sentence continued in the next segment keeps its case. A cut the VAD had to make in running
speech (`hard`) is not final as it stands: that item's final is decoded with word timings,
keeps the words that end well before the cut, and hands the rest of the audio to the next
item, whose start waits for it; `completed` carries the moved `start` and `duration`, so the
segments still tile the audio.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.asr import Recognizer
from app.engine.audio_buffer import AudioBuffer
from app.engine.context import LEAD_IN_S, LOOKAHEAD_S, Context, after_lead_in, words_before
from app.engine.decode import CONTEXT_PAD_S, Request, Transcript, looks_looped
from app.engine.items import Item, SessionOptions, _Partial, new_id
from app.engine.repeats import has_repeat
from app.engine.scheduler import FINAL, LIKELY_FINAL, PARTIAL, DecodeJob, DecodeScheduler
from app.engine.vad import (
    FRAME,
    SegmentDiscarded,
    SegmentEnded,
    Segmenter,
    SileroStream,
    SpeechPaused,
    SpeechStarted,
)
from app.realtime.protocol import (
    SAMPLE_RATE,
    AppendAudio,
    AudioCommitted,
    Clear,
    ClientMessage,
    Commit,
    Echo,
    EchoResponse,
    ServerEvent,
    SessionUpdate,
    SessionUpdated,
    TranscriptCompleted,
    TranscriptDelta,
    TranscriptFailed,
    TurnDetection,
    UnknownEvent,
    encode_server_event,
)

log = logging.getLogger(__name__)

# An ordinary partial encodes its clip with this much silence after it (a final: 5 s): its
# encoder costs half as much; the partial that loops for lack of it is not shown, and the
# one taken at a pause (which may become the final) is decoded as a final is.
PARTIAL_PAD_S = 2.0

Send = Callable[[str], Awaitable[None]]


class Session:
    """The state of one connection; the server feeds it messages and gives it a `send`."""

    def __init__(
        self,
        recognizer: Recognizer,
        scheduler: DecodeScheduler,
        send: Send,
        options: SessionOptions,
    ) -> None:
        self.id = new_id("sess")
        self.recognizer = recognizer
        self.options = options
        self._scheduler = scheduler
        self._send = send
        self._audio = AudioBuffer()
        self._carry = b""
        self._vad = SileroStream()
        self._speech_flags = bytearray()  # one byte per VAD frame: 1 where it was speech
        td = options.turn_detection
        self._segmenter = Segmenter(td or TurnDetection())
        self._finalized_upto = 0
        self._item: Item | None = None
        self._partial_task: asyncio.Task[None] | None = None
        self._partial_item: Item | None = None
        self._partial_end = 0
        self._finals_pending = 0
        self._partial_again = False
        self._last_partial_end = 0
        self._cache: _Partial | None = None
        self._partial_wall = 0.0  # seconds from asking for the last partial to its text
        # Where the partial taken at a pause ends: the pause plus the segment's padding,
        # exactly where the final's audio will end, so that its text can be the final's.
        self._pause_end: int | None = None
        self._pause_decoded = False  # that partial has been asked for
        self._context = Context()
        self._last_final: asyncio.Future[str] | None = None
        self._hold: int | None = None  # audio kept from here while a cut awaits its words
        self._unresolved = 0
        # Finals of cuts in running speech wait for this much audio past the cut.
        self._lookaheads: list[tuple[int, asyncio.Future[None]]] = []
        self._closed = False
        self._outbox: asyncio.Queue[tuple[Item, asyncio.Future[str]]] = asyncio.Queue()
        self._emitter = asyncio.create_task(self._emit_finals())
        self._tasks: set[asyncio.Future[Any]] = set()

    # --- public ------------------------------------------------------------------------

    @property
    def vad_on(self) -> bool:
        return self.options.turn_detection is not None

    async def handle(self, message: ClientMessage) -> None:
        if isinstance(message, AppendAudio):
            self._append(message.audio)
        elif isinstance(message, Commit):
            await self._commit()
        elif isinstance(message, Clear):
            await self._clear()
        elif isinstance(message, SessionUpdate):
            await self._update(message.session)
        elif isinstance(message, Echo):
            await self.emit(EchoResponse(message.echo_id, message.payload), echo=True)

    async def emit(self, event: ServerEvent, *, echo: bool = False) -> None:
        if echo and isinstance(event, EchoResponse):
            now = time.time()
            text = encode_server_event(event, server_received_at=now, server_sent_at=now)
        else:
            text = encode_server_event(event)
        await self._send(text)

    async def drain(self) -> None:
        """Wait until every queued final has been sent (no more audio is coming)."""
        self._lookahead_reached(everything=True)
        await self._outbox.join()

    def close(self) -> None:
        """Cancel everything this session still has running and free its audio."""
        self._closed = True
        self._emitter.cancel()
        if self._partial_task is not None:
            self._partial_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        while not self._outbox.empty():
            _item, future = self._outbox.get_nowait()
            future.cancel()
        self._audio = AudioBuffer()

    # --- audio -------------------------------------------------------------------------

    def _append(self, audio: bytes) -> None:
        pcm = self._carry + audio
        if len(pcm) % 2:
            pcm, self._carry = pcm[:-1], pcm[-1:]
        else:
            self._carry = b""
        if not pcm:
            return
        self._audio.append(pcm)
        self._lookahead_reached()
        floats = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        probs = self._vad.process(floats)
        first = len(self._speech_flags) * FRAME
        self._speech_flags += (probs >= self._segmenter.params.threshold).astype(np.uint8).tobytes()
        for event in self._segmenter.feed(first, probs):
            if isinstance(event, SpeechStarted) and self.vad_on and self._item is None:
                self._open_item(event.start - self._pad())
            elif isinstance(event, SpeechPaused):
                self._pause_end = event.at + self._pad()
                self._pause_decoded = False
            elif isinstance(event, SegmentEnded) and self.vad_on:
                self._end_segment(event)
            elif isinstance(event, SegmentDiscarded) and self.vad_on and self._item is not None:
                self._item.closed = True
                self._item = None
        if (
            not self.vad_on
            and self._item is None
            and self._segmenter.last_speech_end > (self._finalized_upto)
        ):
            self._open_item(self._finalized_upto)
        if self._item is not None:
            self._request_partial(force=self._pause_reached())
        if not self.vad_on and (
            self._audio.end - self._finalized_upto > self.options.max_buffered_s * SAMPLE_RATE
        ):
            self._force_final(self._audio.end)
        self._trim()

    def _lookahead_reached(self, everything: bool = False) -> None:
        """Release the cut finals whose look past the cut has arrived (all of them when no
        more audio will come before a final is wanted: a commit, the end of the session)."""
        waiting = []
        for until, ready in self._lookaheads:
            if everything or self._audio.end >= until:
                if not ready.done():
                    ready.set_result(None)
            else:
                waiting.append((until, ready))
        self._lookaheads = waiting

    def _pause_reached(self) -> bool:
        """The audio has reached the end of a pause's padding with no speech since the pause:
        the moment to decode the partial that will likely be the final."""
        pause_end = self._pause_end
        if pause_end is None or self._pause_decoded or self._audio.end < pause_end:
            return False
        if self._speech_between(pause_end - self._pad(), self._audio.end) > 0:
            self._pause_end = None  # the speaker went on: no pause to decode at
            return False
        self._pause_decoded = True
        return True

    def _speech_between(self, start: int, end: int) -> int:
        """Samples scored as speech in [start, end), to whole VAD frames."""
        return self._speech_flags[max(start, 0) // FRAME : max(end, 0) // FRAME].count(1) * FRAME

    def _pad(self) -> int:
        return int(self._segmenter.params.speech_pad_ms * SAMPLE_RATE / 1000)

    def _min_speech(self) -> int:
        return int(self._segmenter.params.min_speech_duration_ms * SAMPLE_RATE / 1000)

    def _open_item(self, start: int) -> Item:
        self._item = Item(new_id("item"), max(start, self._finalized_upto, 0))
        self._pause_end = None
        self._last_partial_end = 0
        return self._item

    def _end_segment(self, event: SegmentEnded) -> None:
        item = self._item
        if item is None:
            return
        if event.hard and event.next_start is not None:
            # A cut in running speech: the next item starts where the last whole word of
            # this one ends, which only this item's final decode can tell.
            follower = Item(new_id("item"), event.end, lead_in=int(LEAD_IN_S * SAMPLE_RATE))
            follower.start_ready = asyncio.get_running_loop().create_future()
            self._finalize(item, min(event.end, self._audio.end), carry_to=follower)
            self._item = follower
            self._last_partial_end = 0
            return
        pad = self._pad()
        end = event.end + pad
        if event.next_start is not None and event.next_start - event.end < 2 * pad:
            end = (event.end + event.next_start) // 2
        end = min(end, self._audio.end)
        self._finalize(item, end)
        if event.next_start is not None:
            self._open_item(event.next_start - pad)

    def _trim(self) -> None:
        if self._item is not None:
            keep = self._item.start - self._item.lead_in
        elif self.vad_on:
            keep = max(self._finalized_upto, self._audio.end - self._pad() - 2 * FRAME)
        else:
            keep = self._finalized_upto
        if self._hold is not None:
            keep = min(keep, self._hold)
        self._audio.drop_before(keep)

    # --- partials ----------------------------------------------------------------------

    def _request_partial(self, force: bool = False) -> None:
        item = self._item
        if item is None or self._speech_between(item.start, self._audio.end) < self._min_speech():
            return
        if self._partial_task is not None and not self._partial_task.done():
            if force:
                self._partial_again = True
            return
        # Under load a decode takes longer: the interval stretches with it, so every session's
        # partials slow down alike instead of piling up or stopping.
        interval = max(
            self.options.partial_interval_ms * SAMPLE_RATE // 1000,
            int(self._partial_wall * SAMPLE_RATE),
        )
        # Only new speech can change the text: trailing silence is not decoded again.
        due = self._last_partial_end == 0 or (
            self._audio.end - self._last_partial_end >= interval
            and self._speech_between(self._last_partial_end, self._audio.end) > 0
        )
        if not (force or self._partial_again or due):
            return
        grade = force or self._partial_again
        # An item's first partial goes ahead of other sessions' ordinary ones: until it comes
        # the user sees nothing new (after a cut the item waited for the earlier final).
        priority = LIKELY_FINAL if grade or self._last_partial_end == 0 else PARTIAL
        self._partial_again = False
        self._last_partial_end = self._audio.end
        self._partial_item = item
        self._partial_task = asyncio.create_task(self._run_partial(item, priority, grade))

    def _prepare_partial(
        self, item: Item, box: list[_Partial], final_grade: bool
    ) -> DecodeJob | None:
        """Called when a worker is free: decode the newest audio, or nothing if stale."""
        if item.closed or item is not self._item:
            return None
        end = self._audio.end
        pause_end = self._pause_end
        if final_grade and pause_end is not None:
            if self._speech_between(pause_end - self._pad(), end) == 0:
                end = min(end, pause_end)  # the final's audio, and no more
            else:
                self._pause_end = None
        self._partial_end = end
        prompt = self._prompt(item.start)
        box.append(_Partial(item.id, item.start, end, "", prompt, final_grade))
        return self._job(self._audio.samples(item.start, end), prompt, final_grade)

    async def _run_partial(self, item: Item, priority: int, grade: bool) -> None:
        box: list[_Partial] = []
        asked = time.perf_counter()
        future = self._scheduler.submit_latest(
            lambda: self._prepare_partial(item, box, grade), priority
        )
        try:
            found = await future
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception:
            log.exception("partial decode failed")
            return
        if found is None or not box:
            return  # dropped: the item ended before a worker was free
        self._partial_wall = time.perf_counter() - asked
        taken = box[0]
        text = taken.text = found.text
        # A decode that looped, or an ordinary partial that writes a phrase twice (a final
        # would be checked against the audio), is never shown nor kept: the previous delta
        # stands until a good one comes.
        looped = found.looped or looks_looped(text) or (not taken.final_grade and has_repeat(text))
        if not looped:
            self._cache = taken
        # Deltas of this item go out while earlier items' finals are still being decoded
        # (each names its item), so a final waiting for a worker never silences the
        # speaker's live text.
        if not item.closed and text and text != item.last_delta and not looped:
            item.last_delta = text
            await self._safe_emit(TranscriptDelta(item.id, text))
        if self._partial_again:
            self._partial_task = None
            self._request_partial(force=True)

    def _prompt(self, start: int) -> tuple[str | None, str | None]:
        """(the user's prompt, the recent text) for a decode of audio from `start`."""
        return self.options.prompt, self._context.recent(start)

    def _job(
        self,
        audio: npt.NDArray[np.float32],
        prompt: tuple[str | None, str | None],
        final_grade: bool = True,
        words: bool = False,
    ) -> DecodeJob:
        """A decode of `audio`; an ordinary partial (not `final_grade`) encodes less silence
        after the clip and never takes the full-window path: if it loops it is not shown."""
        request = Request(
            audio,
            self.options.language,
            prompt[0],
            prompt[1],
            pad_s=CONTEXT_PAD_S if final_grade else PARTIAL_PAD_S,
            words=words,
            fallback=final_grade,
        )
        return DecodeJob(self.recognizer, request)

    # --- finals ------------------------------------------------------------------------

    def _finalize(self, item: Item, end: int, carry_to: Item | None = None) -> None:
        """Queue `item`'s final over [item.start, end); completions leave in queue order.

        With `carry_to`, `end` is a cut in running speech: the final keeps only the words
        that end before it and hands the rest of the audio to `carry_to` (the next item).
        """
        item.closed = True
        item.end = end
        if self._item is item:
            self._item = None
        self._finalized_upto = max(self._finalized_upto, end)
        # The audio from `lo` covers the item whatever start it is finally given.
        hold = self._hold if self._hold is not None else item.start
        lo = item.start if item.start_known else min(hold, item.start)
        lo = max(lo - item.lead_in, self._audio.base)
        audio = self._audio.samples(lo, end)
        ahead: tuple[int, asyncio.Future[None]] | None = None
        if carry_to is not None:
            self._hold = lo if self._hold is None else min(self._hold, lo)
            self._unresolved += 1
            ahead = (
                end + int(LOOKAHEAD_S * SAMPLE_RATE),
                asyncio.get_running_loop().create_future(),
            )
            self._lookaheads.append(ahead)
            self._lookahead_reached()
        has_speech = self._speech_between(item.start, end) >= self._min_speech()
        partial_task = self._partial_task if self._partial_item is item else None
        if partial_task is not None and self._speech_between(self._partial_end, end) > 0:
            # That partial misses words said since: it cannot become the final, so it must
            # not hold a worker (or this final) up.
            partial_task.cancel()
            partial_task = None
            self._partial_again = False
        self._finals_pending += 1
        previous = self._last_final
        future: asyncio.Future[str] = asyncio.ensure_future(
            self._final_text(item, lo, audio, has_speech, partial_task, carry_to, previous, ahead)
        )
        self._last_final = future
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        self._outbox.put_nowait((item, future))

    async def _final_text(
        self,
        item: Item,
        lo: int,
        audio: npt.NDArray[np.float32],
        has_speech: bool,
        partial_task: asyncio.Task[None] | None,
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
                audio = self._audio.samples(lo, min(ahead[0], self._audio.end))
            begin = max(item.start - item.lead_in, lo)
            audio = audio[begin - lo :]
            prompt = self._prompt(item.start)
            if has_speech:
                if carry_to is not None:
                    text = await self._split_text(item, audio, prompt, begin)
                elif begin < item.start:
                    text = await self._words_after(audio, prompt, (item.start - begin))
                else:
                    text = await self._whole_text(item, audio, prompt, partial_task)
            self._context.completed(text, item.end)
            return text
        finally:
            if carry_to is not None:
                self._carry_over(item.end, carry_to)

    async def _whole_text(
        self,
        item: Item,
        audio: npt.NDArray[np.float32],
        prompt: tuple[str | None, str | None],
        partial_task: asyncio.Task[None] | None,
    ) -> str:
        if partial_task is not None and not partial_task.done():
            await asyncio.wait([partial_task])
        cache = self._cache
        end = item.end
        if (
            cache is not None
            and cache.final_grade
            and cache.item_id == item.id
            and cache.start == item.start
            and cache.prompt == prompt
            and self._speech_between(min(cache.end, end), max(cache.end, end)) == 0
            and self._speech_between(cache.end - self._pad(), cache.end) == 0
        ):
            return cache.text  # nothing was said since that partial: its text is final
        found: Transcript = await self._scheduler.submit(self._job(audio, prompt), FINAL)
        return found.text

    async def _words_after(
        self, audio: npt.NDArray[np.float32], prompt: tuple[str | None, str | None], lead: int
    ) -> str:
        """The words of a clip that starts `lead` samples early (its lead-in), without the
        words said in the lead-in: they belong to the item before."""
        found: Transcript = await self._scheduler.submit(
            self._job(audio, prompt, words=True), FINAL
        )
        if not found.words:
            return found.text
        kept = after_lead_in(found.words, lead / SAMPLE_RATE, self._context.text)
        return "".join(w.text for w in kept).strip()

    async def _split_text(
        self,
        item: Item,
        audio: npt.NDArray[np.float32],
        prompt: tuple[str | None, str | None],
        begin: int,
    ) -> str:
        """The words that end before a cut in running speech, decoded with the audio that
        follows the cut (so the words next to it are heard whole, as in an offline decode);
        moves `item.end` back to just after the last of them (the rest goes to the next
        item). Without word timings, the clip up to the cut is decoded and the words that
        end well before it are kept, as when nothing past the cut had come."""
        cut = item.end - begin
        found: Transcript = await self._scheduler.submit(
            self._job(audio, prompt, words=True), FINAL
        )
        words = after_lead_in(found.words, (item.start - begin) / SAMPLE_RATE, self._context.text)
        split = words_before(words, cut / SAMPLE_RATE, margin_s=0.0) if words else None
        if not found.words and audio.size > cut:
            found = await self._scheduler.submit(self._job(audio[:cut], prompt, words=True), FINAL)
            split = words_before(found.words, cut / SAMPLE_RATE) if found.words else None
            if split is None and not found.words:
                return found.text
        if split is None:
            # Every word ends past the cut: the next item says them all.
            item.end = item.start
            return ""
        text, boundary = split
        item.end = min(item.end, begin + int(boundary * SAMPLE_RATE))
        return text

    def _carry_over(self, boundary: int, follower: Item) -> None:
        """The cut is placed: the next item starts at `boundary`, and may be decoded now."""
        ready = follower.start_ready
        if ready is not None and not ready.done():
            follower.start = boundary
            ready.set_result(boundary)
        self._unresolved -= 1
        if self._unresolved == 0:
            self._hold = None
        if self._item is follower and not self._closed:
            self._last_partial_end = 0
            self._request_partial()

    def _force_final(self, end: int) -> None:
        item = self._item or Item(new_id("item"), self._finalized_upto)
        self._finalize(item, end)

    async def _emit_finals(self) -> None:
        while True:
            item, future = await self._outbox.get()
            try:
                try:
                    text = await future
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.exception("final decode failed")
                    await self._safe_emit(
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
                    await self._safe_emit(TranscriptDelta(item.id, text))
                start, end = item.start, max(item.end, item.start)
                await self._safe_emit(
                    TranscriptCompleted(
                        item.id, text, start / SAMPLE_RATE, (end - start) / SAMPLE_RATE
                    )
                )
            finally:
                self._finals_pending -= 1
                self._outbox.task_done()

    async def _safe_emit(self, event: ServerEvent) -> None:
        try:
            await self.emit(event)
        except Exception:  # the client went away; the server cleans up the session
            log.debug("could not send %s", type(event).__name__)

    # --- commands ----------------------------------------------------------------------

    async def _commit(self) -> None:
        end = self._audio.end
        item = self._item or Item(new_id("item"), self._finalized_upto)
        item.answers_commit = True
        await self.emit(AudioCommitted(item.id))
        self._finalize(item, end)
        self._finalized_upto = end
        self._segmenter.reset()
        self._lookahead_reached(everything=True)

    async def _clear(self) -> None:
        if self._item is not None:
            self._item.closed = True
            self._item = None
        self._finalized_upto = self._audio.end
        self._segmenter.reset()
        self._cache = None
        self._context.clear()
        self._trim()
        await self.emit(UnknownEvent("input_audio_buffer.cleared", {}))

    async def _update(self, session: dict[str, Any] | Any) -> None:
        options = self.options
        if "turn_detection" in session:
            td = session["turn_detection"]
            if td is None or (isinstance(td, dict) and td.get("type") == "none"):
                options.turn_detection = None
            elif isinstance(td, dict):
                options.turn_detection = TurnDetection().merged(td)
                self._segmenter.params = options.turn_detection
                self._segmenter.reset()
                if self._item is not None:
                    self._segmenter.triggered = True
                    self._segmenter.start = self._item.start
            else:
                raise ValueError("turn_detection must be an object or null")
        if "language" in session:
            lang = session["language"]
            options.language = lang if isinstance(lang, str) and lang else None
        if "prompt" in session:
            prompt = session["prompt"]
            options.prompt = prompt if isinstance(prompt, str) and prompt else None
        await self.emit(SessionUpdated(self.effective_settings()))

    def effective_settings(self) -> dict[str, Any]:
        td = self.options.turn_detection
        return {
            "model": self.recognizer.model_id,
            "input_audio_format": "pcm_s16le_16000",
            "language": self.options.language,
            "prompt": self.options.prompt,
            "turn_detection": td.as_dict() if td is not None else None,
        }
