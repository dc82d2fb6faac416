"""What the app asks the engine about the field in front, besides dictating into it.

`front`: which app a dictation goes to. After `begin` the engine has the focused field; it
says the client's name ("gtk3-im:gedit"; "gnome-shell" for every app on GNOME Wayland) and
the field's input purpose (a terminal's is TERMINAL), once, tagged with the `begin`'s id: the
app takes that answer and no other, so a focus seen for an earlier dictation is never taken.
The purpose comes from the daemon right after the focus (focus-in, enable, capabilities,
content type, in that order): it is said when the content type arrives, or FRONT_SETTLE_MS
after the focus when none does (a free-form field's purpose does not change).

`select`: command mode's question, the text selected in the focused field, from its
surrounding text (text, cursor, anchor: the selection is what lies between cursor and anchor;
GTK's input module sends a real anchor for GtkTextView and GTK 4 on Wayland, anchor == cursor
for a GTK 3 entry). Dictate's engine is switched to as for `begin`, nothing is shown, the
client is asked for its text the way the first words ask for it (`ask_for_caret`), and the
answer (`selected`) comes when it arrives or after SELECT_WAIT_MS with what is known. `replace`
commits the answer exactly as given (no fitting to the caret): committed into a field with a
selection, it replaces the selection. Run only by the system python3 (it needs `gi`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gi
from engine_object import DictateEngine, ask_for_caret

gi.require_version("IBus", "1.0")
from gi.repository import GLib, IBus  # noqa: E402

FRONT_SETTLE_MS = 80  # after the focus, at most this long for the field's content type
SELECT_WAIT_MS = 500  # at most this long for the focused client's text


class Asker:
    """The open questions (`front`, `select`) and their timers; answers go out with `emit`."""

    def __init__(self, emit: Callable[..., None]) -> None:
        self.emit = emit
        self.front_id: object = None  # the begin whose front is not said yet
        self.select_id: object = None  # the select whose selection is not said yet
        self.front_timer = 0
        self.select_timer = 0
        self.shown = False  # an empty preedit was shown to ask for the text
        self.selected_in: DictateEngine | None = None  # the field the selection was read in

    # --- front -------------------------------------------------------------------------

    def ask_front(self, ident: object, switching: bool) -> None:
        """At `begin`; when the engine is active already its focused field is said now."""
        self._stop("front_timer")
        self.front_id = ident
        if not switching and ident is not None:
            self.on_focus(DictateEngine.focused, at_once=DictateEngine.focused is None)

    def on_focus(self, engine: DictateEngine | None, at_once: bool = False) -> None:
        if self.front_id is not None and (engine is not None or at_once):
            self._stop("front_timer")
            self.front_timer = GLib.timeout_add(0 if at_once else FRONT_SETTLE_MS, self._say_front)
        if self.select_id is not None and engine is not None:
            self._request(engine)

    def on_content_type(self, engine: DictateEngine) -> None:
        if self.front_id is not None and DictateEngine.focused is engine:
            self._say_front()

    def _say_front(self) -> bool:
        self.front_timer = 0
        if self.front_id is None:
            return False
        engine = DictateEngine.focused
        purpose = int(engine.get_content_type()[0]) if engine is not None else 0
        self.emit("front", id=self.front_id, client=engine.client if engine else "",
                  field=bool(engine and engine.field), purpose=purpose)  # fmt: skip
        self.front_id = None
        self._stop("front_timer")
        return False

    # --- select ------------------------------------------------------------------------

    def ask_selection(self, ident: object, engine: DictateEngine | None) -> None:
        """At `select`: `engine` is the focused one when Dictate's engine is active already
        (else the focus comes with the switch)."""
        self._stop("select_timer")
        self.select_id = ident
        self.select_timer = GLib.timeout_add(SELECT_WAIT_MS, self._say_selection)
        if engine is not None:
            self._request(engine)

    def _request(self, engine: DictateEngine) -> None:
        if not engine.field or engine.secret() or engine.surrounding:
            self._say_selection()
        else:
            ask_for_caret(engine)  # the client sends its text when a preedit is shown
            self.shown = True

    def on_surrounding(self, engine: DictateEngine) -> None:
        if self.select_id is not None and DictateEngine.focused is engine:
            self._say_selection()

    def _say_selection(self) -> bool:
        self.select_timer = 0
        if self.select_id is None:
            return False
        engine = DictateEngine.focused
        found = selected(engine)
        # The field that takes the answer: the focused one, even when it did not send its
        # selection (GNOME's IBus client resends a field's text only when it changed, so
        # the app reads the X primary selection instead, and commits here all the same).
        usable = engine is not None and engine.field and not engine.secret()
        self.selected_in = engine if usable else None
        if self.shown and engine is not None:
            engine.hide_preedit_text()
        self.shown = False
        self.emit("selected", id=self.select_id, text=found or "", offered=found is not None,
                  client=engine.client if engine is not None else "", field=usable)  # fmt: skip
        self.select_id = None
        self._stop("select_timer")
        return False

    def replace(self, text: str) -> None:
        """Commits `text` as it is into the field focused at `select` (over its selection),
        when it still has the focus."""
        engine = DictateEngine.focused
        ok = bool(text) and engine is not None and engine is self.selected_in
        if ok and engine is not None:
            engine.commit_text(IBus.Text.new_from_string(text))
        self.emit("replaced", ok=ok)

    # --- the end -----------------------------------------------------------------------

    def cancel(self) -> None:
        """At `end`: the questions still open are not answered."""
        self.front_id = self.select_id = self.selected_in = None
        self.shown = False
        self._stop("front_timer")
        self._stop("select_timer")

    def _stop(self, name: str) -> None:
        timer = getattr(self, name)
        if timer:
            GLib.source_remove(timer)
            setattr(self, name, 0)


def selected(engine: Any) -> str | None:
    """The text selected in the focused field (between cursor and anchor, "" when nothing
    is), None when the field does not offer its text (or refuses dictation)."""
    if engine is None or not engine.field or engine.secret():
        return None
    found = engine.surrounding_text()
    if found is None:
        return None
    text, cursor, anchor = found
    start, end = sorted((cursor, anchor))
    return str(text[start:end])
