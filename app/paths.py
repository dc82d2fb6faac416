"""Where things live: bundled resources, and the user's config and data directories.

The same answers in a source checkout, an installed wheel and a PyInstaller bundle
(`sys._MEIPASS`). `DICTATE_HOME` moves every user directory under one root (tests use it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

import platformdirs

APP = "dictate"


def resources() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def _home() -> Path | None:
    value = os.environ.get("DICTATE_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    home = _home()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Made when it can be; when it cannot (a file in its place, a read-only disk), whoever
    writes there says why (the history opens read-only and says so)."""
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP))
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """The log and crash reports: what a user may send us, kept apart from their data."""
    home = _home()
    path = home / "state" if home else Path(platformdirs.user_state_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def runtime_name() -> str:
    """A per-user, per-home name for the single-instance socket."""
    home = _home()  # str hashes differ per process: use a stable digest
    suffix = f"-{hashlib.sha1(str(home).encode()).hexdigest()[:10]}" if home else ""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"{APP}-{user}{suffix}"
