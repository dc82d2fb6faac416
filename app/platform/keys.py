"""Hotkeys in words: pynput's syntax (`<ctrl>+<alt>+d`, what `Settings.hotkey` stores) shown
as people write it ("Ctrl+Alt+D"), checked before it is grabbed, and for Wayland, where no
application may grab keys, the exact steps to bind `dictate ptt` in the desktop instead.

Plain Python (no Qt, no pynput import): the settings and the first-run setup ask these
questions before any display exists, and pynput cannot even be imported without one. The
parser therefore repeats `pynput.keyboard.HotKey.parse`'s rules (single characters, `<name>`
for `pynput.keyboard.Key` names, `<123>` for virtual key codes, no part twice); a test holds
it to the real one under Xvfb.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

DEFAULT_COMBO = "<ctrl>+<alt>+d"

# pynput's modifiers as `GlobalHotkey` sees them (its listener folds left/right into these).
MODIFIERS = ("ctrl", "alt", "alt_gr", "shift", "cmd")
_SIDED = ("ctrl_l", "ctrl_r", "alt_l", "alt_r", "shift_l", "shift_r", "cmd_l", "cmd_r")

# Every other `pynput.keyboard.Key` name, with the words people use for it.
KEY_NAMES: dict[str, str] = {
    "space": "Space", "enter": "Enter", "tab": "Tab", "backspace": "Backspace",
    "delete": "Delete", "insert": "Insert", "esc": "Esc", "home": "Home", "end": "End",
    "page_up": "Page Up", "page_down": "Page Down", "up": "Up", "down": "Down",
    "left": "Left", "right": "Right", "caps_lock": "Caps Lock", "num_lock": "Num Lock",
    "scroll_lock": "Scroll Lock", "print_screen": "Print", "pause": "Pause", "menu": "Menu",
    "media_play_pause": "Play/Pause", "media_volume_mute": "Mute",
    "media_volume_down": "Volume Down", "media_volume_up": "Volume Up",
    "media_previous": "Previous Track", "media_next": "Next Track",
    **{f"f{n}": f"F{n}" for n in range(1, 21)},
}  # fmt: skip
_TYPING = {"space", "enter", "tab", "backspace", "delete", "home", "end", "page_up",
           "page_down", "up", "down", "left", "right"}  # fmt: skip
_LOCKS = {"caps_lock", "num_lock", "scroll_lock"}


@dataclass(frozen=True)
class Chord:
    """Modifiers (in `MODIFIERS` order) and the keys pressed with them: normally one, a
    lowercase character ("d"), a `KEY_NAMES` name ("f8") or a virtual key code ("<269025043>")."""

    modifiers: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.keys[0] if len(self.keys) == 1 else ""

    def combo(self) -> str:
        """pynput syntax, modifiers first in a fixed order."""
        return "+".join([*(f"<{m}>" for m in self.modifiers), *map(_token, self.keys)])


def chord(modifiers: set[str] | tuple[str, ...] | list[str], key: str) -> Chord:
    """A chord from what was pressed: modifier names (any order) and one key name."""
    ordered = tuple(m for m in MODIFIERS if m in set(modifiers))
    return Chord(ordered, (key,) if key else ())


def to_combo(modifiers: set[str] | tuple[str, ...] | list[str], key: str) -> str:
    return chord(modifiers, key).combo()


def _token(key: str) -> str:
    return key if len(key) == 1 or key.startswith("<") else f"<{key}>"


def parse(combo: str) -> Chord:
    """The chord in pynput syntax; raises ValueError where pynput's `HotKey.parse` would."""
    if not combo:
        raise ValueError("empty")
    parts: list[str] = []
    start = 0
    for i, c in enumerate(combo):  # pynput's split: a '+' right after a '+' is the key '+'
        if c == "+" and i != start:
            parts.append(combo[start:i])
            start = i + 1
    if start == len(combo):
        raise ValueError(combo)
    parts.append(combo[start:])
    modifiers: list[str] = []
    keys: list[str] = []
    for part in parts:
        if len(part) == 1:
            keys.append(part.lower())
        elif len(part) > 2 and part[0] == "<" and part[-1] == ">":
            name = part[1:-1].lower()
            if name in MODIFIERS:
                modifiers.append(name)
            elif name in KEY_NAMES or name in _SIDED:
                keys.append(name)
            elif name.isdigit():
                keys.append(f"<{int(name)}>")
            else:
                raise ValueError(part)
        else:
            raise ValueError(part)
    if len(set(modifiers)) != len(modifiers) or len(set(keys)) != len(keys):
        raise ValueError(combo)
    return Chord(tuple(m for m in MODIFIERS if m in modifiers), tuple(keys))


def _modifier_word(name: str, platform: str) -> str:
    if name == "cmd":
        return {"darwin": "Cmd", "win32": "Win"}.get(platform, "Super")
    if name == "alt" and platform == "darwin":
        return "Option"
    return {"ctrl": "Ctrl", "alt": "Alt", "alt_gr": "AltGr", "shift": "Shift"}[name]


