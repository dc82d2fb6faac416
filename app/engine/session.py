"""One realtime transcription session: audio in, deltas and completed segments out.

Messages are handled strictly in arrival order. Audio is scored by the voice detector as it
arrives (`segmentation`), and segment boundaries open and finalize *items*: this module is
the item's life and the client's commands. While an item is open its live text comes from
`partials`; once it ends, its text comes from `finals`, which sends `completed` events in
order. Every decision here depends on the audio alone, never on when it arrived or when a
decode finished, so the same audio gives the same text at any pace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.engine.asr import Recognizer
from app.engine.context import LEAD_IN_S
from app.engine.finals import Finals
from app.engine.items import Item, SessionOptions, new_id
from app.engine.jobs import Jobs
from app.engine.partials import Partials
from app.engine.scheduler import DecodeScheduler
from app.engine.segmentation import Segmentation, VoiceDetector
from app.engine.vad import FRAME, SegmentDiscarded, SegmentEnded, SpeechStarted
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
    TurnDetection,
    UnknownEvent,
    encode_server_event,
)

log = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]


class Session:
    """The state of one connection; the server feeds it messages and gives it a `send`.
    `voice` scores speech (Silero when not given)."""

    def __init__(
        self,
        recognizer: Recognizer,
        scheduler: DecodeScheduler,
        send: Send,
        options: SessionOptions,
        voice: VoiceDetector | None = None,
    ) -> None:
        self.id = new_id("sess")
        self.recognizer = recognizer
        self.options = options
        self._send = send
        self._seg = Segmentation(options.turn_detection or TurnDetection(), voice)
        self._item: Item | None = None
        self._finalized_upto = 0
        self._closed = False
        self._jobs = Jobs(recognizer, options)
        self._partials = Partials(
            self._seg, self._jobs, scheduler, options, lambda: self._item, self._safe_emit
        )
        self._finals = Finals(
            self._seg, self._jobs, self._partials, scheduler, self._safe_emit, self._start_known
        )

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

    def partial_lag_s(self) -> float:
        """Seconds of audio received past the end of the newest partial's clip."""
        return max(0.0, (self._seg.end - self._partials.decoded_end) / SAMPLE_RATE)

    async def drain(self) -> None:
        """Wait until every queued final has been sent (no more audio is coming)."""
        self._seg.release(everything=True)
        await self._finals.drain()

    def close(self) -> None:
        """Cancel everything this session still has running and free its audio."""
        self._closed = True
        self._partials.close()
        self._finals.close()
        self._seg.close()

    # --- audio and items ---------------------------------------------------------------

    def _append(self, audio: bytes) -> None:
        seg = self._seg
        for event in seg.feed(audio):
            if isinstance(event, SpeechStarted) and self.vad_on and self._item is None:
                self._open_item(event.start - seg.pad)
            elif isinstance(event, SegmentEnded) and self.vad_on:
                self._end_segment(event)
            elif isinstance(event, SegmentDiscarded) and self.vad_on and self._item is not None:
                self._item.closed = True
                self._item = None
        if (
            not self.vad_on
            and self._item is None
            and seg.segmenter.last_speech_end > (self._finalized_upto)
        ):
            self._open_item(self._finalized_upto)
        if self._item is not None:
            self._partials.request(force=seg.pause_reached())
        if not self.vad_on and (
            seg.end - self._finalized_upto > self.options.max_buffered_s * SAMPLE_RATE
        ):
            self._finalize(self._item or Item(new_id("item"), self._finalized_upto), seg.end)
        self._trim()

    def _open_item(self, start: int) -> Item:
        self._item = Item(new_id("item"), max(start, self._finalized_upto, 0))
        self._seg.forget_pause()
        self._partials.restart()
        return self._item

    def _end_segment(self, event: SegmentEnded) -> None:
        item = self._item
        if item is None:
            return
        if event.hard and event.next_start is not None:
            # A cut in running speech: the next item starts where the last whole word of
            # this one ends, which only this item's final decode can tell. Its partials
            # start at the cut meanwhile, so the live text goes on.
            follower = Item(new_id("item"), event.end, lead_in=int(LEAD_IN_S * SAMPLE_RATE))
            follower.start_ready = asyncio.get_running_loop().create_future()
            self._finalize(item, min(event.end, self._seg.end), carry_to=follower)
            self._item = follower
            self._partials.restart()
            return
        item.paused = event.next_start is None
        pad = self._seg.pad
        end = event.end + pad
        if event.next_start is not None and event.next_start - event.end < 2 * pad:
            end = (event.end + event.next_start) // 2
        self._finalize(item, min(end, self._seg.end))
        if event.next_start is not None:
            self._open_item(event.next_start - pad)

    def _finalize(self, item: Item, end: int, carry_to: Item | None = None) -> None:
        if self._item is item:
            self._item = None
        self._finalized_upto = max(self._finalized_upto, end)
        self._finals.finalize(item, end, carry_to)

    def _start_known(self, item: Item) -> None:
        """A cut's next item has its start: decode it from there."""
        if self._item is item and not self._closed:
            self._partials.restart()
            self._partials.request()

    def _trim(self) -> None:
        seg = self._seg
        if self._item is not None:
            keep = self._item.start - self._item.lead_in
        elif self.vad_on:
            keep = max(self._finalized_upto, seg.end - seg.pad - 2 * FRAME)
        else:
            keep = self._finalized_upto
        if self._finals.hold is not None:
            keep = min(keep, self._finals.hold)
        seg.drop_before(keep)

    async def _safe_emit(self, event: ServerEvent) -> None:
        try:
            await self.emit(event)
        except Exception:  # the client went away; the server cleans up the session
            log.debug("could not send %s", type(event).__name__)

    # --- commands ----------------------------------------------------------------------

    async def _commit(self) -> None:
        end = self._seg.end
        item = self._item or Item(new_id("item"), self._finalized_upto)
        item.answers_commit = item.paused = True
        await self.emit(AudioCommitted(item.id))
        self._finalize(item, end)
        self._finalized_upto = end
        self._seg.segmenter.reset()
        self._seg.release(everything=True)  # no more audio comes before these finals

    async def _clear(self) -> None:
        if self._item is not None:
            self._item.closed = True
            self._item = None
        self._finalized_upto = self._seg.end
        self._seg.segmenter.reset()
        self._partials.forget()
        self._jobs.context.clear()
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
                segmenter = self._seg.segmenter
                segmenter.params = options.turn_detection
                segmenter.reset()
                if self._item is not None:
                    segmenter.triggered = True
                    segmenter.start = self._item.start
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
