"""Dictate's IBus engine: a separate process, run by the system python3 (it needs `gi`).

The app starts it (`app.delivery.ibus.IBusSession`) and talks to it over its stdin and stdout,
one JSON object a line. Pipes rather than a socket or D-Bus: nothing to name, find or clean up,
and the engine's lifetime is the pipe's: when the app exits or crashes, stdin ends and the engine
process exits too, so no orphaned engine stays registered.

The engine registers itself with the running ibus-daemon at start (an `IBus.Factory`, no
component file to install). It is made the active engine only while a dictation runs
(`begin`) and the user's engine is put back after (`end`): the user's keyboard, layout and
input method stay exactly as they were between dictations. While it is active every key passes
through unchanged, except Escape, which cancels the dictation.

Why switch rather than stay active and pass keys through: an engine that stays active replaces
the user's own (their layout, or their Chinese or Japanese input method) for good, so the
keyboard would not work "exactly as before". Switching is cheap and reliable where measured
(`bench/delivery.py`, ibus-daemon 1.5.27 under Xvfb and openbox: begin -> the engine has the
focus 3 ms p50, 6 ms p95; the user's engine back 6 ms). Not measured on a GNOME session: none
was available here, so how GNOME Shell's input-source indicator reacts is not known yet.
When no engine was active before, Dictate's stays active afterwards and passes every key.

Leaving: at its exit the engine puts the user's engine back (`leave.py` says why that is not
the daemon's doing); after a crash the app runs `engine.py --restore NAME`.

Where the text goes: the daemon attaches the active engine to its internal input context named
"fake" when no window's input context has the focus (an app that does not use the input
method, no text field focused). The engine asks for focus ids (`has-focus-id`, IBus >= 1.5.27),
so it hears the client's name with each focus, and text for the fake context is held back and
reported undelivered, not claimed. A field whose input purpose is password or PIN refuses
dictation (`refused`). The first words of a dictation are fitted to the text before the caret
when the app offers it (surrounding text, `caret.fit`): a space or not, a capital after a
sentence end and not mid-sentence.

Commands in (stdin): begin {id}, preedit {text}, commit {text}, end, user {text} (the user's
engine, when the app knows it better), select {id}, replace {text} (command mode), quit.
Events out (stdout): ready {previous}, unavailable {why}, begun {previous}, focus {in, field,
client}, front {id, client, field, purpose} (which app a dictation goes to, `front.py`),
committed {text, focused}, pending {text} (a commit with no field to take it yet), refused
{why}, escape, selected {id, text, offered, client}, replaced {ok}, ended {undelivered,
refused}, restored {engine, ok}.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable

import caret  # this directory: the engine runs as a script, outside the app's package
import gi
import leave  # this directory: the engine runs as a script, outside the app's package
from engine_object import CARET_WAIT_MS, DictateEngine, ask_for_caret, create_engine
from front import Asker

gi.require_version("IBus", "1.0")
from gi.repository import Gio, GLib, IBus  # noqa: E402

NAME = leave.NAME
emit = leave.emit  # one event to the app (nothing when the app is gone)


class Host:
    """The engine process: the bus, the factory, the commands from the app."""

    def __init__(self) -> None:
        self.loop = GLib.MainLoop()
        self.bus = IBus.Bus()
        self.dictating = False
        self.closing = False
        self.previous = ""  # the user's engine, put back after each dictation and at exit
        self.preedit = ""
        self.pending: list[str] = []  # commits waiting for a field to take them
        self.fitted = False  # this dictation's first words went in, fitted to the caret
        self.refused = ""  # "password" / "PIN": this dictation met a field that refuses it
        self.held: list[str] = []  # the first words, waiting for the text before the caret
        self.timer = 0
        self.ending = False  # `end` came while words were held
        self.asker = Asker(emit)  # `front` and `select` (front.py)

    def start(self) -> bool:
        if not self.bus.is_connected():
            emit("unavailable", why="no IBus daemon is running")
            return False
        self.bus.connect("disconnected", lambda _bus: self.quit())
        component = IBus.Component.new(
            "org.dictate.Dictate.Engine", "Dictate", "1.0", "MIT", "Dictate", "", "", "dictate"
        )
        desc = IBus.EngineDesc.new(
            NAME, "Dictate", "Live dictation at the caret", "", "MIT", "Dictate", "", "default"
        )
        component.add_engine(desc)
        self.factory = IBus.Factory.new(self.bus.get_connection())
        self.factory.connect("create-engine", create_engine)
        if not self.bus.register_component(component):
            emit("unavailable", why="the IBus daemon refused the engine")
            return False
        DictateEngine.host = self
        current = self._current()
        self.previous = current if current != NAME else ""
        emit("ready", previous=current)
        return True

    def _current(self) -> str:
        desc = self.bus.get_global_engine()
        return desc.get_name() if desc is not None else ""

    def _current_noting_user(self) -> str:
        """The global engine now; the user's own (not Dictate's) is remembered as theirs."""
        current = self._current()
        self.previous = current if current not in ("", NAME) else self.previous
        return current

    # --- commands (main loop) ------------------------------------------------------------

    def handle(self, line: str) -> bool:
        try:
            command = json.loads(line)
        except ValueError:
            return False
        op = command.get("op")
        text = str(command.get("text", ""))
        if op == "begin":
            self.begin(command.get("id"))
        elif op == "select":
            self.select(command.get("id"))
        elif op == "replace":
            self.asker.replace(text)
        elif op == "preedit":
            self.set_preedit(text)
        elif op == "commit":
            self.commit(text)
        elif op == "end":
            self.end()
        elif op == "user" and text and text != NAME:
            self.previous = text  # the app remembers the user's engine from an earlier run
            if not self.dictating and self._current() in ("", NAME):
                self._switch(text, lambda ok: emit("restored", engine=text, ok=ok, at="start"))
        elif op == "quit":
            self.quit()
        return False

    def begin(self, ident: object = None) -> None:
        if self.held:  # the last dictation's first words still wait: they go in, it ends
            self._release()
        current = self._current_noting_user()
        self.dictating, self.preedit, self.pending = True, "", []
        self.fitted, self.refused, self.held, self.ending = False, "", [], False
        self.asker.ask_front(ident, switching=current != NAME)  # which app is in front
        if current == NAME:
            emit("begun", previous=self.previous)
            return
        DictateEngine.focused = None  # a new instance gets the focused field: wait for it
        # Asynchronously: the daemon calls back into this process to create the engine.
        self._switch(NAME, lambda ok: emit("begun", previous=self.previous, switched=ok))

    def select(self, ident: object) -> None:
        """Command mode: the focused field's selected text (front.py), nothing shown."""
        current = self._current_noting_user()
        self.asker.ask_selection(ident, DictateEngine.focused if current == NAME else None)
        if current != NAME:
            DictateEngine.focused = None
            self._switch(NAME, lambda _ok: None)

    def _target(self) -> DictateEngine | None:
        """The focused field that takes this dictation's text, if any."""
        engine = DictateEngine.focused
        if engine is None or not engine.field:
            return None
        secret = engine.secret()
        if secret:
            if not self.refused:
                self.refused = secret
                emit("refused", why=f"a {secret} field has the focus")
            return None
        return engine

    def _fit(self, engine: DictateEngine, text: str) -> str:
        """The dictation's first words as they go in after the text before the caret."""
        if self.fitted:
            return text
        before = engine.before_caret()
        return text if before is None else caret.fit(before, text)

    def set_preedit(self, text: str) -> None:
        self.preedit = text
        engine = self._target()
        if engine is not None:
            self._show(engine)

    def commit(self, text: str) -> None:
        if not text:
            return
        engine = self._target()
        if engine is None:
            self.pending.append(text)
            emit("pending", text=text)
            return
        if self.held or (engine.wants_caret() and not self.fitted):
            self._hold(engine, text)
            return
        self._commit(engine, text)
        self._show(engine)

    def _hold(self, engine: DictateEngine, text: str) -> None:
        """The first words wait (at most CARET_WAIT_MS) for the text before the caret: the
        client sends it when it shows a preedit, so one is shown if none is."""
        self.held.append(text)
        if self.timer:
            return
        ask_for_caret(engine)
        self.timer = GLib.timeout_add(CARET_WAIT_MS, self._waited)

    def _waited(self) -> bool:
        self.timer = 0  # this source ends with this call
        return self._release()

    def _release(self) -> bool:
        if self.timer:
            GLib.source_remove(self.timer)
            self.timer = 0
        held, self.held = "".join(self.held), []
        target = self._target()
        if held and target is not None:
            self._commit(target, held)  # fitted if the text before the caret came
            self._show(target)
        elif held:
            self.pending.append(held)
            emit("pending", text=held)
        if self.ending:
            self.end()
        return False

    def _commit(self, engine: DictateEngine, text: str) -> None:
        engine.hide_preedit_text()
        engine.commit_text(IBus.Text.new_from_string(self._fit(engine, text)))
        self.fitted = True
        emit("committed", text=text, focused=True)

    def end(self) -> None:
        if self.held:  # after the first words, once they went in
            self.ending = True
            return
        self.ending = False
        self.asker.cancel()
        engine = DictateEngine.focused
        if engine is not None:
            engine.hide_preedit_text()
        self.preedit = ""
        undelivered = "".join(self.pending)
        self.pending = []
        self.dictating = False
        refused = self.refused if undelivered else ""

        def ended(_ok: bool = True) -> None:
            emit("ended", undelivered=undelivered, refused=refused)

        if self.previous and self._current() == NAME:
            self._switch(self.previous, ended)
        else:
            ended()

    def _switch(self, name: str, then: Callable[[bool], None]) -> None:
        def done(bus: IBus.Bus, result: Gio.AsyncResult) -> None:
            try:
                ok = bool(bus.set_global_engine_async_finish(result))
            except GLib.Error:
                ok = False
            then(ok)

        self.bus.set_global_engine_async(name, -1, None, done)

    def _show(self, engine: DictateEngine) -> None:
        if self.preedit:
            shown = self._fit(engine, self.preedit)
            text = IBus.Text.new_from_string(shown)
            text.append_attribute(IBus.AttrType.UNDERLINE, IBus.AttrUnderline.SINGLE, 0,
                                  len(shown))  # fmt: skip
            engine.update_preedit_text(text, len(shown), True)
        else:
            engine.hide_preedit_text()

    # --- events from the engine ----------------------------------------------------------

    def on_focus(self, engine: DictateEngine | None) -> None:
        field = engine is not None and engine.field
        client = engine.client if engine is not None else ""
        emit("focus", **{"in": engine is not None, "field": field, "client": client})
        self.asker.on_focus(engine)
        if engine is None or not self.dictating:
            return
        target = self._target()
        if target is None:
            return
        pending, self.pending = "".join(self.pending), []
        if target.wants_caret():
            ask_for_caret(target)
        self._show(target)
        if pending:
            self.commit(pending)

    def on_surrounding(self, engine: DictateEngine, first: bool = True) -> None:
        """The client's text arrived (`first`: since the focus): the first words go in
        fitted to it; command mode's selection is read from it."""
        self.asker.on_surrounding(engine)
        if not first:
            return
        if self.held:
            self._release()
        elif self.dictating and not self.fitted and self.preedit and self._target() is engine:
            self._show(engine)

    def on_content_type(self, engine: DictateEngine) -> None:
        self.asker.on_content_type(engine)

    def on_escape(self) -> None:
        emit("escape")

    def quit(self) -> bool:
        """Leaves the daemon with the user's engine active (see the module's docstring)."""
        if self.closing:
            return False
        self.closing = True
        if self.dictating and DictateEngine.focused is not None:
            DictateEngine.focused.hide_preedit_text()  # the app went away mid-dictation
        current = self._current()
        user = current if current not in ("", NAME) else self.previous
        ok = False
        try:
            plain = leave.plain_connection()
            ours = self.bus.get_connection()
            if ours is not None and not ours.is_closed():
                ours.close_sync(None)  # the daemon destroys our component
            ok = leave.restore(plain, user, before=current)
            plain.close_sync(None)
        except GLib.Error:
            pass  # no daemon (it went away): nothing to put back
        finally:
            self.loop.quit()
        emit("restored", engine=user, ok=ok)
        return False  # as a GLib idle callback: once


def started_by_ibus() -> int:
    """`--ibus`: ibus-daemon started this program because something chose the engine by name
    (the installed component file), with no app behind it. It stays up as a plain keyboard
    (every key passes through, nothing is dictated) until the daemon goes, so choosing
    "Dictate" as an input source never leaves the user without one."""
    bus = IBus.Bus()
    if not bus.is_connected():
        return 1
    loop = GLib.MainLoop()
    bus.connect("disconnected", lambda _bus: loop.quit())
    factory = IBus.Factory.new(bus.get_connection())
    factory.connect("create-engine", create_engine)
    bus.request_name("org.dictate.Dictate.Engine", 0)
    loop.run()
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--restore"]:
        return int(leave.restore_main(sys.argv[2] if len(sys.argv) > 2 else ""))
    IBus.init()
    if sys.argv[1:2] == ["--ibus"]:
        return started_by_ibus()
    host = Host()
    if not host.start():
        return 1

    def read() -> None:
        for line in sys.stdin:
            GLib.idle_add(host.handle, line)
        GLib.idle_add(host.quit)  # the app went away: put the user's engine back, exit

    threading.Thread(target=read, daemon=True).start()
    host.loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
