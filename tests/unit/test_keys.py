"""Hotkeys in words (`app.platform.keys`): pynput syntax to "Ctrl+Alt+D" and back, the
problems a hotkey would cause, and Wayland steps that name a command `dictate ptt` accepts."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.commands import ptt
from app.platform import keys


@pytest.mark.parametrize(
    ("combo", "shown"),
    [
        ("<ctrl>+<alt>+d", "Ctrl+Alt+D"),
        ("<alt>+<ctrl>+D", "Ctrl+Alt+D"),
        ("<f8>", "F8"),
        ("<shift>+<f12>", "Shift+F12"),
        ("<ctrl>+<space>", "Ctrl+Space"),
        ("<ctrl>+<alt>+<left>", "Ctrl+Alt+Left"),
        ("<alt>+<page_down>", "Alt+Page Down"),
        ("<ctrl>+/", "Ctrl+/"),
        ("<ctrl>++", "Ctrl++"),
        ("", ""),
        ("<nonsense>+d", "<nonsense>+d"),
    ],
)
def test_display_names_keys_as_people_write_them(combo: str, shown: str) -> None:
    assert keys.display(combo, "linux") == shown


def test_the_super_key_is_named_for_the_platform() -> None:
    assert keys.display("<cmd>+<shift>+d", "linux") == "Shift+Super+D"
    assert keys.display("<cmd>+d", "darwin") == "Cmd+D"
    assert keys.display("<cmd>+d", "win32") == "Win+D"


def test_a_chord_becomes_pynput_syntax_that_parses_back_to_it() -> None:
    assert keys.to_combo({"alt", "ctrl"}, "d") == "<ctrl>+<alt>+d"
    assert keys.to_combo(["shift"], "f8") == "<shift>+<f8>"
    assert keys.to_combo(set(), "space") == "<space>"
    assert keys.to_combo({"ctrl"}, "<269025043>") == "<ctrl>+<269025043>"
    for combo in ("<ctrl>+<alt>+d", "<shift>+<cmd>+<f5>", "<alt>+<up>", "<ctrl>++", "<65>"):
        chord = keys.parse(combo)
        assert chord.combo() == combo
        assert keys.parse(chord.combo()) == chord
    assert keys.parse("<ctrl>+<alt>+d") == keys.Chord(("ctrl", "alt"), ("d",))


@pytest.mark.parametrize("combo", ["", "<ctrl>+", "<bogus>+d", "ctrl+d", "<ctrl>+<ctrl>+d", "<>"])
def test_what_pynput_would_refuse_is_refused(combo: str) -> None:
    with pytest.raises(ValueError):
        keys.parse(combo)


@pytest.mark.parametrize("combo", ["<ctrl>+<alt>+d", "<ctrl>+<alt>+<space>", "<shift>+<f9>",
                                   "<cmd>+<alt>+h", "<ctrl>+<shift>+<f2>", ""])  # fmt: skip
def test_good_hotkeys_have_no_problems(combo: str) -> None:
    assert keys.problems(combo, "linux") == []


@pytest.mark.parametrize(
    ("combo", "words"),
    [
        ("<ctrl>", "alone cannot be a hotkey"),
        ("<ctrl>+<alt>", "alone cannot be a hotkey"),
        ("d", "every time you type “d”"),
        ("<shift>+d", "every time you type “D”"),
        ("<space>", "every time you press Space"),
        ("<left>", "every time you press Left"),
        ("<esc>", "Escape cancels"),
        ("<ctrl>+<esc>", "Escape cancels"),
        ("<f8>", "F8 is already push-to-talk inside Dictate's window"),
        ("<ctrl>+<f8>", "F8 is already push-to-talk"),
        ("<what>+d", "cannot read"),
        ("<ctrl_l>+d", "one side of a modifier"),
        ("a+b", "several ordinary keys"),
        ("<caps_lock>", "switches Caps Lock"),
    ],
)
def test_keys_that_make_no_sense_for_a_global_hotkey_are_explained(combo: str, words: str) -> None:
    found = keys.problems(combo, "linux")
    assert any(words in problem for problem in found), found


@pytest.mark.parametrize(
    ("combo", "what"),
    [
        ("<ctrl>+c", "Copy"), ("<ctrl>+v", "Paste"), ("<ctrl>+x", "Cut"), ("<ctrl>+z", "Undo"),
        ("<ctrl>+a", "Select all"), ("<ctrl>+s", "Save"), ("<alt>+<tab>", "switching windows"),
        ("<alt>+<f4>", "closing the window"), ("<cmd>+l", "locking the screen"),
        ("<ctrl>+<alt>+<delete>", "logging out"), ("<ctrl>+<alt>+t", "opening a terminal"),
        ("<ctrl>+<alt>+<right>", "switching workspaces"), ("<print_screen>", "screenshot"),
        ("<ctrl>+<shift>+v", "Paste in terminals"), ("<ctrl>+<alt>+<f2>", "text console"),
    ],
)  # fmt: skip
def test_well_known_shortcuts_are_named_as_conflicts(combo: str, what: str) -> None:
    found = keys.problems(combo, "linux")
    assert len(found) == 1 and "already used for" in found[0] and what in found[0], found
    assert found[0].startswith(keys.display(combo, "linux"))


def test_macos_conflicts_are_the_command_key_ones() -> None:
    assert "Copy" in keys.problems("<cmd>+c", "darwin")[0]
    assert "Redo" in keys.problems("<cmd>+<shift>+z", "darwin")[0]
    assert keys.problems("<ctrl>+c", "darwin") == []


def _ptt_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictate")
    ptt.add_parser(parser.add_subparsers())
    return parser


@pytest.mark.parametrize("desktop", ["GNOME", "ubuntu:GNOME", "KDE", "sway", ""])
@pytest.mark.parametrize("mode", ["hold", "toggle"])
def test_wayland_steps_name_commands_that_dictate_ptt_accepts(desktop: str, mode: str) -> None:
    text = keys.wayland_instructions(desktop, mode=mode)
    commands = re.findall(r"dictate ptt (\w+)", text)
    assert "toggle" in commands
    for action in commands:
        args = _ptt_parser().parse_args(["ptt", action])
        assert args.run is ptt.run and args.action == action
    assert ("ptt start" in text and "ptt stop" in text) == (mode == "hold")
    assert "Ctrl+Alt+D" in text


def test_each_desktop_gets_its_own_steps() -> None:
    gnome = keys.wayland_instructions("ubuntu:GNOME", combo="<cmd>+<f9>")
    assert "Settings → Keyboard → View and Customize Shortcuts → Custom Shortcuts" in gnome
    assert "gsettings set org.gnome.settings-daemon.plugins.media-keys custom-keybindings" in gnome
    assert "binding '<Super>F9'" in gnome and "Super+F9" in gnome
    kde = keys.wayland_instructions("KDE")
    assert "System Settings → Keyboard → Shortcuts → Add New → Command or Script" in kde
    assert "gsettings" not in kde
    other = keys.wayland_instructions("Hyprland")
    assert "keyboard-shortcut settings" in other and "gsettings" not in other
    assert "/opt/dictate/dictate ptt toggle" in keys.wayland_instructions(
        "KDE", program="/opt/dictate/dictate"
    )


def test_gnome_accelerators_use_gtk_names() -> None:
    assert keys.gtk_accelerator("<ctrl>+<alt>+d") == "<Control><Alt>d"
    assert keys.gtk_accelerator("<shift>+<cmd>+<page_up>") == "<Shift><Super>Page_Up"
    assert keys.gtk_accelerator("<ctrl>+<space>") == "<Control>space"
    assert keys.gtk_accelerator("<alt>+/") == "<Alt>slash"
    assert keys.gtk_accelerator("<ctrl>+<media_next>") == "<Control>XF86AudioNext"
    assert keys.gtk_accelerator("<cmd>+<up>") == "<Super>Up"


def _media_keys_schemas() -> str | None:
    for folder in (os.environ.get("GSETTINGS_SCHEMA_DIR", ""), "/usr/share/glib-2.0/schemas"):
        if folder and (Path(folder) / "gschemas.compiled").exists():
            listed = subprocess.run(["gsettings", "list-schemas"], capture_output=True, text=True,
                                    env=dict(os.environ, GSETTINGS_SCHEMA_DIR=folder),
                                    check=False).stdout.split()  # fmt: skip
            if keys.GNOME_LIST in listed:
                return folder
    return None


@pytest.mark.skipif(
    not shutil.which("gsettings") or not _media_keys_schemas(),
    reason="needs gsettings and GNOME's media-keys schema (gnome-settings-daemon-common)",
)
def test_the_gnome_terminal_steps_work_against_the_real_schema(tmp_path: Path) -> None:
    """Run as printed, twice, beside a shortcut the user already had: it is kept, ours is
    added once, with the command and the keys."""
    env = dict(os.environ, GSETTINGS_BACKEND="keyfile", XDG_CONFIG_HOME=str(tmp_path),
               GSETTINGS_SCHEMA_DIR=str(_media_keys_schemas()))  # fmt: skip
    theirs = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"

    def gsettings(*args: str) -> str:
        done = subprocess.run(["gsettings", *args], env=env, capture_output=True, text=True,
                              check=True, timeout=20)  # fmt: skip
        return done.stdout.strip()

    gsettings("set", keys.GNOME_LIST, "custom-keybindings", f"['{theirs}']")
    text = keys.wayland_instructions("GNOME", combo="<ctrl>+<alt>+<f9>")
    script = "\n".join(
        line[4:] for line in text.split("in a terminal")[1].splitlines() if line[:4] == "    "
    )
    for _ in range(2):
        subprocess.run(["sh", "-ec", script], env=env, check=True, timeout=60)
    assert gsettings("get", keys.GNOME_LIST, "custom-keybindings") == str([theirs, keys.GNOME_PATH])
    ours = f"{keys.GNOME_ONE}:{keys.GNOME_PATH}"
    assert gsettings("get", ours, "command") == "'dictate ptt toggle'"
    assert gsettings("get", ours, "binding") == "'<Control><Alt>F9'"
    assert gsettings("get", ours, "name") == "'Dictate'"
