"""How the first words join the text before the caret, and which input method owns a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.delivery import input_method
from app.delivery.ibus.caret import fit, secret_field


@pytest.mark.parametrize(
    ("before", "text", "expected"),
    [
        ("Friday.", "the meeting is at ten.", " The meeting is at ten."),
        ("Friday. ", " The meeting.", "The meeting."),
        ("", "the meeting.", "The meeting."),
        ("see you on", "The garden.", " the garden."),
        ("see you on ", "The garden.", "the garden."),
        ("Really?", "yes.", " Yes."),
        ("He said (", "The plan", "the plan"),
        ("first line\n", "the next", "The next"),
        ("Hello", ", world.", ", world."),
        ("so", "I think so.", " I think so."),
        ("we use", "NASA data.", " NASA data."),
        ("see you on", "Friday at ten.", " Friday at ten."),
        ('said "Stop."', "then", " Then"),
    ],
)
def test_the_first_words_fit_the_caret(before: str, text: str, expected: str) -> None:
    assert fit(before, text) == expected


def test_password_and_pin_fields_are_secret() -> None:
    assert (secret_field(8), secret_field(9), secret_field(0)) == ("password", "PIN", "")


@pytest.mark.parametrize(
    ("env", "running", "expected"),
    [
        ({}, {"ibus-daemon"}, "ibus"),  # GNOME: no variable, its own ibus-daemon
        ({"GTK_IM_MODULE": "fcitx", "QT_IM_MODULE": "fcitx"}, {"ibus-daemon", "fcitx5"}, "fcitx"),
        ({"XMODIFIERS": "@im=fcitx"}, {"ibus-daemon"}, "fcitx"),
        ({"GTK_IM_MODULE": "ibus"}, {"fcitx5"}, "ibus"),
        ({}, {"fcitx5"}, "fcitx"),
        ({}, set(), ""),
    ],
)
def test_the_input_method_that_owns_the_session(
    env: dict[str, str], running: set[str], expected: str
) -> None:
    assert input_method.owner(env, running) == expected


def test_running_daemons_are_read_from_proc(tmp_path: Path) -> None:
    for pid, name in ((11, "ibus-daemon"), (12, "bash"), (13, "fcitx5")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "comm").write_text(name + "\n")
    (tmp_path / "self").mkdir()
    assert input_method.running_daemons(tmp_path) == {"ibus-daemon", "fcitx5"}
