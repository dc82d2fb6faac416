"""A microphone's live level for a dialog (settings, first-run setup), and a short recording
of a test phrase: the device is opened and closed off the GUI thread, levels come back on it.

One `MicrophoneTest` serves one dialog; a new `start` replaces the running one, so choosing
another microphone in the dialog moves the meter to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.audio.capture import MicrophoneSource
from app.audio.levels import Level
from app.controller.bridge import Bridge


class MicrophoneTest:
    def __init__(
        self, bridge: Bridge, on_level: Callable[[float], None], on_error: Callable[[str], None]
    ) -> None:
        self.bridge, self.on_level, self.on_error = bridge, on_level, on_error
        self.source: MicrophoneSource | None = None
        self.recording = bytearray()
        self._recording = False
        self._closing: list[threading.Thread] = []  # closes under way, joined at shutdown

    def start(self, microphone: str) -> None:
        """The level of `microphone` ("" is the system default) from now on."""
        self.stop()
        source_box: list[MicrophoneSource] = []

        def level(value: object) -> None:
            if isinstance(value, Level) and source_box and self.source is source_box[0]:
                self.on_level(value.rms_db)

        source = MicrophoneSource(microphone or None, on_level=self.bridge.callback(level))
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
        if self.source is source:
            self.source = None
            self.on_error(str(exc))

    def stop(self, *, wait: bool = False) -> None:
        """Close the microphone: off the GUI thread, or (`wait`, at shutdown) before returning,
        so that no stream is left open when PortAudio itself goes."""
        source, self.source = self.source, None
        self._recording = False
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
