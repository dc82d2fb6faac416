"""A microphone's live level for a dialog (settings, first-run setup), and a short recording
of a test phrase: the device is opened and closed off the GUI thread, levels come back on it.

One `MicrophoneTest` serves one dialog; a new `start` replaces the running one, so choosing
another microphone in the dialog moves the meter to it. A microphone that stops delivering
audio (asleep, unplugged) is said through `on_stalled` and opened again every
`RETRY_MS` until it delivers: then `on_stalled("")`, and the level and the recording go on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QTimer

from app.audio.capture import MicrophoneSource, stalled
from app.audio.levels import Level
from app.controller.bridge import Bridge
from app.core.errors import AudioInputError

log = logging.getLogger(__name__)

RETRY_MS = 1000  # how soon a stalled microphone is opened again


class MicrophoneTest:
    def __init__(
        self,
        bridge: Bridge,
        on_level: Callable[[float], None],
        on_error: Callable[[str], None],
        on_stalled: Callable[[str], None] | None = None,
    ) -> None:
        self.bridge, self.on_level, self.on_error = bridge, on_level, on_error
        self.on_stalled = on_stalled or (lambda _message: None)
        self.source: MicrophoneSource | None = None
        self.microphone = ""
        self.stalled = ""  # what was said while the microphone delivers nothing
        self.recording = bytearray()
        self._recording = False
        self._closing: list[threading.Thread] = []  # closes under way, joined at shutdown
        self._retry = QTimer()
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._reopen)

    def start(self, microphone: str) -> None:
        """The level of `microphone` ("" is the system default) from now on."""
        self.stop()
        self._open(microphone)

    def _open(self, microphone: str) -> None:
        self.microphone = microphone
        source_box: list[MicrophoneSource] = []

        def level(value: object) -> None:
            if isinstance(value, Level) and source_box and self.source is source_box[0]:
                if self.stalled:
                    log.info("the microphone delivers audio again")
                    self._stall("")
                self.on_level(value.rms_db)

        def lost(_error: AudioInputError) -> None:
            if source_box and self.source is source_box[0]:
                device = source_box[0].device
                name = device.name if device else microphone or "default"
                self._stall(stalled(name, "trying it again…"))
                self._retry.start()

        source = MicrophoneSource(
            microphone or None,
            on_level=self.bridge.callback(level),
            on_error=self.bridge.callback(lost),
        )
        source_box.append(source)
        self.source = source
        self.bridge.run(
            lambda: source.start(self._frame), None,
            lambda exc: self._failed(source, exc), name="mic-test",
        )  # fmt: skip

    def _frame(self, frame: bytes) -> None:  # the audio thread
        if self._recording:
            self.recording += frame

    def record(self) -> None:
        """Keep what the microphone hears from now on (a test phrase)."""
        self.recording = bytearray()
        self._recording = True

    def recorded(self) -> bytes:
        """Stop keeping; what was heard since `record`, as 16 kHz PCM."""
        self._recording = False
        return bytes(self.recording)

    def _failed(self, source: MicrophoneSource, exc: BaseException) -> None:
        if self.source is not source:
            return
        if self.stalled:  # still gone: another try soon
            self._retry.start()
            return
        self.source = None
        self.on_error(str(exc))

    def _stall(self, message: str) -> None:
        if message != self.stalled:
            self.stalled = message
            self.on_stalled(message)

    def _reopen(self) -> None:
        """A stalled stream is closed already: open the same microphone afresh."""
        if self.source is not None and self.stalled:
            self._closing.append(self.bridge.run(self.source.close, name="mic-test-stop"))
            self._open(self.microphone)

    def stop(self, *, wait: bool = False) -> None:
        """Close the microphone: off the GUI thread, or (`wait`, at shutdown) before returning,
        so that no stream is left open when PortAudio itself goes."""
        source, self.source = self.source, None
        self._recording = False
        self._retry.stop()
        self._stall("")
        if source is not None:
            if wait:
                source.close()
            else:
                self._closing.append(self.bridge.run(source.close, name="mic-test-stop"))
        if wait:
            for thread in self._closing:
                thread.join(10)
            self._closing.clear()
        else:
            self._closing = [t for t in self._closing if t.is_alive()]
