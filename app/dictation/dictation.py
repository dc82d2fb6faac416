"""One dictation as every part sees it: its number, its options, its target, its live text.

Made by the controller at press and handed to delivery (the `started` signal), so the
options taken at press, the window found at press and the one live text travel together:
no part reads the settings again or asks X11 again mid-dictation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.dictation.live import LiveText
from app.dictation.options import DictationOptions
from app.dictation.target import TargetCapture


@dataclass(frozen=True)
class Dictation:
    number: int
    options: DictationOptions = field(default_factory=DictationOptions)
    target: TargetCapture = field(default_factory=TargetCapture)  # unknown unless captured
    live: LiveText = field(default_factory=LiveText)

    @classmethod
    def start(
        cls, number: int, options: DictationOptions, target: TargetCapture | None = None
    ) -> Dictation:
        return cls(number, options, target or TargetCapture(), LiveText(options.words))

    def with_options(self, options: DictationOptions) -> Dictation:
        """The same dictation with the options of its app's profile: its live text renders
        with the profile's words from now on (before any text: the profile comes first)."""
        self.live.words = options.words
        return replace(self, options=options)

    def options_at_target(self, timeout: float = 2.0) -> DictationOptions:
        """The options with the profile of the app captured at press applied; waits for
        the capture (bounded): call it off the GUI thread (delivery's worker)."""
        return self.options.for_target(self.target.result(timeout))
