"""A dictation's options, taken once at press from the settings source.

Settings may be saved while a dictation runs (the Settings dialog stays usable): a dictation
that read them at each moment would mix the old language with the new delivery method, or
type half its pieces and paste the rest. So everything a dictation uses is copied into one
frozen value when it starts and carried with it; a change applies from the next press. The
things a user adjusts *during* a dictation on purpose (the hands-free auto-stop limit, the
start/stop sounds) are not part of it and are still read when used.

The per-app profiles are copied too; the app they choose from is known a few tens of
milliseconds after the press (`target.TargetCapture`), so `for_target` applies the matching
profile where the capture is waited for, off the GUI thread: the run before it connects
(language, vocabulary) and delivery before it types (one line, style).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.core.words import Words
from app.dictation.cleanup import CleanupOptions
from app.dictation.profiles import DEFAULT_STYLE, Profiles, profiles_from
from app.dictation.target import Target
from app.realtime.protocol import TurnDetection
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource


@dataclass(frozen=True)
class DictationOptions:
    """What one dictation does, whatever is saved meanwhile."""

    language: str | None = "en"  # None: the recognizer detects it
    words: Words = field(default_factory=Words)  # vocabulary, rules, commands, fillers
    turn_detection: TurnDetection = field(default_factory=TurnDetection)
    delivery: str = "auto"  # the method chosen in Settings (delivery.chain falls back)
    prefer_paste: bool = False  # "Paste it" rather than type it
    continuous: bool = False  # each settled sentence goes out as it settles
    auto_copy: bool = True  # the final text is put on the clipboard
    restore_clipboard: bool = False  # a paste puts the clipboard back afterwards
    keep_audio: bool = True  # the history keeps the audio of a dictation that worked
    style: str = DEFAULT_STYLE  # the cleanup's style, a profile's when one was chosen
    profiles: Profiles = field(default_factory=Profiles)  # the per-app rules at press
    profile: str = ""  # the name of the profile applied (`for_target`), "" for none
    command: bool = False  # command mode: the text is an instruction for the selection
    cleanup: CleanupOptions | None = None  # a language model's cleanup; None: off

    @classmethod
    def of(cls, settings: Settings) -> DictationOptions:
        return cls(
            language=settings.language or None,
            words=settings.words(),
            turn_detection=TurnDetection(
                threshold=settings.vad_threshold,
                min_silence_duration_ms=settings.vad_min_silence_ms,
                speech_pad_ms=settings.vad_speech_pad_ms,
            ),
            delivery=settings.delivery,
            prefer_paste=settings.auto_paste,
            continuous=settings.continuous,
            auto_copy=settings.auto_copy,
            restore_clipboard=settings.restore_clipboard,
            keep_audio=settings.history_audio,
            style=settings.cleanup_style or DEFAULT_STYLE,
            profiles=profiles_from(settings.profiles),
            cleanup=cleanup_of(settings),
        )

    @classmethod
    def snapshot(cls, source: SettingsSource) -> DictationOptions:
        """The options in force now: call it at press."""
        return cls.of(source.current)

    def for_target(self, target: Target) -> DictationOptions:
        """These options with the profile of the app captured at press applied (its style,
        language, vocabulary, one line, delivery method); the same options when no profile
        matches. The style is the cleanup's when cleanup is on ("verbatim": no cleanup); a
        profile never turns on a cleanup that Settings has off."""
        chosen = self.profiles.choose(target)
        if chosen is None or self.profile:
            return self
        vocabulary = tuple(dict.fromkeys((*self.words.vocabulary, *chosen.vocabulary)))
        words = replace(self.words, vocabulary=vocabulary,
                        one_line=self.words.one_line or chosen.one_line)  # fmt: skip
        cleanup = self.cleanup and replace(self.cleanup, style=chosen.style)
        return replace(self, style=chosen.style, language=chosen.language or self.language,
                       words=words, profile=chosen.name,
                       delivery=chosen.delivery or self.delivery,
                       cleanup=cleanup if cleanup and cleanup.active else None)  # fmt: skip

    def for_command(self, command: bool = True) -> DictationOptions:
        """Command mode's (when `command`): the text is an instruction, kept whole (never
        delivered)."""
        return replace(self, command=True, continuous=False) if command else self

    @property
    def hold_commits(self) -> bool:
        """The final text will be cleaned: nothing goes out before it. The input method keeps
        the live words as preedit and commits the cleaned text once; typing and paste
        deliver only the final (continuous mode waits too)."""
        return self.cleanup is not None and self.cleanup.active

    @property
    def restore(self) -> bool:
        """A paste or a typed piece leaves the clipboard as it found it: asked for, or the
        text is not meant to stay there."""
        return self.restore_clipboard or not self.auto_copy


def cleanup_of(settings: Settings) -> CleanupOptions | None:
    """The cleanup the settings ask for, or None when it is off (the key is read later,
    off the GUI thread)."""
    if not settings.cleanup:
        return None
    options = cleanup_settings(settings)
    return options if options.active else None


def cleanup_settings(
    settings: Settings, provider: str | None = None, style: str | None = None
) -> CleanupOptions:
    """The settings' cleanup for `provider` (theirs by default), on or off: its address,
    model, timeout, style and the user's instructions (the command line overrides some)."""
    provider = provider or settings.cleanup_provider
    return CleanupOptions(
        provider=provider,
        url=settings.cleanup_urls.get(provider, ""),
        model=settings.cleanup_models.get(provider, ""),
        timeout_s=settings.cleanup_timeout_s,
        style=style or settings.cleanup_style,
        instructions=settings.cleanup_instructions,
    )
