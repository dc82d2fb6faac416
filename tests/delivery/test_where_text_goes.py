"""Where a dictation's words go is one fact, said by delivery when the dictation starts: the
overlay shows the live words only when they are not at the caret already. The app wires the
controller to delivery and to the overlay; the fact must not depend on which it wires first
(it once did: the overlay read delivery's state when the phase changed, right only when
delivery had handled that phase change before it)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from app.controller.delivery import Delivery
from app.core.phases import Phase
from app.delivery import chain
from app.delivery.chain import Environment
from app.main import wire_delivery, wire_overlay
from app.storage.settings import Settings
from app.storage.settings_source import SettingsSource
from app.ui.overlay import Overlay
from tests.delivery.test_delivery_glue import FakeSession


class Controller(QObject):
    """The dictation controller's signals that delivery and the overlay follow."""

    started = Signal(object)  # app.dictation.Dictation
    profile_chosen = Signal(object)  # app.dictation.options.DictationOptions
    phase_changed = Signal(object, str)
    text_changed = Signal(str, str)
    level_changed = Signal(float)
    finished = Signal(str, int)

    def __init__(self) -> None:
        super().__init__()
        self.find_target: object = None

    def release(self) -> None:
        pass


class Window:
    def say(self, _message: str) -> None:
        pass


def wired(qtbot: QtBot, *, ibus: bool, overlay_first: bool) -> tuple[Controller, Delivery, Overlay]:
    env = Environment(x11=False, wayland=True, ibus=ibus, xdotool=False, xclip=False,
                      wayland_tool=None)  # fmt: skip
    source = SettingsSource(Settings(auto_copy=False))
    delivery = Delivery(source, env)
    if ibus:
        delivery.session = FakeSession()
    overlay = Overlay(source)
    qtbot.addWidget(overlay)
    controller = Controller()
    if overlay_first:
        wire_overlay(controller, overlay, delivery)  # type: ignore[arg-type]
        wire_delivery(controller, delivery, Window())  # type: ignore[arg-type]
    else:
        wire_delivery(controller, delivery, Window())  # type: ignore[arg-type]
        wire_overlay(controller, overlay, delivery)  # type: ignore[arg-type]
    return controller, delivery, overlay


@pytest.mark.parametrize("overlay_first", [False, True], ids=["delivery first", "overlay first"])
def test_live_words_at_the_caret_are_not_repeated_in_the_overlay(
    qtbot: QtBot, overlay_first: bool
) -> None:
    controller, delivery, overlay = wired(qtbot, ibus=True, overlay_first=overlay_first)
    routes: list[tuple[str, bool]] = []
    delivery.routed.connect(lambda method, at_caret: routes.append((method, at_caret)))
    controller.phase_changed.emit(Phase.CONNECTING, "")
    controller.text_changed.emit("", "hello wor")
    assert routes == [(chain.INPUT_METHOD, True)]
    assert overlay.isVisible() and overlay.state.text() == "Listening…"
    assert overlay.words.text() == "" and not overlay.words.isVisible()
    controller.finished.emit("Hello world.", 1)
    delivery.stop()


@pytest.mark.parametrize("overlay_first", [False, True], ids=["delivery first", "overlay first"])
def test_live_words_elsewhere_are_shown_in_the_overlay(qtbot: QtBot, overlay_first: bool) -> None:
    controller, delivery, overlay = wired(qtbot, ibus=True, overlay_first=overlay_first)
    controller.phase_changed.emit(Phase.CONNECTING, "")  # the first at the caret...
    controller.finished.emit("", 1)
    delivery.session = None  # ...then the input method went away: the clipboard's turn
    controller.phase_changed.emit(Phase.CONNECTING, "")
    controller.text_changed.emit("Hello.", "wor")
    assert delivery.method == chain.CLIPBOARD
    assert overlay.words.text() == "Hello. wor" and not overlay.words.isHidden()
    delivery.stop()