def key_word(key: str, platform: str = sys.platform) -> str:
    """One key as people name it: "D", "F8", "Space", "Left Ctrl", "/"."""
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if key in _SIDED:
        side = "Left" if key.endswith("_l") else "Right"
        return f"{side} {_modifier_word(key[:-2], platform)}"
    if key.startswith("<"):
        return f"key {key[1:-1]}"
    return key.upper() if key.isalpha() else key


def display(combo: str, platform: str = sys.platform) -> str:
    """Shown as people write it: "<ctrl>+<alt>+d" is "Ctrl+Alt+D"; text pynput cannot read
    comes back as it is."""
    if not combo:
        return ""
    try:
        c = parse(combo)
    except ValueError:
        return combo
    words = [_modifier_word(m, platform) for m in c.modifiers]
    return "+".join(words + [key_word(k, platform) for k in c.keys])


def _conflicts(platform: str) -> dict[tuple[tuple[str, ...], str], str]:
    """Well-known shortcuts of desktops and apps that a global hotkey would fight with."""
    primary = "cmd" if platform == "darwin" else "ctrl"
    p = (primary,)
    table = {
        (p, "c"): "Copy", (p, "v"): "Paste", (p, "x"): "Cut", (p, "z"): "Undo",
        (p, "y"): "Redo", (p, "a"): "Select all", (p, "s"): "Save", (p, "f"): "Find",
        (p, "w"): "Close tab", (p, "q"): "Quit", (p, "t"): "New tab", (p, "n"): "New",
        (p, "o"): "Open", (p, "p"): "Print", ((*p, "shift"), "z"): "Redo",
    }  # fmt: skip
    if platform == "darwin":
        table |= {(("cmd",), "tab"): "switching apps", (("cmd",), "space"): "Spotlight",
                  (("cmd",), "h"): "Hide", (("cmd",), "m"): "Minimize"}  # fmt: skip
        return _ordered(table)
    table |= {
        (("ctrl", "shift"), "c"): "Copy in terminals",
        (("ctrl", "shift"), "v"): "Paste in terminals (Dictate pastes with it too)",
        (("alt",), "tab"): "switching windows", (("alt", "shift"), "tab"): "switching windows",
        (("alt",), "f4"): "closing the window", (("alt",), "f2"): "the desktop's Run command",
        (("cmd",), "l"): "locking the screen", (("cmd",), "d"): "showing the desktop",
        (("cmd",), "tab"): "switching windows", (("cmd",), "e"): "the file manager",
        (("ctrl", "alt"), "delete"): "logging out (or the task manager)",
        (("ctrl", "alt"), "backspace"): "restarting the display server on some systems",
        (("ctrl", "alt"), "t"): "opening a terminal", (("ctrl", "alt"), "l"): "locking the screen",
        (("ctrl", "shift"), "esc"): "the task manager", (("ctrl",), "esc"): "the start menu",
        ((), "print_screen"): "taking a screenshot",
    }  # fmt: skip
    for arrow in ("up", "down", "left", "right"):
        table[(("ctrl", "alt"), arrow)] = "switching workspaces"
        table[(("ctrl", "alt", "shift"), arrow)] = "moving a window to another workspace"
        table[(("cmd",), arrow)] = "tiling or maximizing the window"
    for n in range(1, 13):
        table[(("ctrl", "alt"), f"f{n}")] = "switching to a text console"
    return _ordered(table)


def _ordered(
    table: dict[tuple[tuple[str, ...], str], str],
) -> dict[tuple[tuple[str, ...], str], str]:
    return {(chord(mods, key).modifiers, key): what for (mods, key), what in table.items()}


def problems(combo: str, platform: str = sys.platform) -> list[str]:
    """What is wrong with this hotkey, in plain words; [] when it is fine (or empty: no
    hotkey). Warnings, not refusals: a user may keep a hotkey they know to be safe for them."""
    if not combo:
        return []
    try:
        c = parse(combo)
    except ValueError:
        return [
            f"Dictate cannot read the hotkey “{combo}”: press Change… and press the keys "
            "you want instead."
        ]
    shown = display(combo, platform)
    found: list[str] = []
    if not c.keys:
        return [f"{shown} alone cannot be a hotkey: add a key, such as {display(DEFAULT_COMBO)}."]
    if any(k in _SIDED for k in c.keys):  # pynput reads <ctrl_l> as a key, never matched
        return [
            f"{shown} names one side of a modifier, which the hotkey never recognizes: "
            "use Ctrl, Alt, Shift or Super without a side."
        ]
    if len(c.keys) > 1:
        found.append(
            f"{shown} needs several ordinary keys held at once: choose modifiers and one key."
        )
    key = c.keys[-1]
    bare = set(c.modifiers) <= {"shift"}
    if bare and (len(key) == 1 or key in _TYPING):
        typed = key.upper() if c.modifiers else key
        what = f"type “{typed}”" if len(key) == 1 else f"press {key_word(key, platform)}"
        found.append(
            f"{shown} is pressed while typing: dictation would start every time you {what}, "
            "in every app. Add Ctrl or Alt."
        )
    if "esc" in c.keys:
        found.append(
            f"{shown}: Escape cancels things in every app, and cancels a dictation in Dictate. "
            "Choose another key."
        )
    if key in _LOCKS:
        found.append(f"{shown} also switches {key_word(key, platform)} on and off.")
    if "f8" in c.keys:
        found.append(
            "F8 is already push-to-talk inside Dictate's window: with the window in front, "
            "one press would start two dictations. Choose another key."
        )
    clash = _conflicts(platform).get((c.modifiers, key)) if len(c.keys) == 1 else None
    if clash:
        found.append(f"{shown} is already used for {clash}: choose another hotkey.")
    return found


