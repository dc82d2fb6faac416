"""A keyboard for a headless GNOME Shell, run by the system python3: headless mutter has no
input device, and without a keyboard on the seat a GTK 3 window never gets the keyboard focus.

A remote-desktop session of mutter's own D-Bus API (org.gnome.Mutter.RemoteDesktop, on the
session bus: no portal, no consent dialog) gives the seat a keyboard, but only at its first key
event, and that key is lost: so one Shift tap, then `ready`, then it stays until stdin ends.
Each line on stdin is a chord of keysyms in hex ("ffe3 61": Ctrl+A), pressed in order and
released in reverse, answered `done`: a selection made with it is the user's (Wayland gives
the primary selection only to a client that answers an input event).
"""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.gnome.Mutter.RemoteDesktop"
SESSION = "org.gnome.Mutter.RemoteDesktop.Session"
SHIFT = 0xFFE1


def main() -> None:
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)

    def call(path: str, iface: str, method: str, args: GLib.Variant | None = None) -> GLib.Variant:
        return bus.call_sync(NAME, path, iface, method, args, None, Gio.DBusCallFlags.NONE,
                             5000, None)  # fmt: skip

    session = call("/org/gnome/Mutter/RemoteDesktop", NAME, "CreateSession").unpack()[0]
    call(session, SESSION, "Start")
    for pressed in (True, False):
        call(session, SESSION, "NotifyKeyboardKeysym", GLib.Variant("(ub)", (SHIFT, pressed)))
    print("ready", flush=True)
    for line in sys.stdin:  # the test ends it by closing stdin (or by killing it)
        chord = [int(keysym, 16) for keysym in line.split()]
        for keysym, pressed in [(k, True) for k in chord] + [(k, False) for k in chord[::-1]]:
            call(session, SESSION, "NotifyKeyboardKeysym", GLib.Variant("(ub)", (keysym, pressed)))
        print("done", flush=True)
    call(session, SESSION, "Stop")


main()
