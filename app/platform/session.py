"""The one answer to "which desktop session is this?": X11, Wayland, Wayland with XWayland, or
none, asked by delivery, the global hotkey, key capture, the self-check and the first-run setup.

Why one place: each part used to read the variables its own way, and they disagreed when
`WAYLAND_DISPLAY` and `DISPLAY` were both set (GNOME and KDE start XWayland, which sets
`DISPLAY` inside a Wayland session): delivery said Wayland, key capture said X11. The rule:

- `XDG_SESSION_TYPE` of `wayland` or `x11` (set by the login manager) wins: it names the
  session the desktop runs, whatever a nested server or a stale variable says;
- else `WAYLAND_DISPLAY` set means a Wayland session (its compositor is what the user sees);
- a Wayland session with `DISPLAY` set too runs XWayland: X clients connect, but only X11 apps
  are seen through it, so global keys and typing into other apps still go through Wayland;
- else `DISPLAY` set means X11; else there is no graphical session (a console, ssh).

Plain Python, no Qt: `detect` reads only the environment it is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    X11 = "x11"
    WAYLAND = "wayland"
    XWAYLAND = "wayland with XWayland"
    NONE = "no graphical session"


@dataclass(frozen=True)
class Session:
    kind: Kind

    @property
    def wayland(self) -> bool:
        """The desktop is Wayland: global keys and typing into other apps go through it."""
        return self.kind in (Kind.WAYLAND, Kind.XWAYLAND)

    @property
    def x11(self) -> bool:
        """A real X11 session: XTest types into every app and a global hotkey sees every key."""
        return self.kind is Kind.X11

    @property
    def x_display(self) -> bool:
        """An X server takes connections (X11, or XWayland inside Wayland)."""
        return self.kind in (Kind.X11, Kind.XWAYLAND)


def detect(env: Mapping[str, str] | None = None) -> Session:
    """The session `env` (default: this process's environment) describes."""
    env = os.environ if env is None else env
    declared = env.get("XDG_SESSION_TYPE", "").strip().lower()
    wayland = bool(env.get("WAYLAND_DISPLAY"))
    display = bool(env.get("DISPLAY"))
    if declared == "wayland" or (declared != "x11" and wayland):
        return Session(Kind.XWAYLAND if display else Kind.WAYLAND)
    if display:
        return Session(Kind.X11)
    return Session(Kind.NONE)
