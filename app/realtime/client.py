"""The realtime transcription client: one dictation over websocket-client, words never lost.

Threads: the caller (the audio pipeline) only enqueues onto a bounded queue. The *sender* thread
owns the connection: it connects (with backoff), moves queued audio into the dictation's
buffer, sends appends of 20-250 ms and commits at their places, pings, and closes an idle
connection. A *receiver* thread per connection decodes frames and updates the transcript.
Events go to `on_event`; nothing here knows about Qt.

No lost words: the `Uplink` keeps the audio not confirmed yet (all of it for the app, which
saves it); its `CommitLedger` knows how far the completed segments reach. After a drop the
next connection replays from there at full speed and sends unanswered commits again at their
places: the transcript ends the same as without the drop, with nothing doubled. The
bookkeeping (uplink.py), answers (answers.py) and pings (liveness.py) are pure logic.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import websocket

from app.core.errors import DictationError, TransientError
from app.core.transcript import Transcript
from app.realtime import errors
from app.realtime.answers import Answers
from app.realtime.config import ClientConfig
from app.realtime.connect import Connector, connect_websocket, open_session
from app.realtime.events import ClientEvent, DictationResult, Fatal, Status
from app.realtime.inbox import CommitMark, Inbox
from app.realtime.liveness import Liveness
from app.realtime.protocol import (
    ServerEvent,
    TranscriptDelta,
    TranscriptFailed,
    decode_server_event,
    encode_client_message,
    realtime_url,
)
from app.realtime.uplink import Uplink

log = logging.getLogger(__name__)


class RealtimeClient:
    """One dictation. `start`, then `send_audio`/`commit` from any thread, then `finish`."""

    def __init__(
        self,
        config: ClientConfig,
        on_event: Callable[[ClientEvent], None] | None = None,
        *,
        connect: Connector = connect_websocket,
    ) -> None:
        self.config = config
        self._on_event = on_event or (lambda _e: None)
        self._connect = connect
        self._url = realtime_url(
            config.url,
            config.model,
            language=config.language,
            turn_detection=config.turn_detection,
        )
        self._inbox = Inbox(config.queue_frames)
        self._cv = threading.Condition()
        # Dictation state (guarded by _cv).
        self._uplink = Uplink.for_config(config)
        self.transcript = Transcript()
        self._answers = Answers(self.transcript, self._uplink, quiet_period_s=config.quiet_period_s)
        self._error: DictationError | None = None
        self._marks_queued = 0  # commit marks still in the inbox
        # Connection state (guarded by _cv; sockets used outside it).
        self._ws: Any = None
        self._generation = 0
        self._broken: int | None = None
        self._liveness = Liveness(config, time.monotonic())
        self._stopping = False
        self._finished = False
        self.reconnects = 0
        # An overloaded server (close 4503, `no_healthy_workers`): wait before reconnecting.
        self._busy: DictationError | None = None
        self._busy_delays: Iterator[float] | None = None
        self._sender = threading.Thread(target=self._run, name="realtime-sender", daemon=True)

    @property
    def dropped_frames(self) -> int:
        """Audio frames dropped because the queue to the sender was full."""
        return self._inbox.dropped

    # --- caller API --------------------------------------------------------------------

    def start(self) -> None:
        self._sender.start()

    def send_audio(self, pcm: bytes) -> None:
        """Queue 16 kHz mono s16le audio; never blocks (a full queue drops and counts)."""
        self._inbox.put_audio(pcm)

    def offer_audio(self, pcm: bytes) -> bool:
        """Queue audio if there is room; False, nothing dropped, while the queue is full."""
        return self._inbox.offer_audio(pcm)

    def commit(self) -> None:
        """Ask for everything so far to be finalized (blocks only while the queue is full and
        the sender runs: once it has stopped, the dictation is over and the audio is kept)."""
        with self._cv:
            self._marks_queued += 1
        if not self._inbox.put_commit(self._sender_gone):
            with self._cv:
                self._marks_queued -= 1

    def finish(self, timeout: float | None = None) -> DictationResult:
        """Commit, wait for the answer to that commit, close; the audio is always returned."""
        self.commit()
        deadline = time.monotonic() + (timeout or self.config.finish_cap_s)
        with self._cv:
            while not self._settled():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if self._error is None and not self._answers.quiet_enough(time.monotonic()):
                        self._error = TransientError("no final answer came in time")
                    break
                self._cv.wait(min(remaining, 0.1))
            self._finished = True
        self.close()
        with self._cv:
            return DictationResult(
                text=self.transcript.final_text,
                segments=tuple(s for s in self.transcript.segments if s),
                audio=self._uplink.kept_audio(),
                error=self._error,
                reconnects=self.reconnects,
                dropped_frames=self.dropped_frames,
            )

    def close(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._inbox.stop()
        if self._sender.is_alive() and threading.current_thread() is not self._sender:
            self._sender.join(self.config.io_timeout_s + 1)
        if not self._sender.is_alive():
            self._take_inbox(block=False)  # audio queued after a failure is kept too

    def _sender_gone(self) -> bool:
        return self._stopping or (self._sender.ident is not None and not self._sender.is_alive())

    def _settled(self) -> bool:
        """Under _cv: every commit is answered, or no answer can come."""
        if self._error is not None:
            return True
        return not self._marks_queued and self._answers.settled(time.monotonic())

    # --- sender thread -----------------------------------------------------------------

    def _emit(self, event: ClientEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # the owner's bug must not kill the connection
            log.exception("event callback failed")

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._disconnect(graceful=True)
            with self._cv:
                self._cv.notify_all()
            self._emit(Status("closed"))

    def _loop(self) -> None:
        attempts = iter(self.config.backoff.delays())
        connected_once = False
        while True:
            with self._cv:
                if self._stopping or (self._error is not None and not self._error.retryable):
                    return
                broken = self._broken is not None and self._broken == self._generation
            if broken:
                self._disconnect(graceful=False)
                self._emit(Status("reconnecting", "the connection dropped"))
                if self._busy is not None and not self._wait_while_busy():
                    return
            if self._ws is None:
                if connected_once and not self._needs_connection():
                    self._take_inbox(block=True)
                    continue
                if not self._open(attempts):
                    return
                connected_once = True
                attempts = iter(self.config.backoff.delays())
            self._take_inbox(block=False)
            try:
                self._send_pending()
                self._keepalive()
            except (OSError, websocket.WebSocketException, DictationError) as exc:
                self._mark_broken(self._generation, exc)
                continue
            self._take_inbox(block=True, timeout=0.05)

    def _wait_while_busy(self) -> bool:
        """Back off after an overload answer; False (and the error reported) when giving up."""
        with self._cv:
            busy, self._busy = self._busy, None
            if self._busy_delays is None:
                self._busy_delays = iter(self.config.backoff.delays())
            delay = next(self._busy_delays, None)
        assert busy is not None
        if delay is None:
            self._fail(self._give_up(busy))
            return False
        self._emit(Status("reconnecting", f"{busy.message}; retrying in {delay:.1f} s"))
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self._stopping:
            self._take_inbox(block=True, timeout=min(0.1, deadline - time.monotonic()))
        return True

    def _needs_connection(self) -> bool:
        with self._cv:
            return self._uplink.needs_connection

    def _take_inbox(self, *, block: bool, timeout: float = 0.2) -> None:
        """Move queued audio and commit marks into the dictation's state."""
        items = self._inbox.take(block=block, timeout=timeout)
        if not items:
            return
        with self._cv:
            for item in items:
                if isinstance(item, bytes):
                    self._uplink.append(item)
                    self._liveness.last_audio_at = time.monotonic()
                elif isinstance(item, CommitMark):
                    self._marks_queued -= 1
                    self._uplink.commit()
                    self._answers.last_event_at = time.monotonic()
            self._uplink.commit_silence(self.transcript.live)
            self._cv.notify_all()

    def _open(self, attempts: Any) -> bool:
        """Connect, retrying transient failures with backoff; False when giving up."""
        while True:
            with self._cv:
                if self._stopping:
                    return False
            self._emit(Status("connecting", self.config.url))
            try:
                ws = open_session(self._connect, self._url, self.config)
            except Exception as exc:
                error = errors.from_handshake(exc, self._url)
                delay = next(attempts, None) if error.retryable else None
                if delay is None or self.reconnects >= self.config.max_reconnects:
                    self._fail(self._give_up(error) if error.retryable else error)
                    return False
                self._emit(Status("reconnecting", f"{error.message}; retrying in {delay:.1f} s"))
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline and not self._stopping:
                    self._take_inbox(block=True, timeout=min(0.1, deadline - time.monotonic()))
                continue
            with self._cv:
                self._generation += 1
                self._ws = ws
                self._answers.new_connection(time.monotonic())
                self._uplink.new_connection()
                self._liveness.opened(time.monotonic())
                generation = self._generation
            threading.Thread(
                target=self._receive, args=(ws, generation), name="realtime-receiver", daemon=True
            ).start()
            return True

    def _give_up(self, error: DictationError) -> DictationError:
        with self._cv:
            return errors.gave_up(error, self._uplink.seconds, connected=self._generation > 0)

    def _send_pending(self) -> None:
        """Send unsent audio in 20-250 ms appends, and each commit at its place."""
        ws = self._ws
        if ws is None:
            return
        while True:
            with self._cv:
                # What a frame carries is recorded before it goes out: the server's answer
                # can reach the receiver thread before `send` returns here.
                outgoing = self._uplink.next_frame()
                if outgoing is None:
                    return
                frame = encode_client_message(outgoing.message)
            try:
                ws.send(frame)
            except BaseException:
                # Not sent after all. The caller marks the connection broken, and the next
                # one restarts from `confirmed` and sends the commit again at its place.
                with self._cv:
                    self._uplink.unsend(outgoing)
                raise

    def _keepalive(self) -> None:
        now = time.monotonic()
        with self._cv:
            ws = self._ws
            due = self._liveness.due(now, needed=self._uplink.needs_connection)
        if ws is None:
            return
        if due == "gone":
            raise TransientError("the server stopped answering")  # handled as broken below
        if due == "idle":
            self._disconnect(graceful=True)
            self._emit(Status("idle", "closed an idle connection; it reopens when needed"))
        elif due == "ping":
            ws.ping()
            self._liveness.last_ping = now

    def _disconnect(self, *, graceful: bool) -> None:
        with self._cv:
            ws, self._ws = self._ws, None
            if ws is None:
                return
            self._generation += 1
            if not graceful:
                self.reconnects += 1
                self.transcript.drop_live()
        if graceful:
            with contextlib.suppress(Exception):
                ws.close(timeout=1)
        with contextlib.suppress(Exception):
            ws.abort()
            ws.shutdown()

    def _mark_broken(self, generation: int, exc: BaseException | None = None) -> None:
        with self._cv:
            if generation != self._generation or self._ws is None:
                return
            self._broken = generation
            self._cv.notify_all()
        self._inbox.wake()

    def _fail(self, error: DictationError) -> None:
        with self._cv:
            self._error = error
            self._cv.notify_all()
        self._emit(Fatal(error))

    # --- receiver thread ---------------------------------------------------------------

    def _receive(self, ws: Any, generation: int) -> None:
        while True:
            try:
                opcode, data = ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                with self._cv:
                    if generation != self._generation:
                        return
                continue
            except Exception as exc:
                self._mark_broken(generation, exc)
                return
            with self._cv:
                if generation != self._generation:
                    return
                self._liveness.last_heard = time.monotonic()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                busy = errors.from_close(code, data[2:].decode("utf-8", "replace"))
                if busy is not None:
                    with self._cv:
                        self._busy = busy
                self._mark_broken(generation)
                return
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self._handle(decode_server_event(data.decode("utf-8", "replace")), generation)

    def _handle(self, event: ServerEvent, generation: int) -> None:
        with self._cv:
            if generation != self._generation:
                return
            if isinstance(event, TranscriptDelta):
                self._busy_delays = None  # the service works again: a fresh backoff next time
            out = self._answers.on_event(event, time.monotonic())
            if isinstance(event, TranscriptFailed) and event.fatal:
                out = self._on_fatal(event, generation)
            self._cv.notify_all()
        for item in out:
            self._emit(item)

    def _on_fatal(self, event: TranscriptFailed, generation: int) -> list[ClientEvent]:
        """Under _cv: a retryable failure costs this connection, any other the dictation."""
        error = errors.from_fatal_event(event)
        if error.retryable and not self._finished:
            if errors.is_overload(error):
                self._busy = error
            self._broken = generation
            self._inbox.wake()
            return [Status("reconnecting", error.message)]
        self._error = error
        return [Fatal(error)]
