"""X11: the window the user is typing in, and typing text into it through XTest (`xdotool`).

`xdotool type` maps each character to a keysym and, when the current layout has no key for
it, binds a spare keycode for the moment: the text arrives exactly with any layout (German,
French, Dvorak...), which sending US key codes would not do.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

TERMINALS = {
    "xterm", "uxterm", "urxvt", "rxvt", "gnome-terminal", "gnome-terminal-server", "konsole",
    "xfce4-terminal", "terminator", "tilix", "alacritty", "kitty", "wezterm", "st", "foot",
    "lxterminal", "mate-terminal", "qterminal", "terminology", "ptyxis", "kgx", "warp",
}  # fmt: skip


@dataclass(frozen=True)
class Window:
    id: str
    name: str
    wm_class: str
    pid: int

    @property
    def terminal(self) -> bool:
        return any(part.lower() in TERMINALS for part in self.wm_class.split("."))

    @property
    def label(self) -> str:
        return self.name or self.wm_class or f"window {self.id}"


def available() -> bool:
    return shutil.which("xdotool") is not None


def _run(*argv: str, timeout: float = 5) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def active_window() -> Window | None:
    """The focused top-level window, from the window manager (None without one)."""
    if not available():
        return None
    wid = _run("xdotool", "getactivewindow")
    if not wid:
        return None
    name = _run("xdotool", "getwindowname", wid) or ""
    pid = _run("xdotool", "getwindowpid", wid) or "0"
    wm_class = ""
    prop = _run("xprop", "-id", wid, "WM_CLASS") if shutil.which("xprop") else None
    if prop and "=" in prop:
        wm_class = ".".join(p.strip().strip('"') for p in prop.split("=", 1)[1].split(","))
    return Window(wid, name, wm_class, int(pid) if pid.isdigit() else 0)


def window_exists(window: Window) -> bool:
    return _run("xdotool", "getwindowname", window.id) is not None


def type_text(text: str) -> str | None:
    """Types the text into the focused window; returns None, or why it could not."""
    try:
        done = subprocess.run(
            ["xdotool", "type", "--clearmodifiers", "--delay", "4", "--", text],
            capture_output=True, text=True, timeout=30 + len(text) * 0.05, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not type: {exc}"
    return None if done.returncode == 0 else f"could not type: {done.stderr.strip()}"


def key(combo: str) -> str | None:
    done = _run("xdotool", "key", "--clearmodifiers", combo)
    return None if done is not None else f"could not press {combo}"
