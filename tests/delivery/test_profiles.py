"""Per-app profiles with real windows: two GTK windows of different classes under openbox,
each captured at press as the app in front, get their profiles' settings; the run sends the
profile's language and vocabulary to the recognizer, and a terminal's text is one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.dictation.options import DictationOptions
from app.dictation.profiles import Profile, app_names
from app.dictation.run import DictationRun, ProfileChosen, RunEvent
from app.dictation.target import TargetCapture, capture
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from tests.delivery.desktop import Desktop, entered, needs_desktop
from tests.scripted_recognizer import ScriptedRecognizer, backend
from tests.speech import silence
from tests.unit.test_dictation_run import HeldMicrophone

pytestmark = needs_desktop

LETTERS = Profile("Letters", ("lettersapp",), style="email", language="de",
                  vocabulary=("Siobhan",)).to_table()  # fmt: skip


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


def test_two_windows_of_different_classes_get_their_profiles(desktop: Desktop) -> None:
    settings = Settings(language="en", vocabulary=["Nguyen"])
    settings.profiles = [LETTERS, *settings.profiles]  # the terminals' profile stays last
    source = SettingsSource(settings)
    desktop.entry("Letter", wm_class="lettersapp")
    desktop.entry("Shell", wm_class="xterm")  # a terminal's class: the built-in profile

    desktop.activate("Letter")
    letter = capture(x11=True)
    assert letter.title == "Letter" and "lettersapp" in letter.wm_class.lower()
    at_press = DictationOptions.snapshot(source)
    options = at_press.for_target(letter)
    assert (options.profile, options.style, options.language) == ("Letters", "email", "de")
    assert options.words.vocabulary == ("Nguyen", "Siobhan") and not options.words.one_line
    assert app_names(letter) == ("lettersapp",)

    desktop.activate("Shell")
    shell = capture(x11=True)
    assert shell.title == "Shell"
    options = DictationOptions.snapshot(source).for_target(shell)
    assert (options.profile, options.style, options.language) == ("Terminals", "verbatim", "en")
    assert options.words.one_line and options.words.vocabulary == ("Nguyen",)
    assert at_press.for_target(capture(x11=False)) is at_press  # nothing known: no profile


def test_the_run_applies_the_profile_of_the_window_in_front(desktop: Desktop) -> None:
    settings = Settings(language="en", vocabulary=[])
    settings.profiles = [LETTERS, *settings.profiles]
    options = DictationOptions.snapshot(SettingsSource(settings))
    said = ["Guten Tag.", "New line.", "Bis bald."]
    for title, wm_class, language, prompts, text in (
        ("Letter", "lettersapp", "de", ["Glossary: Siobhan."], "Guten Tag.\nBis bald."),
        ("Shell", "xterm", "en", [], "Guten Tag. Bis bald."),
    ):
        desktop.entry(title, wm_class=wm_class)
        desktop.activate(title)
        recognizer = ScriptedRecognizer(said)
        events: list[object] = []
        run = DictationRun(1, backend(), lambda: HeldMicrophone(silence(0.2), b""),
                           events.append, None, options, connect=recognizer.open_client,
                           target=TargetCapture(lambda: capture(x11=True)))  # fmt: skip
        run.open()
        done = run.finish()
        assert recognizer.languages() == [language] and recognizer.prompts() == prompts
        assert done.text == text
        chosen = [e.event for e in events if isinstance(e, RunEvent)
                  and isinstance(e.event, ProfileChosen)]  # fmt: skip
        assert len(chosen) == 1 and chosen[0].options.language == language
