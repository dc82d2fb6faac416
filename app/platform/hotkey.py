"""A global push-to-talk hotkey (X11, Windows, macOS) with pynput.

pynput's listener runs on its own thread; the signals it emits are queued to the main thread
because this object lives there. Chords like `<ctrl>+<alt>+d` are held: `pressed` fires when
the last key of the chord goes down, `released` when any of them comes up. Wayland does not
let applications see global keys: `start` then returns why, and users bind
`dictate ptt toggle` in their desktop's shortcut settings instead.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.platform import session


class GlobalHotkey(QObject):
    """Signals: `pressed()`, `released()`."""

    pressed = Signal()
    released = Signal()

    def __init__(self, combo: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.combo = combo
        self._listener: Any = None
        self._keys: set[Any] = set()
        self._down: set[Any] = set()
        self._active = False

    def start(self) -> str | None:
        """Start listening; returns None, or why a global hotkey is impossible here."""
        if sys.platform.startswith("linux"):
            desktop = session.detect()
            if desktop.wayland:  # with XWayland too: keys reach X11 apps' windows only
                return "global hotkeys are not possible on Wayland: bind `dictate ptt toggle`"
            if not desktop.x11:
                return "no X display: global hotkey off"
        try:
            from pynput import keyboard

            self._keys = set(keyboard.HotKey.parse(self.combo))
            listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
            self._canonical = listener.canonical
            listener.start()
            listener.wait()
        except ValueError as exc:
            return f"the hotkey {self.combo!r} is not valid: {exc}"
        except Exception as exc:  # no backend for this platform, X refused...
            return f"global hotkey unavailable: {exc}"
        self._listener = listener
        return None

    def listening(self) -> bool:
        """The listener has its X record context up: a key pressed from now on is seen. It
        starts on a thread of its own, and keys pressed before that are not. (pynput marks
        this in `_ready`; its public `wait()` blocks with no time limit.)"""
        listener = self._listener
        return listener is not None and bool(getattr(listener, "_ready", False))

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener.join(0.5)
            self._listener = None

    def _on_press(self, key: Any) -> None:
        self._down.add(self._canonical(key))
        if not self._active and self._keys <= self._down:
            self._active = True
            self.pressed.emit()

    def _on_release(self, key: Any) -> None:
        canonical = self._canonical(key)
        self._down.discard(canonical)
        if self._active and canonical in self._keys:
            self._active = False
            self.released.emit()
