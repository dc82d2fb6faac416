"""`dictate diagnostics`: the report the tray's "Copy diagnostics" makes, for a terminal.

For when the window will not start or the desktop has no tray: versions, the backend and
microphone the settings ask for, and the log's last lines (keys masked).
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "diagnostics",
        help="print versions, settings and the log's last lines, for a bug report",
    )
    p.add_argument("--lines", type=int, default=60, help="how many log lines (default 60)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app import diagnostics, paths
    from app.storage import settings as settings_store

    settings = settings_store.load(paths.config_dir())
    backend = f"{settings.backend} (settings); local model {settings.model_for('local')}"
    sys.stdout.write(
        diagnostics.report(
            backend=backend,
            microphone=settings.microphone,
            state_dir=paths.state_dir(),
            log_lines=args.lines,
        )
    )
    return 0
