"""Per-app profiles: which profile a target chooses, what it changes, what is stored."""

from __future__ import annotations

import os

from app.core.text import render
from app.core.words import Words
from app.delivery.xtest import Window
from app.dictation.dictation import Dictation
from app.dictation.options import DictationOptions
from app.dictation.profiles import (
    TERMINAL,
    Profile,
    Profiles,
    app_names,
    default_tables,
    profiles_from,
)
from app.dictation.target import UNKNOWN, Target, TargetCapture
from app.storage.settings import Settings

MAIL = Target(Window("0x1", "Inbox", "geary.Geary", 4242), "geary")
KITTY = Target(Window("0x2", "~", "kitty.kitty", 4343), "kitty")
BY_PROCESS = Target(Window("0x3", "notes", "", 4444), "mousepad")
GERMAN = Profile("Mail", ("Geary", "mousepad"), style="email", language="de",
                 vocabulary=("Siobhan",), delivery="paste")  # fmt: skip


def test_a_profile_matches_a_class_part_or_the_process_in_any_case() -> None:
    rules = Profiles((GERMAN, TERMINAL))
    assert rules.choose(MAIL) == GERMAN and rules.choose(BY_PROCESS) == GERMAN
    assert rules.choose(KITTY) == TERMINAL
    assert rules.choose(UNKNOWN) is None
    own = Target(Window("0x4", "Dictate", "geary.Geary", os.getpid()), "python", own=True)
    assert rules.choose(own) is None  # Dictate's own window: the settings as they are
    assert Profiles((TERMINAL, GERMAN)).choose(MAIL) == GERMAN  # first match wins


def test_the_profile_changes_the_options_taken_at_press() -> None:
    settings = Settings(language="en", vocabulary=["Nguyen", "Siobhan"])
    settings.profiles = [GERMAN.to_table(), *settings.profiles]
    options = DictationOptions.of(settings)
    mail = options.for_target(MAIL)
    assert (mail.profile, mail.style, mail.language) == ("Mail", "email", "de")
    assert mail.words.vocabulary == ("Nguyen", "Siobhan")  # no entry twice
    assert mail.delivery == "paste" and options.delivery == "auto"
    assert mail.for_target(KITTY) is mail  # applied once, at press
    shell = options.for_target(KITTY)
    assert (shell.style, shell.language, shell.words.one_line) == ("verbatim", "en", True)
    assert options.for_target(UNKNOWN) is options
    dictation = Dictation.start(1, options, TargetCapture.known(MAIL))
    assert dictation.options_at_target(0) == mail


def test_a_new_settings_file_starts_with_the_terminals_profile() -> None:
    assert Settings().profiles == default_tables()
    assert profiles_from(Settings().profiles).rules == (TERMINAL,)
    for name in ("xterm", "gnome-terminal-server", "konsole", "Alacritty", "kitty"):
        shell = Target(Window("0x9", "~", f"{name}.{name.capitalize()}", 1), name.lower())
        assert TERMINAL.matches(shell), name


def test_one_line_turns_line_breaks_into_spaces() -> None:
    said = ["Hello there.", "New paragraph.", "Bye. New line.", "Again."]
    assert render(said, Words()) == "Hello there.\n\nBye.\nAgain."
    assert render(said, Words(one_line=True)) == "Hello there. Bye. Again."


def test_stored_profiles_that_cannot_be_read_are_skipped() -> None:
    chat = {
        "name": " Chat ",
        "apps": "slack; discord",
        "one_line": "yes",
        "style": 3,
        "delivery": "teleport",
    }
    tables = [GERMAN.to_table(), {"name": "", "apps": ["x"]}, {"name": "No apps"}, "junk", chat]
    rules = profiles_from(tables).rules
    assert rules[0] == GERMAN
    assert rules[1] == Profile("Chat", ("slack", "discord"))  # defaults for the bad fields
    assert len(rules) == 2 and profiles_from("junk") == Profiles()


def test_a_new_profile_names_the_window_class_or_the_process() -> None:
    assert app_names(MAIL) == ("geary",)
    assert app_names(BY_PROCESS) == ("mousepad",)
    assert app_names(UNKNOWN) == ()
    assert app_names(Target(Window("0x5", "x", "lettersapp.Entry_app.py", 1), "")) == (
        "lettersapp",
    )  # a dot in the class: the instance


def test_a_profile_sets_the_cleanups_style_and_verbatim_turns_it_off() -> None:
    settings = Settings(cleanup=True, cleanup_style="clean")
    settings.profiles = [GERMAN.to_table(), *settings.profiles]
    options = DictationOptions.of(settings)
    assert options.cleanup is not None and options.style == "clean"
    mail = options.for_target(MAIL)
    assert mail.cleanup is not None and mail.cleanup.style == "email" and mail.style == "email"
    shell = options.for_target(KITTY)
    assert shell.cleanup is None and not shell.hold_commits  # terminals: verbatim
    off = DictationOptions.of(Settings(cleanup=False, profiles=[GERMAN.to_table()]))
    assert off.for_target(MAIL).cleanup is None  # a profile never turns cleanup on
