"""`dictate ptt start|stop|toggle|copy-last`: control the running app, e.g. from a desktop
shortcut; `copy-last` puts the last dictation on the clipboard."""

from __future__ import annotations

import argparse
import sys

from app import paths


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "ptt",
        help="start, stop or toggle dictation in the running app; copy-last copies the last "
        "dictation",
        description="Bind these to keys in your desktop's shortcut settings where global "
        "hotkeys are not possible (Wayland): `dictate ptt toggle`.",
    )
    p.add_argument("action", choices=("start", "stop", "toggle", "show", "quit", "copy-last"))
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
