"""A GTK 4 window with one text entry, run by the system python3: the GTK 4 twin of
`tests/delivery/entry_app.py`, printing the same JSON lines (`ready` once the entry has the
keyboard focus and its window is active, `preedit` for each preedit change, `text` for each
change of the text)."""

import json
import sys
import time

import gi

gi.require_version("Gtk", "4.0")
from gi.repository import GLib, Gtk  # noqa: E402


def say(**fields: object) -> None:
    print(json.dumps({**fields, "t": time.monotonic()}), flush=True)


def main() -> None:
    title = sys.argv[1] if len(sys.argv) > 1 else "EntryTest"
    Gtk.init()
    loop = GLib.MainLoop()
    window = Gtk.Window(title=title)
    window.set_default_size(400, 60)
    entry = Gtk.Entry()
    window.set_child(entry)
    text = entry.get_delegate()
    text.connect("preedit-changed", lambda _t, preedit: say(preedit=preedit))
    entry.connect("changed", lambda e: say(text=e.get_text()))
    told: list[bool] = []

    def focused(*_args: object) -> None:
        # The entry has the focus inside the window at once; the window is the keyboard's
        # only once the compositor activates it.
        if not told and window.is_active() and text.has_focus():
            told.append(True)
            say(ready=True)

    focus = Gtk.EventControllerFocus()
    text.add_controller(focus)
    focus.connect("enter", focused)
    window.connect("notify::is-active", focused)
    window.connect("close-request", lambda *_a: loop.quit() or False)
    window.present()
    entry.grab_focus()
    GLib.timeout_add_seconds(300, loop.quit)  # never outlive a broken test
    loop.run()


main()
