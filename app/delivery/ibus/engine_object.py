"""The IBusEngine object the daemon has Dictate's engine process make for each switch to it.

It follows the focus (which context, by its client's name: focus ids, IBus >= 1.5.27), what the
focused field offers (capabilities, the text before the caret, the input purpose), and hands
every event to the `Host` in engine.py. Run only by the system python3 (it needs `gi`).
"""

from __future__ import annotations

from typing import Any

import caret  # this directory: the engine runs as a script, outside the app's package
import gi

gi.require_version("IBus", "1.0")
from gi.repository import IBus  # noqa: E402

# The daemon's own input context for "nothing focused": bus_ibus_impl_init() in bus/ibusimpl.c
# makes it first, `bus_input_context_new (NULL, "fake")`, so it is InputContext_1.
FAKE_CLIENT = "fake"
FAKE_PATH = "/org/freedesktop/IBus/InputContext_1"
CARET_WAIT_MS = 300  # at most this long the first words wait for the text before the caret


class DictateEngine(IBus.Engine):  # type: ignore[misc]
    __gtype_name__ = "DictateEngine"

    focused: DictateEngine | None = None  # the instance attached to the focused context
    host: Any = None  # engine.Host, once registered

    def __init__(self, **props: object) -> None:
        super().__init__(**props)
        self.client = ""  # the focused input context's client name
        self.caps = 0
        self.surrounding = False  # the focused client sent its text since it got the focus

    def do_process_key_event(self, keyval: int, keycode: int, state: int) -> bool:
        host = DictateEngine.host
        released = bool(state & IBus.ModifierType.RELEASE_MASK)
        if keyval == IBus.KEY_Escape and host is not None and host.dictating:
            if not released:
                host.on_escape()
            return True  # the Escape belongs to Dictate while it dictates
        return False  # every other key goes to the app unchanged

    def do_set_capabilities(self, caps: int) -> None:
        self.caps = int(caps)

    def do_focus_in_id(self, _path: str, client: str) -> None:
        self._focused(client)

    def do_focus_out_id(self, _path: str) -> None:
        self.do_focus_out()

    def do_focus_in(self) -> None:
        """Without focus ids (the daemon asks whether an engine has them only once it made
        one, so the first focus of a run comes without): the focused context is asked for."""
        host = DictateEngine.host
        fake = host is not None and host.bus.current_input_context() == FAKE_PATH
        self._focused(FAKE_CLIENT if fake else "")

    def _focused(self, client: str) -> None:
        DictateEngine.focused = self
        self.client, self.surrounding = client, False
        # Asks the client to send the text before the caret from now on (its capabilities
        # come after the focus, so whether it can is not known yet).
        self.get_surrounding_text()
        if DictateEngine.host is not None:
            DictateEngine.host.on_focus(self)

    def do_set_surrounding_text(self, text: IBus.Text, cursor: int, anchor: int) -> None:
        IBus.Engine.do_set_surrounding_text(self, text, cursor, anchor)
        first = not self.surrounding
        self.surrounding = True
        if DictateEngine.host is not None and DictateEngine.focused is self:
            DictateEngine.host.on_surrounding(self, first)

    def do_set_content_type(self, purpose: int, hints: int) -> None:
        IBus.Engine.do_set_content_type(self, purpose, hints)
        if DictateEngine.host is not None and DictateEngine.focused is self:
            DictateEngine.host.on_content_type(self)

    def do_focus_out(self) -> None:
        if DictateEngine.focused is self:
            DictateEngine.focused = None
            if DictateEngine.host is not None:
                DictateEngine.host.on_focus(None)

    def do_disable(self) -> None:
        self.do_focus_out()

    def do_destroy(self) -> None:
        if DictateEngine.focused is self:
            DictateEngine.focused = None
        IBus.Engine.do_destroy(self)

    # --- what the focused context is -----------------------------------------------------

    @property
    def field(self) -> bool:
        """A window's input context, not the daemon's own for "nothing focused"."""
        return self.client != FAKE_CLIENT

    def secret(self) -> str:
        purpose, _hints = self.get_content_type()
        return str(caret.secret_field(int(purpose)))

    def wants_caret(self) -> bool:
        """The client offers the text before the caret and has not sent it yet."""
        return bool(self.caps & IBus.Capabilite.SURROUNDING_TEXT) and not self.surrounding

    def surrounding_text(self) -> tuple[str, int, int] | None:
        """The field's text, caret and selection anchor; None when the client does not
        offer it (or has not sent it yet: it does when it shows the preedit)."""
        if not (self.caps & IBus.Capabilite.SURROUNDING_TEXT and self.surrounding):
            return None
        text, cursor, anchor = self.get_surrounding_text()
        return str(text.get_text()), int(cursor), int(anchor)

    def before_caret(self) -> str | None:
        """The field's text up to the caret, None when the client does not offer it."""
        found = self.surrounding_text()
        return found[0][: found[1]] if found is not None else None


def ask_for_caret(engine: DictateEngine) -> None:
    """Makes the client send the text before the caret now: GTK's input module sends it when a
    hidden preedit is shown (`_ibus_context_show_preedit_text_cb` -> `_request_surrounding_text`
    in client/gtk2/ibusimcontext.c), not when a preedit is updated."""
    engine.hide_preedit_text()
    engine.show_preedit_text()


def create_engine(factory: IBus.Factory, name: str) -> IBus.Engine:
    """The factory's `create-engine`: our engine with focus ids (the client's name) asked
    for; IBus before 1.5.27 has no such property, and the engine works without it."""
    create_engine.count += 1  # type: ignore[attr-defined]
    props = {"engine_name": name, "connection": factory.get_connection(),
             "object_path": f"/org/freedesktop/IBus/Engine/{create_engine.count}"}  # type: ignore[attr-defined]  # fmt: skip
    try:
        return DictateEngine(has_focus_id=True, **props)
    except TypeError:
        return DictateEngine(**props)


create_engine.count = 0  # type: ignore[attr-defined]
