"""What a user sends with a bug report: versions, backend, microphone and the log's tail.

Built from package metadata and files only (no device scan, no network), so it is quick
enough for a menu action and works when the audio or the engine is what is broken. The
log is already masked (`platform.logfile`); nothing here reads audio or keys.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from app import __version__
from app.platform.logfile import CRASH_NAME, LOG_NAME, mask, tail

PACKAGES = (
    "PySide6-Essentials",
    "shiboken6",
    "faster-whisper",
    "ctranslate2",
    "onnxruntime",
    "websockets",
    "websocket-client",
    "sounddevice",
    "soxr",
    "numpy",
    "pynput",
)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def report(*, backend: str, microphone: str, state_dir: Path, log_lines: int = 60) -> str:
    lines = [
        f"Dictate {__version__}",
        f"Python {platform.python_version()} on {platform.platform()}"
        + (" (bundle)" if getattr(sys, "frozen", False) else ""),
        *(f"{name}: {version}" for name, version in package_versions().items()),
        f"Backend: {backend}",
        f"Microphone: {microphone or 'the system default'}",
        f"Log: {state_dir / LOG_NAME}",
    ]
    crash = tail(state_dir / CRASH_NAME, log_lines)
    if crash:
        lines += ["", "--- crash report (not yet read by a new start) ---", *crash]
    log = tail(state_dir / LOG_NAME, log_lines)
    lines += ["", f"--- last {len(log)} lines of the log ---", *(log or ["(empty)"])]
    return mask("\n".join(lines)) + "\n"
