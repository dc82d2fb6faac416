"""Wayland without an input method: typing with `wtype` or `ydotool`, where they can work.

`wtype` needs the compositor's virtual-keyboard protocol: wlroots compositors (sway, Hyprland)
have it, GNOME's mutter and KDE's KWin do not ("Compositor does not support the virtual
keyboard protocol"), so the compositor's registry is asked (`wayland_registry`). `ydotool`
types through the kernel's uinput on any compositor, but only where /dev/uinput is writable
for the user. Where neither works (GNOME, KDE without uinput), the chain falls back to the
clipboard and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping

from app.delivery import wayland_registry

UINPUT = "/dev/uinput"


def uinput_writable(path: str | None = None) -> bool:
    return os.access(path or UINPUT, os.W_OK)


def probe(env: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """The typing tool that works on this desktop (installed, and what it needs is there),
    and when none does, why (for Settings and the clipboard notice). The compositor is
    asked once."""
    keyboard = wayland_registry.has_virtual_keyboard(env)
    if shutil.which("wtype") and keyboard:
        return "wtype", ""
    if shutil.which("ydotool") and uinput_writable():
        return "ydotool", ""
    reasons = []
    if not keyboard:
        reasons.append("this compositor has no virtual keyboard for wtype")
    elif not shutil.which("wtype"):
        reasons.append("wtype is not installed")
    if not shutil.which("ydotool"):
        reasons.append("ydotool is not installed")
    elif not uinput_writable():
        reasons.append(f"{UINPUT} is not writable for ydotool")
    return None, ", ".join(reasons)


def tool(env: Mapping[str, str] | None = None) -> str | None:
    """The typing tool that works on this desktop, if any."""
    return probe(env)[0]


def why_not(env: Mapping[str, str] | None = None) -> str:
    """Why no typing tool works here; "" when one does."""
    return probe(env)[1]


def type_text(text: str, name: str | None = None) -> str | None:
    why = ""
    if name is None:
        name, why = probe()
    if name is None:
        return why or "neither wtype nor ydotool can type here"
    argv = [name, "--", text] if name == "wtype" else [name, "type", "--", text]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{name} failed: {exc}"
    return None if done.returncode == 0 else f"{name} failed: {done.stderr.strip()}"
