"""The `dictate` command: parses arguments and hands over to one subcommand module."""

from __future__ import annotations

import argparse
import logging
import sys

from app import __version__
from app.commands import devices, diagnostics, listen, models, ptt, serve, transcribe
from app.platform import allocator

LOG_LEVELS = {"warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dictate", description="Live dictation: speak, and the words appear."
    )
    parser.add_argument("--version", action="version", version=f"dictate {__version__}")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check that this installation works (engine, Qt, audio) and exit",
    )
    parser.add_argument(
        "--log-level",
        choices=tuple(LOG_LEVELS),
        default="warning",
        help="what the app's log (dictate.log) keeps: warnings and errors, or with `info` also "
        "its progress (engine ready, each delivery's method and outcome)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve.add_parser(subparsers)
    transcribe.add_parser(subparsers)
    listen.add_parser(subparsers)
    devices.add_parser(subparsers)
    ptt.add_parser(subparsers)
    models.add_parser(subparsers)
    diagnostics.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    allocator.tune()  # before any thread: the app and the engine run for hours
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_check:
        from app.commands import selfcheck

        return selfcheck.run()
    if args.command is None:
        from app.main import run

        return run(LOG_LEVELS[args.log_level])
    result: int = args.run(args)
    return result
