"""The microphone for each dictation, chosen by the settings in force when it starts.

A fresh `MicrophoneSource` per dictation, or one kept open between dictations (pre-roll:
the first word is never clipped) when the user asks. The source is made from the current
settings at each press, so choosing another microphone applies to the next dictation; a kept
source that no longer matches the settings is closed off the GUI thread. Levels, warnings
and the end of a warning go to `report`, a thread-safe callable (the controller's
`device_event`). A microphone that stops delivering audio (asleep, unplugged) is a notice
that lasts until one of its streams delivers sound again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.audio.capture import SILENT, MicrophoneSource, stalled
from app.audio.levels import Level
from app.controller.bridge import Bridge
from app.core.errors import AudioInputError
from app.core.notices import MICROPHONE_SILENT, MICROPHONE_STALLED, Notice, NoticeEnded
from app.dictation.run import Source
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource

log = logging.getLogger(__name__)


class Microphones:
    def __init__(
        self, settings: SettingsSource, bridge: Bridge, report: Callable[[object], None]
    ) -> None:
        self.settings, self.bridge, self.report = settings, bridge, report
        self.kept: MicrophoneSource | None = None
        self.stalled = False  # a stream stopped delivering; no other has delivered since
        settings.subscribe(self._changed, "microphone", "keep_microphone_open")

    def __call__(self) -> Source:
        s = self.settings.current
        if self.kept is not None:
            return self.kept
        source = MicrophoneSource(
            s.microphone or None,
            keep_open=s.keep_microphone_open,
            on_level=self._level,
            on_warning=lambda message: self.report(Notice(message)),
            on_error=lambda error: self._lost(source, error),
            on_silence=self._silence,
        )
        if s.keep_microphone_open:
            self.kept = source
        return source

    def _level(self, level: Level) -> None:  # the audio thread
        if self.stalled:
            self.stalled = False
            log.info("the microphone delivers audio again")
            self.report(NoticeEnded(MICROPHONE_STALLED))
        self.report(level)

    def _lost(self, source: MicrophoneSource, _error: AudioInputError) -> None:
        self.stalled = True
        name = source.device.name if source.device else "the microphone"
        then = "the next dictation opens it again"
        self.report(Notice(stalled(name, then), MICROPHONE_STALLED))

    def _silence(self, silent: bool) -> None:
        self.report(Notice(SILENT, MICROPHONE_SILENT) if silent else NoticeEnded(MICROPHONE_SILENT))

    def _changed(self, _settings: Settings) -> None:
        self.close()

    def close(self, *, wait: bool = False) -> None:
        """Let go of a kept microphone: off the GUI thread (PortAudio may take a while), or
        (`wait`, at shutdown) before returning."""
        kept, self.kept = self.kept, None
        if kept is not None:
            if wait:
                kept.close()
            else:
                self.bridge.run(kept.close, name="microphone-close")
