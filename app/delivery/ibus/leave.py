"""Dictate's engine leaves the user's engine active: at its exit, and after a crash.

ibus-daemon drops the global engine when a component registered at run time (ours)
goes away, if that engine is not itself registered at run time (`_component_destroy_cb` ->
`bus_ibus_impl_check_global_engine` in bus/ibusimpl.c looks only in `register_engine_list`),
so every exit of this process, even with the user's engine active, left "No engine is set".
So at its exit the engine closes its own connection (the daemon destroys the component), waits
on a second, plain connection until the daemon has dropped the global engine (it no longer
knows `dictate`, or, where the .deb's component file keeps `dictate` known, the global engine
changed), and then sets the user's engine again (`restore`). After a crash the app does the
same with `engine.py --restore NAME`.

Run only by the system python3, imported by `engine.py` from this directory.
"""

from __future__ import annotations

import json
import sys
import time

import gi

gi.require_version("IBus", "1.0")
from gi.repository import Gio, GLib, IBus  # noqa: E402

NAME = "dictate"  # the engine's name (engine.py uses this one)
IBUS = ("org.freedesktop.IBus", "/org/freedesktop/IBus", "org.freedesktop.IBus")


def emit(event: str, **fields: object) -> None:
    """One event to the app; nothing when the app is gone (killed: its end of the pipe is
    closed), so the engine still puts the user's engine back and exits."""
    try:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass


def plain_connection() -> Gio.DBusConnection:
    """A connection to ibus-daemon that owns nothing: it outlives the factory's."""
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)  # fmt: skip
    address = IBus.get_address()
    if not address:
        raise GLib.Error("no IBus daemon is running")
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def _call(conn: Gio.DBusConnection, method: str, args: GLib.Variant | None) -> object:
    return conn.call_sync(*IBUS, method, args, None, Gio.DBusCallFlags.NONE, 3000, None).unpack()


def _global_engine() -> str | None:
    """The daemon's global engine ("" when none is set), asked on a bus of our own."""
    bus = IBus.Bus.new()
    if not bus.is_connected():
        return None
    desc = bus.get_global_engine()
    return desc.get_name() if desc is not None else ""


def restore(conn: Gio.DBusConnection, user: str, timeout: float = 5, before: str = "") -> bool:
    """Once the daemon has dropped the global engine for our component's going (seen as our
    engine no longer known, or the global engine no longer `before`), the user's engine is
    made the global one again. Where a component file also names `dictate` (the .deb
    installs one) the daemon keeps knowing it, so the change of the global engine is what
    tells; with neither seen, the user's engine is set at the deadline. True when it is."""
    deadline = time.monotonic() + timeout
    while _call(conn, "GetEnginesByNames", GLib.Variant("(as)", ([NAME],)))[0]:  # type: ignore[index]
        if before and _global_engine() != before:
            break  # dropped (our engine is still known from a component file)
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)  # pacing: the daemon sees the connection close on its own loop
    if not user or user == NAME:
        return False
    try:
        _call(conn, "SetGlobalEngine", GLib.Variant("(s)", (user,)))
    except GLib.Error:
        return False
    settled = time.monotonic() + 1  # the daemon switches on its own loop (it may start it)
    while _global_engine() != user and time.monotonic() < settled:
        time.sleep(0.01)
    return True


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