def gtk_accelerator(combo: str) -> str:
    """The same chord as GNOME writes it ("<Control><Alt>d"), for its shortcut settings."""
    c = parse(combo)
    names = {"ctrl": "<Control>", "alt": "<Alt>", "alt_gr": "<Mod5>", "shift": "<Shift>",
             "cmd": "<Super>"}  # fmt: skip
    keysyms = {"space": "space", "enter": "Return", "esc": "Escape", "backspace": "BackSpace",
               "page_up": "Page_Up", "page_down": "Page_Down", "print_screen": "Print",
               "caps_lock": "Caps_Lock", "num_lock": "Num_Lock", "scroll_lock": "Scroll_Lock",
               "/": "slash", ".": "period", ",": "comma", ";": "semicolon", "'": "apostrophe",
               "-": "minus", "=": "equal", "[": "bracketleft", "]": "bracketright",
               "\\": "backslash", "`": "grave", "media_play_pause": "XF86AudioPlay",
               "media_volume_mute": "XF86AudioMute", "media_volume_down": "XF86AudioLowerVolume",
               "media_volume_up": "XF86AudioRaiseVolume", "media_previous": "XF86AudioPrev",
               "media_next": "XF86AudioNext"}  # fmt: skip
    key = c.key or "d"
    sym = keysyms.get(key) or (key.capitalize() if key in KEY_NAMES else key)
    return "".join(names[m] for m in c.modifiers) + sym


GNOME_LIST = "org.gnome.settings-daemon.plugins.media-keys"
GNOME_ONE = "org.gnome.settings-daemon.plugins.media-keys.custom-keybinding"
GNOME_PATH = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/dictate/"


def wayland_instructions(
    desktop: str, *, combo: str = DEFAULT_COMBO, mode: str = "toggle", program: str = "dictate"
) -> str:
    """Steps that bind `dictate ptt` on this desktop (XDG_CURRENT_DESKTOP, e.g.
    "ubuntu:GNOME", "KDE"), because Wayland lets no application see global keys. Desktops
    run a shortcut's command when the keys go down: `toggle` is what works everywhere, and a
    hold needs a desktop that also runs a command when they come up."""
    command = f"{program} ptt toggle"
    try:
        usable = bool(parse(combo).key)
    except ValueError:
        usable = False
    chosen = combo if usable else DEFAULT_COMBO
    keys, accel = display(chosen, "linux"), gtk_accelerator(chosen)
    names = {part.strip().lower() for part in desktop.split(":")}
    lead = (
        "This is a Wayland session: no app may watch the keyboard, so your desktop runs "
        f"Dictate's command when you press the keys. Bind {keys} (or any keys you like) to:\n\n"
        f"    {command}\n\nPress once to start dictating, again to stop."
    )
    hold = (
        f"\n\nTo hold to talk instead, bind {program} ptt start to the keys going down and "
        f"{program} ptt stop to them coming up, where your desktop allows that (sway: "
        "bindsym --release; Hyprland: bindr)."
        if mode == "hold"
        else ""
    )
    if "gnome" in names or "unity" in names:
        steps = (
            "\n\nGNOME: Settings → Keyboard → View and Customize Shortcuts → Custom Shortcuts "
            f"→ Add Shortcut (+). Name: Dictate; Command: {command}; Shortcut: press {keys}."
            "\n\nOr in a terminal (keeps your other custom shortcuts):\n\n"
            f"    p={GNOME_PATH}\n"
            f"    l=$(gsettings get {GNOME_LIST} custom-keybindings)\n"
            '    case "$l" in *"$p"*) ;; *"[]") l="[\'$p\']" ;; *) l="${l%]}, \'$p\']" ;; esac\n'
            f'    gsettings set {GNOME_LIST} custom-keybindings "$l"\n'
            f"    gsettings set {GNOME_ONE}:$p name 'Dictate'\n"
            f"    gsettings set {GNOME_ONE}:$p command '{command}'\n"
            f"    gsettings set {GNOME_ONE}:$p binding '{accel}'"
        )
    elif "kde" in names or "plasma" in names:
        steps = (
            "\n\nKDE Plasma: System Settings → Keyboard → Shortcuts → Add New → Command or "
            f"Script…, enter {command}, then press Add custom shortcut and press {keys}."
        )
    else:
        steps = (
            "\n\nOpen your desktop's keyboard-shortcut settings and add a custom shortcut "
            f"that runs {command}."
        )
    return lead + steps + hold
