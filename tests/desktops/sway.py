"""Headless sway (wlroots, pixman renderer, no input devices) as a real desktop for the tests,
with its own session bus, a keyboard that stays, and an ibus-daemon as sway users run one.

sway has no input-method integration of its own: IBus text reaches only apps started with
GTK_IM_MODULE=ibus. It has the virtual-keyboard protocol, so `wtype` types. The seat has no
keyboard until a virtual one joins, and a keyboard that joins for one `wtype` run loses its
first key, so a long-lived `wtype` holds one (a real desktop's physical keyboard plays its part).
"""

from __future__ import annotations

from tests.desktops.session import Session
from tests.desktops.session import missing as needs
from tests.waiting import wait_until

TOOLS = ("sway", "swaymsg", "wtype", "dbus-daemon", "setpriv", "ibus-daemon")


def missing() -> str:
    """Why sway cannot run here ("" when it can)."""
    return needs(TOOLS)


class Sway(Session):
    def __init__(self) -> None:
        super().__init__("sway")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        config = self.logs / "sway.conf"
        config.write_text("output HEADLESS-1 mode 1280x800 position 0 0\nxwayland disable\n")
        self.sway = self.spawn(["sway", "-c", str(config)], "sway.log", WLR_BACKENDS="headless",
                               WLR_RENDERER="pixman", WLR_LIBINPUT_NO_DEVICES="1",
                               WLR_HEADLESS_OUTPUTS="1")  # fmt: skip
        socket = wait_until(lambda: self._socket() or self.sway.poll() is not None, 20, "sway")
        assert self.sway.poll() is None, (self.logs / "sway.log").read_text()[-2000:]
        ipc = next(self.runtime.glob("sway-ipc.*.sock"))
        self.env.update(WAYLAND_DISPLAY=str(socket), SWAYSOCK=str(ipc), XDG_SESSION_TYPE="wayland",
                        XDG_CURRENT_DESKTOP="sway")  # fmt: skip
        self.start_bus()
        self.keyboard = self.spawn(["wtype", "-s", "86400000", "-m", "shift"])
        wait_until(lambda: '"keyboard"' in self.run("swaymsg", "-t", "get_inputs", "-r"), 10,
                   "the virtual keyboard to join the seat")  # fmt: skip

    def _socket(self) -> str:
        found = sorted(
            p.name for p in self.runtime.glob("wayland-*") if not p.name.endswith("lock")
        )
        return found[0] if found else ""

    def start_ibus(self) -> None:
        """An ibus-daemon, as a sway user starts one, with the user's engine set."""
        self.spawn(["ibus-daemon", "--panel=disable", "--replace"], "ibus.log")
        wait_until(lambda: self.ibus("address") not in ("", "(null)"), 20, "ibus-daemon")
        wait_until(lambda: self.ibus("list-engine"), 20, "ibus-daemon to answer")
        self.ibus("engine", "xkb:us::eng")
        wait_until(lambda: self.ibus("engine") == "xkb:us::eng", 10, "the user's engine")
