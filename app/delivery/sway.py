"""The window in front on sway, as the compositor reports it through its IPC (`swaymsg`).

Wayland lets no app ask which window has the focus, but sway answers anyone who can reach its
IPC socket (SWAYSOCK, set in the session): `swaymsg -t get_tree` holds every window, the
focused one marked, with its app id (native Wayland apps), its X11 class (XWayland apps), its
title and its process. Bounded: a compositor that does not answer in time tells nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TIMEOUT_S = 1.0


@dataclass(frozen=True)
class SwayWindow:
    app_id: str  # the Wayland app id, else the XWayland window's class
    title: str
    pid: int


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in [*node.get("nodes", []), *node.get("floating_nodes", [])]:
        if isinstance(child, dict):
            yield from _nodes(child)


def focused_in(tree: object) -> SwayWindow | None:
    """The focused window of a `get_tree` answer (None: none, or a workspace has it)."""
    if not isinstance(tree, dict):
        return None
    for node in _nodes(tree):
        if node.get("focused") and node.get("type") in ("con", "floating_con"):
            props = node.get("window_properties") or {}
            app_id = node.get("app_id") or props.get("class") or props.get("instance") or ""
            pid = node.get("pid")
            return SwayWindow(str(app_id), str(node.get("name") or ""),
                              pid if isinstance(pid, int) else 0)  # fmt: skip
    return None


def focused(env: dict[str, str] | None = None, timeout: float = TIMEOUT_S) -> SwayWindow | None:
    """Blocking: sway's focused window, None when this is not sway or it does not answer."""
    where = dict(os.environ if env is None else env)
    if not where.get("SWAYSOCK") or not shutil.which("swaymsg"):
        return None
    try:
        done = subprocess.run(["swaymsg", "-t", "get_tree", "-r"], env=where, text=True,
                              capture_output=True, timeout=timeout, check=False)  # fmt: skip
        return focused_in(json.loads(done.stdout)) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
