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
    """The single-instance socket's name, per home (a socket path lives in `runtime_dir`)."""
    home = _home()  # str hashes differ per process: use a stable digest
    suffix = f"-{hashlib.sha1(str(home).encode()).hexdigest()[:10]}" if home else ""
    return f"{APP}{suffix}"


class UnsafeRuntimeDir(RuntimeError):
    """The folder for the control socket belongs to someone else or is open to others."""


def runtime_dir() -> Path:
    """A folder only this user can enter, for the control socket (Unix; not on Windows).

    `$XDG_RUNTIME_DIR/dictate` when the session has a private runtime folder, else
    `<temp>/dictate-<uid>`, created 0700. A shared temp folder is where another user could
    have made that folder first: one owned by someone else, or that others may write to or
    enter, is refused (`UnsafeRuntimeDir`, in words) rather than used.
    """
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and os.path.isabs(xdg) and _private(Path(xdg), uid):
        path = Path(xdg) / APP
    else:
        import tempfile

        path = Path(tempfile.gettempdir()) / f"{APP}-{uid}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    if not _private(path, uid):
        raise UnsafeRuntimeDir(
            f"{path} is not a private folder of this user (it must be a folder owned by uid "
            f"{uid} that only its owner may open, mode 0700): remove it, or set "
            "XDG_RUNTIME_DIR to a private folder"
        )
    return path


def _private(path: Path, uid: int) -> bool:
    """A real folder (not a link) owned by `uid` that nobody else may enter or write to."""
    import stat

    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077
