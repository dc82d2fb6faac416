"""A stand-in for the user's own input method (anthy, pinyin...), run by ibus-daemon itself.

Installed the way real input methods are: a component file (`desktop.user_ime_xml`) in a folder on
the daemon's IBUS_COMPONENT_PATH, whose <exec> the daemon runs when the engine is chosen. That
matters: the daemon drops its global engine when a run-time component (Dictate's) goes away
unless that engine is itself registered at run time, so a stand-in registered at run time
would hide the bug. It turns the key "a" into "ä", so a test sees the engine really works.
"""

import sys

import gi

gi.require_version("IBus", "1.0")
from gi.repository import GLib, GObject, IBus  # noqa: E402

NAME = "dictate-test-ime"
COMPONENT = "org.dictate.test.UserIme"


class UserIme(IBus.Engine):  # type: ignore[misc]
    __gtype_name__ = "DictateTestUserIme"

    def do_process_key_event(self, keyval: int, keycode: int, state: int) -> bool:
        if keyval == IBus.KEY_a and not state & IBus.ModifierType.RELEASE_MASK:
            self.commit_text(IBus.Text.new_from_string("ä"))
            return True
        return bool(keyval == IBus.KEY_a)  # its release too


def main() -> None:
    IBus.init()
    bus = IBus.Bus()
    loop = GLib.MainLoop()
    bus.connect("disconnected", lambda _bus: loop.quit())
    factory = IBus.Factory.new(bus.get_connection())
    factory.add_engine(NAME, GObject.type_from_name("DictateTestUserIme"))
    bus.request_name(COMPONENT, 0)
    loop.run()


if __name__ == "__main__" and "--ibus" in sys.argv:
    main()
