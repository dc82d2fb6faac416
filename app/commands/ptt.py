"""`dictate ptt start|stop|toggle|command|copy-last`: control the running app, e.g. from a
desktop shortcut; `command` starts (or stops) command mode: what is said next is an
instruction for the text selected in the app in front; `copy-last` puts the last dictation
on the clipboard."""

from __future__ import annotations

import argparse
import sys

from app import paths


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "ptt",
        help="start, stop or toggle dictation (or command mode) in the running app; copy-last "
        "copies the last dictation",
        description="Bind these to keys in your desktop's shortcut settings where global "
        "hotkeys are not possible (Wayland): `dictate ptt toggle`; `dictate ptt command` "
        "starts or stops command mode (the selected text rewritten as you say).",
    )
    p.add_argument(
        "action", choices=("start", "stop", "toggle", "command", "show", "quit", "copy-last")
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.platform.single_instance import send_command

    try:
        if send_command(paths.runtime_name(), args.action):
            return 0
    except paths.UnsafeRuntimeDir as exc:
        sys.stderr.write(f"dictate ptt: {exc}\n")
        return 1
    sys.stderr.write("dictate ptt: Dictate is not running (start it with `dictate`)\n")
    return 1
