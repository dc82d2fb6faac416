"""The global hotkey, set by pressing it: people know their keys, not pynput's syntax.

`KeyCapture` shows the chord as "Ctrl+Alt+D"; "Change…" (or a click on the chord) takes the
keyboard (the focus, and on X11, Windows and macOS a keyboard grab, so window-manager and
in-app shortcuts reach it instead of acting) and records modifiers plus one key from the real
key events; Escape cancels, Backspace or Delete alone leaves no hotkey. It reads `key()`,
never `text()` (with Ctrl held, `text()` is a control character), and falls back on
`nativeVirtualKey()`, which is pynput's own virtual key code on X11 and Windows. What
`keys.problems` finds is shown as a warning under it, and the user may keep the chord anyway.

`HotkeyEditor` adds the hold/toggle choice; on Wayland, where no application may watch the
keyboard, it shows how to bind `dictate ptt` in the desktop instead of capturing.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QGuiApplication,
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.platform import keys, session

K = Qt.Key
_NAMED = {
    K.Key_Space: "space", K.Key_Return: "enter", K.Key_Enter: "enter", K.Key_Tab: "tab",
    K.Key_Backtab: "tab", K.Key_Backspace: "backspace", K.Key_Delete: "delete",
    K.Key_Insert: "insert", K.Key_Escape: "esc", K.Key_Home: "home", K.Key_End: "end",
    K.Key_PageUp: "page_up", K.Key_PageDown: "page_down", K.Key_Up: "up", K.Key_Down: "down",
    K.Key_Left: "left", K.Key_Right: "right", K.Key_CapsLock: "caps_lock",
    K.Key_NumLock: "num_lock", K.Key_ScrollLock: "scroll_lock", K.Key_Print: "print_screen",
    K.Key_Pause: "pause", K.Key_Menu: "menu", K.Key_MediaTogglePlayPause: "media_play_pause",
    K.Key_MediaPlay: "media_play_pause", K.Key_VolumeMute: "media_volume_mute",
    K.Key_VolumeDown: "media_volume_down", K.Key_VolumeUp: "media_volume_up",
    K.Key_MediaPrevious: "media_previous", K.Key_MediaNext: "media_next",
    **{getattr(K, f"Key_F{n}"): f"f{n}" for n in range(1, 21)},
}  # fmt: skip
_MODIFIER_KEYS = {K.Key_Control, K.Key_Shift, K.Key_Alt, K.Key_AltGr, K.Key_Meta,
                  K.Key_Super_L, K.Key_Super_R, K.Key_Hyper_L, K.Key_Hyper_R}  # fmt: skip
# Platforms that grab the keyboard for one window: then Alt+Tab, Super+L and the window
# manager's own keys come to the capture instead of acting. Elsewhere the focus alone.
GRABS = ("xcb", "windows", "cocoa")
CAP = (
    "QLabel { background: palette(base); border: 1px solid palette(mid); border-radius: 4px;"
    " padding: 3px 10px; }"
)
CAP_CAPTURING = CAP.replace("1px solid palette(mid)", "2px solid palette(highlight)")
MODES = (("Hold to talk", "hold"), ("Press to start, press to stop", "toggle"))


def modifier_names(modifiers: Qt.KeyboardModifier) -> set[str]:
    """pynput's names for the held modifiers. On macOS Qt calls Cmd "Control" and Control
    "Meta"; pynput calls them cmd and ctrl."""
    M = Qt.KeyboardModifier
    ctrl, cmd = (M.MetaModifier, M.ControlModifier) if sys.platform == "darwin" else (
        M.ControlModifier, M.MetaModifier)  # fmt: skip
    pairs = ((ctrl, "ctrl"), (M.AltModifier, "alt"), (M.ShiftModifier, "shift"), (cmd, "cmd"))
    return {name for flag, name in pairs if modifiers & flag}


def _modifier_of(code: int) -> str | None:
    ctrl, cmd = (K.Key_Meta, K.Key_Control) if sys.platform == "darwin" else (
        K.Key_Control, K.Key_Meta)  # fmt: skip
    names = {ctrl: "ctrl", K.Key_Alt: "alt", K.Key_Shift: "shift", cmd: "cmd",
             K.Key_Super_L: "cmd", K.Key_Super_R: "cmd"}  # fmt: skip
    return names.get(K(code)) if code in names else None


def key_name(event: QKeyEvent) -> str | None:
    """pynput's name for the event's (non-modifier) key: "d" for Ctrl+Alt+D, "f8", "space";
    None for a key that has no name here and no native code."""
    code = event.key()
    if code in _NAMED:
        return _NAMED[K(code)]
    if 0x20 < code < 0x01000000 and chr(code).isprintable():  # Qt's codes are Unicode here
        return chr(code).lower()
    native = event.nativeVirtualKey()
    return f"<{native}>" if native else None


def quiet(label: QLabel) -> QLabel:
    """Secondary text: between the text colour and the background, readable on any theme
    (a disabled label would look switched off)."""
    palette = label.palette()
    fg = palette.color(QPalette.ColorRole.WindowText)
    bg = palette.color(QPalette.ColorRole.Window)
    mix = [(a * 6 + b * 4) // 10 for a, b in ((fg.red(), bg.red()), (fg.green(), bg.green()),
                                              (fg.blue(), bg.blue()))]  # fmt: skip
    mixed = QColor(*mix)
    palette.setColor(QPalette.ColorRole.WindowText, mixed)
    label.setPalette(palette)
    return label


def on_wayland() -> bool:
    """A Wayland session: the desktop binds the keys. With XWayland (GNOME, KDE) `DISPLAY` is
    set too, but the hotkey would only be seen while an X11 app has the focus, so the steps
    to bind `dictate ptt` are what a user needs there as well."""
    return session.detect().wayland


class KeyCapture(QWidget):
    """Signals: `changed(str combo)` (pynput syntax, "" for no hotkey) when the user records
    or clears a chord; `set_combo` is silent."""

    changed = Signal(str)

    def __init__(self, combo: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._combo = combo
        self._capturing = False
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.shown = QLabel()  # drawn as a key cap, so it does not read as a text field
        self.shown.setMinimumWidth(150)
        self.shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.shown.font()
        font.setBold(True)
        self.shown.setFont(font)
        self.change = QPushButton("Change…")
        self.change.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the focus here
        self.change.clicked.connect(self._change_clicked)
        self.hint = quiet(QLabel("Esc cancels · Backspace leaves no hotkey"))
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b25900;")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.shown, 1)
        row.addWidget(self.change)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(self.warning)
        self._render()

    def combo(self) -> str:
        return self._combo

    def set_combo(self, combo: str) -> None:
        self._stop()
        self._combo = combo
        self._render()

    def capturing(self) -> bool:
        return self._capturing

    @Slot()
    def start_capture(self) -> None:
        if self._capturing:
            return
        self._capturing = True
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if QGuiApplication.platformName() in GRABS:
            self.grabKeyboard()
        self._render(live="")

    @Slot()
    def cancel_capture(self) -> None:
        self._stop()
        self._render()

    @Slot()
    def _change_clicked(self) -> None:
        if self._capturing:
            self.cancel_capture()
        else:
            self.start_capture()

    def _stop(self) -> None:
        if self._capturing:
            self._capturing = False
            if QGuiApplication.platformName() in GRABS:
                self.releaseKeyboard()

    def _finish(self, combo: str) -> None:
        self._stop()
        old, self._combo = self._combo, combo
        self._render()
        if combo != old:
            self.changed.emit(combo)

    def _render(self, live: str | None = None) -> None:
        capturing = live is not None
        self.shown.setStyleSheet(CAP_CAPTURING if capturing else CAP)
        self.change.setText("Cancel" if capturing else "Change…")
        self.hint.setVisible(capturing)
        if capturing:
            self.shown.setText(f"{live}…" if live else "Press the keys…")
        else:
            self.shown.setText(keys.display(self._combo) or "No hotkey")
        found = [] if capturing else keys.problems(self._combo)
        self.warning.setText("\n".join(f"⚠ {p}" for p in found))
        self.warning.setVisible(bool(found))
        self.shown.setAccessibleName(f"Global hotkey: {self.shown.text()}")

    def _held(self, event: QKeyEvent, pressed: bool) -> str:
        """The modifiers down after this event, in words. Platforms differ on whether a
        modifier's own event counts it, so its key decides."""
        held = modifier_names(event.modifiers())
        own = _modifier_of(event.key())
        if own:
            (held.add if pressed else held.discard)(own)
        return keys.display(keys.to_combo(held, ""))

    def event(self, event: QEvent) -> bool:
        if self._capturing and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the key is ours, not a shortcut's (F8, the dialog's Alt+N...)
            return True
        return super().event(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        return False if self._capturing else super().focusNextPrevChild(next)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._capturing:
            super().keyPressEvent(event)
            return
        event.accept()
        if event.isAutoRepeat():
            return
        code = event.key()
        mods = modifier_names(event.modifiers())
        if code == K.Key_Escape:
            self.cancel_capture()
        elif code in (K.Key_Backspace, K.Key_Delete) and not mods:
            self._finish("")
        elif code in _MODIFIER_KEYS:
            self._render(live=self._held(event, pressed=True))
        else:
            name = key_name(event)
            if name is not None:
                self._finish(keys.to_combo(mods, name))

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self._capturing:
            super().keyReleaseEvent(event)
            return
        event.accept()
        if not event.isAutoRepeat() and event.key() in _MODIFIER_KEYS:
            self._render(live=self._held(event, pressed=False))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self._capturing:
            self.start_capture()  # a click on the key cap, as on "Change…"
        super().mousePressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.cancel_capture()  # the user went elsewhere: give the keyboard back
        super().focusOutEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel_capture()
        super().hideEvent(event)


class HotkeyEditor(QWidget):
    """The hotkey and its mode. Signals: `changed()` when either changes by the user."""

    changed = Signal()

    def __init__(
        self,
        combo: str = keys.DEFAULT_COMBO,
        mode: str = "hold",
        parent: QWidget | None = None,
        *,
        wayland: bool | None = None,
        desktop: str | None = None,
        program: str = "dictate",
    ) -> None:
        super().__init__(parent)
        self.wayland = on_wayland() if wayland is None else wayland
        self.desktop = os.environ.get("XDG_CURRENT_DESKTOP", "") if desktop is None else desktop
        self.program = program
        self.capture = KeyCapture(combo)
        self.capture.changed.connect(self._capture_changed)
        self.mode_box = QComboBox()
        for label, value in MODES:
            self.mode_box.addItem(label, value)
        self.mode_box.setToolTip(
            "Hold the keys while you speak, or press once to start and again to stop"
        )
        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        self.instructions: QPlainTextEdit | None = None
        if self.wayland:
            self.capture.hide()
            self.instructions = QPlainTextEdit()
            self.instructions.setReadOnly(True)
            self.instructions.setMinimumHeight(160)
            row.addWidget(QLabel("Mode"))
            row.addWidget(self.mode_box, 1)
            layout.addWidget(self.instructions, 1)
        else:
            row.addWidget(self.capture, 1, Qt.AlignmentFlag.AlignTop)
            row.addWidget(self.mode_box, 0, Qt.AlignmentFlag.AlignTop)
        self.set_values(combo, mode)

    def combo(self) -> str:
        return self.capture.combo()

    def mode(self) -> str:
        return str(self.mode_box.currentData())

    def set_values(self, combo: str, mode: str) -> None:
        """Shows these values without emitting `changed`."""
        self.capture.set_combo(combo)
        blocked = self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(max(0, self.mode_box.findData(mode)))
        self.mode_box.blockSignals(blocked)
        self._render_instructions()

    def _render_instructions(self) -> None:
        if self.instructions is not None:
            self.instructions.setPlainText(
                keys.wayland_instructions(
                    self.desktop, combo=self.combo(), mode=self.mode(), program=self.program
                )
            )

    @Slot(str)
    def _capture_changed(self, _combo: str) -> None:
        self.changed.emit()

    @Slot(int)
    def _mode_changed(self, _index: int) -> None:
        self._render_instructions()
        self.changed.emit()
