"""The engine at the caret of real GTK entries: the first words fitted to the text before the
caret, a password field that refuses dictation, and a window without the input method (the
daemon's "fake" context) that gets nothing and has the text reported undelivered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.desktop import Desktop, entered, needs_desktop, needs_ibus
from tests.delivery.engine_process import Engine
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch)


@pytest.fixture
def engine(desktop: Desktop, tmp_path: Path) -> Iterator[Engine]:
    desktop.ibus_cmd("engine", "xkb:us::eng")
    wait_until(lambda: desktop.ibus_cmd("engine") == "xkb:us::eng", 10, "the user's engine")
    started = Engine(tmp_path / "ibus-engine")
    try:
        yield started
    finally:
        started.session.stop()


def test_the_first_words_fit_the_text_before_the_caret(desktop: Desktop, engine: Engine) -> None:
    entry = desktop.entry("Caret")
    desktop.type("Friday.")
    wait_until(lambda: entry.text == "Friday.", 10, "typed text")
    ended = engine.dictate("the meeting", "the meeting is at ten.")
    assert ended["undelivered"] == ""
    wait_until(lambda: entry.text == "Friday. The meeting is at ten.", 10, "after a sentence end")

    desktop.type(" We meet in")
    wait_until(lambda: entry.text.endswith("We meet in"), 10, "typed text")
    engine.dictate("The garden", "The garden.")
    wait_until(lambda: entry.text.endswith("We meet in the garden."), 10, "mid-sentence")

    desktop.type(" ")
    wait_until(lambda: entry.text.endswith("garden. "), 10, "a space typed")
    engine.dictate("and then", " and then lunch.")
    expected = "Friday. The meeting is at ten. We meet in the garden. And then lunch."
    wait_until(lambda: entry.text == expected, 10, "no double space, a capital")


def test_a_password_field_refuses_dictation(desktop: Desktop, engine: Engine) -> None:
    entry = desktop.entry("Secret", "password")  # declares the input purpose PASSWORD
    ended = engine.dictate("my secret", "My secret words.")
    assert ended["undelivered"] == "My secret words."
    assert ended["refused"] == "password"
    assert engine.wait("refused")["why"] == "a password field has the focus"
    assert not any(entry.preedits), entry.events
    desktop.type("x")  # the field itself still works
    wait_until(lambda: entry.text == "x", 10, "a key typed into the password field")

    # GTK 3 entries that hide their text do not use the input method: the daemon's fake
    # context has the focus, and nothing is typed there either.
    hidden = desktop.entry("Hidden", "hidden")
    ended = engine.dictate("my secret", "My secret words.")
    assert ended["undelivered"] == "My secret words."
    assert not any(e.get("field") for e in engine.seen if e["event"] == "focus")
    desktop.type("y")
    wait_until(lambda: hidden.text == "y", 10, "a key typed into the hidden field")


def test_a_window_without_the_input_method_gets_nothing_and_it_is_said(
    desktop: Desktop, engine: Engine
) -> None:
    plain = desktop.entry("Plain", im="gtk-im-context-simple")  # does not use IBus
    # The first dictation of a run hears its focus without the client's name (the daemon
    # learns that the engine has focus ids only then), the next one with it.
    for _ in range(2):
        ended = engine.dictate("hello there", "Hello there.")
        assert ended["undelivered"] == "Hello there."
        focus = next(e for e in engine.seen if e["event"] == "focus")
        assert focus == {"event": "focus", "in": True, "field": False, "client": "fake"}
    desktop.type("ok")
    wait_until(lambda: plain.text == "ok", 10, "keys typed into the plain window")
    assert not any(plain.preedits)
