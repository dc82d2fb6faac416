"""`dictate --self-check`: prove an installation works, with no display and no network.

Loads the engine and transcribes the bundled sample, starts Qt on its offscreen platform
and draws the main window, loads the audio backend (PortAudio) and, where there is an X
display, the global hotkey's backend; then prints one line per check and exits 0 only if
every check passed. Installers run it after installing.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from app import paths
from app.platform import session

SAMPLE_WORDS = ("lazy", "dog")


def check_engine() -> str:
    import wave

    import numpy as np

    from app.engine.asr import ModelRegistry
    from app.engine.models import DEFAULT_MODEL_ID

    started = time.perf_counter()
    recognizer = ModelRegistry().get(DEFAULT_MODEL_ID)
    with wave.open(str(paths.resources() / "samples" / "sample.wav")) as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    audio = raw.astype(np.float32) / np.float32(32768)
    text = recognizer.transcribe(audio)
    if not all(word in text.lower() for word in SAMPLE_WORDS):
        raise RuntimeError(f"the sample came out as {text!r}")
    return f"{recognizer.model_id}: {text!r} in {time.perf_counter() - started:.1f} s"


def check_qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["dictate"])
    assert isinstance(app, QApplication)
    window = MainWindow()
    image = window.grab()
    if image.isNull():
        raise RuntimeError("the window could not be drawn")
    return f"platform {app.platformName()}, window drawn {image.width()}x{image.height()}"


def check_audio() -> str:
    from app.audio.devices import list_inputs

    inputs = list_inputs()
    return f"PortAudio loaded, {len(inputs)} input device(s)"


def check_hotkey() -> str:
    """pynput picks its platform backend at import: a bundle that lacks it fails here."""
    if sys.platform.startswith("linux") and not session.detect().x_display:
        return "skipped, no X display (on Wayland, bind `dictate ptt toggle` to a key)"
    from pynput import keyboard

    return f"global hotkeys through {keyboard.Listener.__module__}"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("engine", check_engine),
    ("qt", check_qt),
    ("audio", check_audio),
    ("hotkey", check_hotkey),
]


def run() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    failed = 0
    for name, check in CHECKS:
        try:
            detail = check()
        except Exception as exc:
            failed += 1
            sys.stdout.write(f"FAIL {name}: {exc}\n")
        else:
            sys.stdout.write(f"ok   {name}: {detail}\n")
        sys.stdout.flush()
    sys.stdout.write("self-check passed\n" if not failed else f"{failed} check(s) failed\n")
    sys.stdout.flush()
    return 1 if failed else 0
