"""Wayland without an input method: typing with `wtype` (wlroots compositors, KDE) or
`ydotool` (any compositor, through uinput; needs its daemon)."""

from __future__ import annotations

import shutil
import subprocess


def tool() -> str | None:
    for name in ("wtype", "ydotool"):
        if shutil.which(name):
            return name
    return None


def type_text(text: str) -> str | None:
    name = tool()
    if name is None:
        return "neither wtype nor ydotool is installed"
    argv = [name, "--", text] if name == "wtype" else [name, "type", "--", text]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{name} failed: {exc}"
    return None if done.returncode == 0 else f"{name} failed: {done.stderr.strip()}"
