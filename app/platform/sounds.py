"""Short start and stop sounds, played without blocking (sounddevice; no QtMultimedia in
PySide6-Essentials). No output device, or any audio error, just means no sound.

One player thread plays them in turn. PortAudio is not thread-safe: a thread per sound,
each opening a stream while the microphone opened its own, crashed the app (see
`app.audio.portaudio`). Streams are opened and closed under PortAudio's lock and play
through a callback on PortAudio's own thread; a sound asked for while two wait is dropped.
`shutdown` ends the player before PortAudio is terminated at exit (sounddevice's own exit
handler terminates it under a playing stream otherwise, a crash at exit).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import wave
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from app import paths
from app.audio.portaudio import LOCK, sounddevice

log = logging.getLogger(__name__)

_queue: queue.Queue[str] = queue.Queue(maxsize=2)
_player: threading.Thread | None = None
_player_lock = threading.Lock()
_stopping = threading.Event()
_exit_hook = False


@cache
def _load(name: str) -> tuple[npt.NDArray[np.float32], int] | None:
    path = paths.resources() / "sounds" / f"{name}.wav"
    try:
        with wave.open(str(path)) as w:
            data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(
                np.float32
            ) / np.float32(32768)
            return data.reshape(-1, 1), int(w.getframerate())
    except (OSError, wave.Error):
        return None


def play(name: str) -> None:
    """Queue a sound; returns at once."""
    global _player, _exit_hook
    if _load(name) is None or _stopping.is_set():
        return
    try:
        _queue.put_nowait(name)
    except queue.Full:
        return
    with _player_lock:
        if not _exit_hook:
            try:
                sounddevice()  # imported first, its exit handler runs after ours
            except Exception:
                return
            atexit.register(shutdown)
            _exit_hook = True
        if _player is None or not _player.is_alive():
            _player = threading.Thread(target=_play_queued, name="sounds", daemon=True)
            _player.start()


def shutdown(timeout: float = 2.0) -> None:
    """Stop playing and end the player thread (the app's shutdown, and at exit)."""
    _stopping.set()
    with _player_lock:
        player = _player
    if player is not None and player is not threading.current_thread():
        player.join(timeout)


def _play_queued() -> None:
    while not _stopping.is_set():
        try:
            name = _queue.get(timeout=1)
        except queue.Empty:
            if _queue.empty():
                return  # idle: the next sound starts a new player
            continue
        sound = _load(name)
        if sound is not None:
            try:
                _play_one(*sound)
            except Exception as exc:
                log.debug("no sound: %s", exc)


def _play_one(data: npt.NDArray[np.float32], rate: int) -> None:
    sd = sounddevice()
    position = 0
    done = threading.Event()

    def callback(out: Any, frames: int, _time: Any, _status: Any) -> None:
        nonlocal position
        chunk = data[position : position + frames]
        out[: len(chunk)] = chunk
        out[len(chunk) :] = 0
        position += frames
        if position >= len(data):
            raise sd.CallbackStop

    with LOCK:
        stream = sd.OutputStream(
            samplerate=rate, channels=1, dtype="float32", callback=callback,
            finished_callback=done.set,
        )  # fmt: skip
        stream.start()
    try:
        deadline = len(data) / rate + 1.0
        while not done.wait(0.05) and not _stopping.is_set() and deadline > 0:
            deadline -= 0.05
    finally:
        with LOCK:
            stream.abort()
            stream.close()
