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

Commands in (stdin): begin, preedit {text}, commit {text}, end, quit.
Events out (stdout): ready {previous}, unavailable {why}, begun {previous}, focus {in},
committed {text, focused}, pending {text} (a commit with no focused field to take it yet),
escape, ended {undelivered}.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable

import gi

gi.require_version("IBus", "1.0")
from gi.repository import Gio, GLib, GObject, IBus  # noqa: E402

NAME = "dictate"


def emit(event: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class DictateEngine(IBus.Engine):  # type: ignore[misc]
    __gtype_name__ = "DictateEngine"

    focused: DictateEngine | None = None  # the instance attached to the focused field
    host: Host | None = None

    def do_process_key_event(self, keyval: int, keycode: int, state: int) -> bool:
        host = DictateEngine.host
        released = bool(state & IBus.ModifierType.RELEASE_MASK)
        if keyval == IBus.KEY_Escape and host is not None and host.dictating:
            if not released:
                host.on_escape()
            return True  # the Escape belongs to Dictate while it dictates
        return False  # every other key goes to the app unchanged

    def do_focus_in(self) -> None:
        DictateEngine.focused = self
        if DictateEngine.host is not None:
            DictateEngine.host.on_focus(self)

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


class Host:
    """The engine process: the bus, the factory, the commands from the app."""

    def __init__(self) -> None:
        self.loop = GLib.MainLoop()
        self.bus = IBus.Bus()
        self.dictating = False
        self.previous = ""
        self.preedit = ""
        self.pending: list[str] = []  # commits waiting for a focused field

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
        self.factory.add_engine(NAME, GObject.type_from_name("DictateEngine"))
        if not self.bus.register_component(component):
            emit("unavailable", why="the IBus daemon refused the engine")
            return False
        DictateEngine.host = self
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
        elif op == "quit":
            self.quit()
        return False

    def begin(self) -> None:
        current = self._current()
        self.previous = current if current != NAME else self.previous
        self.dictating, self.preedit, self.pending = True, "", []
        if current == NAME:
            emit("begun", previous=self.previous)
            return
        DictateEngine.focused = None  # a new instance gets the focused field: wait for it
        # Asynchronously: the daemon calls back into this process to create the engine.
        self._switch(NAME, lambda ok: emit("begun", previous=self.previous, switched=ok))

    def set_preedit(self, text: str) -> None:
        self.preedit = text
        engine = DictateEngine.focused
        if engine is not None:
            self._show(engine)

    def commit(self, text: str) -> None:
        if not text:
            return
        engine = DictateEngine.focused
        if engine is None:
            self.pending.append(text)
            emit("pending", text=text)
            return
        engine.hide_preedit_text()
        engine.commit_text(IBus.Text.new_from_string(text))
        self._show(engine)
        emit("committed", text=text, focused=True)

    def end(self) -> None:
        engine = DictateEngine.focused
        if engine is not None:
            engine.hide_preedit_text()
        self.preedit = ""
        undelivered = "".join(self.pending)
        self.pending = []
        self.dictating = False
        if self.previous and self._current() == NAME:
            self._switch(self.previous, lambda ok: emit("ended", undelivered=undelivered))
        else:
            emit("ended", undelivered=undelivered)

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
            text = IBus.Text.new_from_string(self.preedit)
            text.append_attribute(IBus.AttrType.UNDERLINE, IBus.AttrUnderline.SINGLE, 0,
                                  len(self.preedit))  # fmt: skip
            engine.update_preedit_text(text, len(self.preedit), True)
        else:
            engine.hide_preedit_text()

    # --- events from the engine ----------------------------------------------------------

    def on_focus(self, engine: DictateEngine | None) -> None:
        emit("focus", **{"in": engine is not None})
        if engine is None or not self.dictating:
            return
        for text in self.pending:
            engine.commit_text(IBus.Text.new_from_string(text))
            emit("committed", text=text, focused=True)
        self.pending = []
        self._show(engine)

    def on_escape(self) -> None:
        emit("escape")

    def quit(self) -> bool:
        if self.dictating:  # the app went away mid-dictation: the user's engine back, now
            self.dictating = False
            if DictateEngine.focused is not None:
                DictateEngine.focused.hide_preedit_text()
            if self.previous and self._current() == NAME:
                self.bus.set_global_engine(self.previous)
        self.loop.quit()
        return False  # as a GLib idle callback: once


def main() -> int:
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
