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

Leaving: ibus-daemon drops the global engine when a component registered at run time (ours)
goes away, if that engine is not itself registered at run time (`_component_destroy_cb` ->
`bus_ibus_impl_check_global_engine` in bus/ibusimpl.c looks only in `register_engine_list`),
so every exit of this process, even with the user's engine active, left "No engine is set".
So at its exit the engine closes its own connection (the daemon destroys the component), waits
on a second, plain connection until the daemon no longer knows `dictate`, and then sets the
user's engine again (`restore`). After a crash the app does the same with `engine.py --restore
NAME`.

Where the text goes: the daemon attaches the active engine to its internal input context named
"fake" when no window's input context has the focus (an app that does not use the input
method, no text field focused). The engine asks for focus ids (`has-focus-id`, IBus >= 1.5.27),
so it hears the client's name with each focus, and text for the fake context is held back and
reported undelivered, not claimed. A field whose input purpose is password or PIN refuses
dictation (`refused`). The first words of a dictation are fitted to the text before the caret
when the app offers it (surrounding text, `caret.fit`): a space or not, a capital after a
sentence end and not mid-sentence.

Commands in (stdin): begin, preedit {text}, commit {text}, end, user {text} (the user's engine,
when the app knows it better), quit.
Events out (stdout): ready {previous}, unavailable {why}, begun {previous}, focus {in, field,
client}, committed {text, focused}, pending {text} (a commit with no field to take it yet),
refused {why}, escape, ended {undelivered, refused}, restored {engine, ok}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable

import caret  # this directory: the engine runs as a script, outside the app's package
import gi

gi.require_version("IBus", "1.0")
from gi.repository import Gio, GLib, GObject, IBus  # noqa: E402

NAME = "dictate"
# The daemon's own input context for "nothing focused": bus_ibus_impl_init() in bus/ibusimpl.c
# makes it first, `bus_input_context_new (NULL, "fake")`, so it is InputContext_1.
FAKE_CLIENT = "fake"
FAKE_PATH = "/org/freedesktop/IBus/InputContext_1"
IBUS = ("org.freedesktop.IBus", "/org/freedesktop/IBus", "org.freedesktop.IBus")
CARET_WAIT_MS = 300  # at most this long the first words wait for the text before the caret


def emit(event: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class DictateEngine(IBus.Engine):  # type: ignore[misc]
    __gtype_name__ = "DictateEngine"

    focused: DictateEngine | None = None  # the instance attached to the focused context
    host: Host | None = None

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
        if first and DictateEngine.host is not None and DictateEngine.focused is self:
            DictateEngine.host.on_surrounding(self)

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
        return caret.secret_field(int(purpose))

    def wants_caret(self) -> bool:
        """The client offers the text before the caret and has not sent it yet."""
        return bool(self.caps & IBus.Capabilite.SURROUNDING_TEXT) and not self.surrounding

    def before_caret(self) -> str | None:
        """The field's text up to the caret, None when the client does not offer it (or
        has not sent it yet: it does when it shows the preedit)."""
        if not (self.caps & IBus.Capabilite.SURROUNDING_TEXT and self.surrounding):
            return None
        text, cursor, _anchor = self.get_surrounding_text()
        return str(text.get_text())[: int(cursor)]


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


def plain_connection() -> Gio.DBusConnection:
    """A connection to ibus-daemon that owns nothing: it outlives the factory's."""
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)  # fmt: skip
    return Gio.DBusConnection.new_for_address_sync(IBus.get_address(), flags, None, None)


def _call(conn: Gio.DBusConnection, method: str, args: GLib.Variant | None) -> object:
    return conn.call_sync(*IBUS, method, args, None, Gio.DBusCallFlags.NONE, 3000, None).unpack()


def restore(conn: Gio.DBusConnection, user: str, timeout: float = 5) -> bool:
    """Once the daemon no longer knows our engine (its drop of the global engine is done),
    the user's engine is made the global one again. True when it is."""
    deadline = time.monotonic() + timeout
    while _call(conn, "GetEnginesByNames", GLib.Variant("(as)", ([NAME],)))[0]:  # type: ignore[index]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # pacing: the daemon sees the connection close on its own loop
    if not user or user == NAME:
        return False
    try:
        _call(conn, "SetGlobalEngine", GLib.Variant("(s)", (user,)))
    except GLib.Error:
        return False
    return True


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
        self.previous = self._current() if self._current() != NAME else ""
        emit("ready", previous=self._current())
        return True

    def _current(self) -> str:
        desc = self.bus.get_global_engine()
        return desc.get_name() if desc is not None else ""

    # --- commands (main loop) ------------------------------------------------------------

    def handle(self, line: str) -> bool:
        try:
            command = json.loads(line)
        except ValueError:
            return False
        op = command.get("op")
        text = str(command.get("text", ""))
        if op == "begin":
            self.begin()
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

    def begin(self) -> None:
        current = self._current()
        self.previous = current if current not in ("", NAME) else self.previous
        self.dictating, self.preedit, self.pending = True, "", []
        self.fitted, self.refused, self.held, self.ending = False, "", [], False
        if current == NAME:
            emit("begun", previous=self.previous)
            return
        DictateEngine.focused = None  # a new instance gets the focused field: wait for it
        # Asynchronously: the daemon calls back into this process to create the engine.
        self._switch(NAME, lambda ok: emit("begun", previous=self.previous, switched=ok))

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
        self.timer = GLib.timeout_add(CARET_WAIT_MS, self._release)

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

    def on_surrounding(self, engine: DictateEngine) -> None:
        """The text before the caret arrived: the first words go in fitted to it."""
        if self.held:
            self._release()
        elif self.dictating and not self.fitted and self.preedit and self._target() is engine:
            self._show(engine)

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
            plain = plain_connection()
            self.bus.get_connection().close_sync(None)  # the daemon destroys our component
            ok = restore(plain, user)
            plain.close_sync(None)
        except GLib.Error:
            pass
        emit("restored", engine=user, ok=ok)
        self.loop.quit()
        return False  # as a GLib idle callback: once


def restore_main(user: str) -> int:
    """`engine.py --restore NAME`: after the engine process died without putting the user's
    engine back (a crash), the app runs this to do it."""
    IBus.init()
    try:
        ok = restore(plain_connection(), user)
    except GLib.Error as error:
        emit("restored", engine=user, ok=False, why=str(error))
        return 1
    emit("restored", engine=user, ok=ok)
    return 0 if ok else 1


def main() -> int:
    if sys.argv[1:2] == ["--restore"]:
        return restore_main(sys.argv[2] if len(sys.argv) > 2 else "")
    IBus.init()
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
