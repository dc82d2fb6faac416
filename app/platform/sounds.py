"""Short start and stop sounds, played without blocking (sounddevice; no QtMultimedia in
PySide6-Essentials). No output device, or any audio error, just means no sound."""

from __future__ import annotations

import logging
import threading
import wave
from functools import cache

import numpy as np

from app import paths

log = logging.getLogger(__name__)


@cache
def _load(name: str) -> tuple[object, int] | None:
    path = paths.resources() / "sounds" / f"{name}.wav"
    try:
        with wave.open(str(path)) as w:
            data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
            return data, w.getframerate()
    except (OSError, wave.Error):
        return None


def play(name: str) -> None:
    sound = _load(name)
    if sound is None:
        return

    def work() -> None:
        try:
            import sounddevice

            sounddevice.play(sound[0], sound[1])
        except Exception as exc:
            log.debug("no sound: %s", exc)

    threading.Thread(target=work, name="sound", daemon=True).start()
