"""The Qt side of delivery through the input method, with a stand-in for the engine process:
what is committed when, what the final commit is, and what is reported. Everything that
talks to the engine, and the outcome judged on its `ended`, happens on the delivery thread:
`ended` waits for it (`flush`) and then for the outcome to reach the GUI thread."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from app.controller.delivery import Delivery
from app.core.phases import Phase
from app.delivery import chain
from app.delivery.chain import Environment, Outcome
from app.dictation.dictation import Dictation
from app.dictation.options import DictationOptions
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource


class FakeSession:
    alive = True

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, op: str, text: str = "") -> bool:
        self.sent.append((op, text))
        return True

    def front(self, timeout: float = 0) -> None:
        return None  # the engine said nothing of the field in front

    def stop(self) -> None:
        pass


def make(**settings: Any) -> tuple[Delivery, FakeSession, list[Outcome]]:
    env = Environment(x11=False, wayland=True, ibus=True, xdotool=False, xclip=False,
                      wayland_tool=None)  # fmt: skip
    delivery = Delivery(SettingsSource(Settings(auto_copy=False, **settings)), env)
    session = FakeSession()
    delivery.session = session
    outcomes: list[Outcome] = []
    delivery.delivered.connect(outcomes.append)
    return delivery, session, outcomes


def ended(qtbot: QtBot, delivery: Delivery, outcomes: list[Outcome], undelivered: str = "") -> None:
    """The engine says it has ended the dictation; the outcome is judged and said."""
    said = len(outcomes)
    delivery._on_engine_event({"event": "ended", "undelivered": undelivered})
    delivery.flush()
    qtbot.waitUntil(lambda: len(outcomes) > said)


def say(delivery: Delivery, settled: str = "", live: str = "") -> None:
    """The controller's part: a settled segment and the live partial into the dictation's
    live text, then its `text_changed`."""
    text = delivery.dictation.live
    if settled:
        text.settle(settled)
    text.hear(live)
    delivery.on_text(*text.shown())


def capture_copies(delivery: Delivery) -> list[str]:
    """What the delivery puts on the clipboard, instead of the clipboard."""
    copied: list[str] = []
    delivery._copy.disconnect()
    delivery._copy.connect(copied.append)
    return copied


def test_settled_words_are_committed_as_they_settle_and_the_rest_on_release(qtbot: QtBot) -> None:
    delivery, session, outcomes = make()
    delivery.on_phase(Phase.CONNECTING, "")
    say(delivery, live="hello wor")
    say(delivery, "Hello world.")
    say(delivery, live="and th")
    say(delivery, live="and then")
    delivery.on_finished("Hello world. And then some.", 3)
    delivery.flush()  # the engine's pipe is written on the delivery thread, in order
    assert session.sent == [
        ("begin", ""),
        ("preedit", "hello wor"),
        ("commit", "Hello world."),
        ("preedit", ""),
        ("preedit", "and th"),
        ("preedit", "and then"),
        ("preedit", ""),
        ("commit", " And then some."),
        ("end", ""),
    ]
    ended(qtbot, delivery, outcomes)
    assert outcomes == [Outcome(chain.INPUT_METHOD, True, "typed at the caret")]


def test_a_commit_that_found_no_text_field_is_copied_and_said_so(qtbot: QtBot) -> None:
    delivery, _session, outcomes = make()
    copied = capture_copies(delivery)
    delivery.on_phase(Phase.LISTENING, "")
    delivery.on_finished("Nobody heard this.", 1)
    delivery.flush()
    ended(qtbot, delivery, outcomes, "Nobody heard this.")
    assert outcomes == [
        Outcome(chain.CLIPBOARD, False, "no text field took the text: copied: press Ctrl+V")
    ]
    assert copied == ["Nobody heard this."]


def test_a_password_field_refuses_and_the_text_is_kept(qtbot: QtBot) -> None:
    delivery, _session, outcomes = make()
    copied = capture_copies(delivery)
    delivery.on_phase(Phase.LISTENING, "")
    delivery.on_finished("Not for that field.", 1)
    delivery.flush()
    ended = {"event": "ended", "undelivered": "Not for that field.", "refused": "password"}
    delivery._on_engine_event(ended)
    qtbot.waitUntil(lambda: bool(outcomes))
    message = "a password field has the focus, nothing typed: copied: press Ctrl+V"
    assert outcomes == [Outcome(chain.CLIPBOARD, False, message)]
    assert copied == ["Not for that field."]


def test_escape_cancels_and_nothing_more_is_typed(qtbot: QtBot) -> None:
    delivery, session, outcomes = make()
    cancels: list[bool] = []
    delivery.cancel_requested.connect(lambda: cancels.append(True))
    delivery.on_phase(Phase.LISTENING, "")
    say(delivery, live="do not")
    delivery._on_engine_event({"event": "escape"})
    say(delivery, "Do not type this.")
    delivery.on_finished("Do not type this.", 2)
    delivery.flush()
    ended(qtbot, delivery, outcomes)
    assert cancels == [True]
    assert ("commit", "Do not type this.") not in session.sent
    assert outcomes == [Outcome(chain.INPUT_METHOD, False, "cancelled: nothing typed")]


def test_settings_show_the_method_and_keep_the_choice(qtbot: QtBot) -> None:
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(delivery="typing", overlay=False), [], False)
    qtbot.addWidget(dialog)
    here = Environment.detect()
    assert dialog.delivery_now.text() == chain.describe("typing", here)
    dialog.delivery.setCurrentText("clipboard")
    assert dialog.delivery_now.text() == "clipboard"
    chosen = dialog.accepted_settings()
    assert chosen.delivery == "clipboard" and chosen.overlay is False


def test_a_new_dictation_before_the_engine_ended_the_last_keeps_both_right(qtbot: QtBot) -> None:
    delivery, session, outcomes = make()
    delivery.on_phase(Phase.LISTENING, "")
    delivery.on_finished("First one.", 1)
    delivery.on_phase(Phase.CONNECTING, "")  # pressed again at once
    delivery.flush()
    ended(qtbot, delivery, outcomes)
    assert outcomes == [Outcome(chain.INPUT_METHOD, True, "typed at the caret")]
    assert delivery.ime
    say(delivery, "Second.")
    delivery.flush()
    assert session.sent[-2:] == [("commit", "Second."), ("preedit", "")]


def test_an_engine_that_died_is_reported_and_the_text_copied(qtbot: QtBot) -> None:
    delivery, session, outcomes = make()
    copied = capture_copies(delivery)
    delivery.on_phase(Phase.LISTENING, "")
    session.send = lambda op, text="": False  # type: ignore[method-assign]
    delivery.on_finished("Kept safe.", 1)
    qtbot.waitUntil(lambda: bool(outcomes and copied))  # said from the delivery thread
    assert outcomes == [
        Outcome(chain.CLIPBOARD, False, "the input method stopped: copied: press Ctrl+V")
    ]
    assert copied == ["Kept safe."]


def test_a_rewrite_of_committed_words_appends_what_follows_never_a_diff(qtbot: QtBot) -> None:
    delivery, session, _outcomes = make()
    delivery.on_phase(Phase.LISTENING, "")
    say(delivery, "Hello world.")
    say(delivery, "Wrong thing.")
    say(delivery, "Scratch that. Right thing.")  # takes back a sentence already committed
    final = delivery.dictation.live.settled
    assert final == "Hello world. Right thing."
    delivery.on_finished(final, 1)
    delivery.flush()
    commits = "".join(text for op, text in session.sent if op == "commit")
    assert commits == "Hello world. Wrong thing. Right thing."  # not "...thing.Right thing."


def test_the_options_taken_at_press_decide_the_whole_delivery(qtbot: QtBot) -> None:
    delivery, session, outcomes = make()
    copied = capture_copies(delivery)
    pressed = DictationOptions(delivery="clipboard", auto_copy=False)
    delivery.on_started(Dictation.start(1, pressed))
    delivery.on_phase(Phase.LISTENING, "")
    delivery.source.apply(Settings(delivery="input method", auto_copy=False))  # saved meanwhile
    say(delivery, "Copied, not typed.")
    delivery.on_finished("Copied, not typed.", 1)
    qtbot.waitUntil(lambda: bool(outcomes and copied))
    assert outcomes == [Outcome(chain.CLIPBOARD, False, "copied: press Ctrl+V")]
    assert copied == ["Copied, not typed."]
    assert not [op for op, _text in session.sent if op in ("begin", "commit")]


def test_continuous_pieces_follow_the_options_taken_at_press(qtbot: QtBot) -> None:
    env = Environment(x11=True, wayland=False, ibus=False, xdotool=True, xclip=False,
                      wayland_tool=None)  # fmt: skip
    delivery = Delivery(SettingsSource(Settings(continuous=False, auto_copy=False)), env)
    copied = capture_copies(delivery)  # no window had the focus: each piece is copied
    pressed = DictationOptions(delivery="typing", continuous=True, auto_copy=False)
    delivery.on_started(Dictation.start(1, pressed))
    delivery.on_phase(Phase.LISTENING, "")
    say(delivery, "First piece.")
    say(delivery, live="and the sec")
    say(delivery, "And the second piece.")
    qtbot.waitUntil(lambda: len(copied) >= 2)  # said from the delivery thread
    assert copied == ["First piece.", " And the second piece."]
