"""Which input method framework owns this session: IBus, Fcitx, or none.

An ibus-daemon may run on a desktop whose apps talk to Fcitx 5 (KDE with Fcitx, or a user who
switched): the apps then never see Dictate's IBus engine, which would get the focus of the
daemon's "fake" context and type nowhere. So the session's own choice decides first: the
variables that make apps load an input module (GTK_IM_MODULE, QT_IM_MODULE, XMODIFIERS's
`@im=`), then the daemons running for this user. GNOME sets no variable and runs ibus-daemon
itself, which this reads as IBus.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

IBUS = "ibus"
FCITX = "fcitx"
DAEMONS = {"ibus-daemon": IBUS, "fcitx5": FCITX, "fcitx": FCITX}


def _named(value: str) -> str:
    value = value.lower()
    if "fcitx" in value:
        return FCITX
    if "ibus" in value:
        return IBUS
    return ""


def owner(env: Mapping[str, str], running: Iterable[str]) -> str:
    """IBUS, FCITX or "" from the session's variables, else from the running daemons."""
    xmodifiers = env.get("XMODIFIERS", "").partition("@im=")[2]
    for value in (env.get("GTK_IM_MODULE", ""), env.get("QT_IM_MODULE", ""), xmodifiers):
        if _named(value):
            return _named(value)
    found = {DAEMONS[name] for name in running if name in DAEMONS}
    if IBUS in found:
        return IBUS
    return FCITX if FCITX in found else ""


def running_daemons(proc: Path = Path("/proc")) -> set[str]:
    """The input method daemons this user runs (process names from /proc)."""
    names: set[str] = set()
    uid = os.getuid()
    try:
        entries = list(proc.iterdir())
    except OSError:
        return names
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name in DAEMONS:
            names.add(name)
    return names
