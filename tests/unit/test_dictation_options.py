"""The options a dictation takes at press hold for its whole life, whatever is saved meanwhile."""

from __future__ import annotations

from app.core.words import Rule
from app.dictation.options import DictationOptions
from app.realtime.protocol import TurnDetection
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource


def test_a_change_saved_mid_dictation_does_not_reach_the_snapshot() -> None:
    source = SettingsSource(Settings(
        language="en", vocabulary=["Nguyen"], rules=[["btw", "by the way"]], delivery="typing",
        auto_paste=False, continuous=False, auto_copy=True, restore_clipboard=False,
        history_audio=True, vad_threshold=0.4,
    ))  # fmt: skip
    pressed = DictationOptions.snapshot(source)

    edited = source.edit()
    edited.language = "de"
    edited.vocabulary.append("Siobhan")
    edited.rules.append(["omw", "on my way"])
    edited.spoken_commands = False
    edited.delivery, edited.auto_paste, edited.continuous = "clipboard", True, True
    edited.auto_copy, edited.restore_clipboard, edited.history_audio = False, True, False
    edited.vad_threshold = 0.9
    assert source.apply(edited)  # saved while the dictation runs

    assert pressed.language == "en"
    assert pressed.words.vocabulary == ("Nguyen",)
    assert pressed.words.rules == (Rule("btw", "by the way"),)
    assert pressed.words.commands is True
    assert (pressed.delivery, pressed.prefer_paste, pressed.continuous) == ("typing", False, False)
    assert (pressed.auto_copy, pressed.restore_clipboard, pressed.keep_audio) == (True, False, True)
    assert pressed.turn_detection.threshold == 0.4
    # ...and the next press takes the new ones.
    after = DictationOptions.snapshot(source)
    assert after.language == "de" and after.words.vocabulary == ("Nguyen", "Siobhan")
    assert (after.delivery, after.prefer_paste, after.continuous) == ("clipboard", True, True)
    assert after.turn_detection.threshold == 0.9 and not after.keep_audio


def test_the_snapshot_says_what_the_settings_mean() -> None:
    options = DictationOptions.of(Settings(language="", vad_min_silence_ms=650,
                                           vad_speech_pad_ms=120))  # fmt: skip
    assert options.language is None  # "" in Settings: the recognizer detects the language
    assert options.turn_detection == TurnDetection(
        threshold=0.3, min_silence_duration_ms=650, speech_pad_ms=120
    )
    # A paste puts the clipboard back when asked, or when the text is not meant to stay there.
    assert not DictationOptions(auto_copy=True, restore_clipboard=False).restore
    assert DictationOptions(auto_copy=True, restore_clipboard=True).restore
    assert DictationOptions(auto_copy=False, restore_clipboard=False).restore
