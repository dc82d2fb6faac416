"""A GTK 3 window with one text entry, run by the system python3 with GTK's IBus input module.

usage: entry_app.py [TITLE [password|hidden|terminal|textview]]: `password` declares the input
purpose PASSWORD (as GTK 4 and Wayland password fields do); `hidden` also hides the text, as
GTK 3 password entries do, which then do not use the input method at all; `terminal` declares
the input purpose TERMINAL (as VTE does); `textview` is a multi-line GtkTextView instead (its
input module sends a selection's anchor with the surrounding text), holding ENTRY_TEXT (from
the environment) with its last word selected. ENTRY_WM_CLASS in the environment names the
window's class (WM_CLASS) and program, as an app's would.

It prints one JSON object a line: `ready` once its entry has the keyboard focus, `preedit` for
each `preedit-changed` signal, `text` for each change of the entry's text; each with `t`, the
time.monotonic() it happened at.
"""

import json
import os
import sys
import time

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402


def say(**fields: object) -> None:
    # CLOCK_MONOTONIC, the same clock in every process: the benchmark compares them.
    print(json.dumps({**fields, "t": time.monotonic()}), flush=True)


def main() -> None:
    title = sys.argv[1] if len(sys.argv) > 1 else "EntryTest"
    wm_class = os.environ.get("ENTRY_WM_CLASS", "")
    if wm_class:  # the window's WM_CLASS (instance, and the class capitalized)
        GLib.set_prgname(wm_class)
        Gdk.set_program_class(wm_class.capitalize())
    window = Gtk.Window(title=title)
    window.set_default_size(400, 60)
    kind = sys.argv[2] if len(sys.argv) > 2 else ""
    entry = Gtk.TextView() if kind == "textview" else Gtk.Entry()
    if kind in ("password", "hidden"):
        entry.set_input_purpose(Gtk.InputPurpose.PASSWORD)
        entry.set_visibility(kind != "hidden")
    elif kind == "terminal":
        entry.set_input_purpose(Gtk.InputPurpose.TERMINAL)
    window.add(entry)
    entry.connect("preedit-changed", lambda _e, text: say(preedit=text))
    if isinstance(entry, Gtk.TextView):
        buffer = entry.get_buffer()
        if os.environ.get("ENTRY_TEXT"):  # the text, its last word selected
            buffer.set_text(os.environ["ENTRY_TEXT"])
            end = buffer.get_end_iter()
            start = end.copy()
            start.backward_word_start()
            buffer.select_range(start, end)
            say(text=buffer.props.text)
        buffer.connect("changed", lambda b: say(text=b.props.text))
    else:
        entry.connect("changed", lambda e: say(text=e.get_text()))
    told: list[bool] = []

    def focused(*_args: object) -> bool:
        if not told:
            told.append(True)
            say(ready=True)
        return False

    entry.connect("focus-in-event", focused)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    GLib.timeout_add_seconds(300, Gtk.main_quit)  # never outlive a broken test
    Gtk.main()


main()
