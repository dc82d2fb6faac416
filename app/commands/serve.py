"""`dictate serve`: run the local engine as a server a team (or a test) can connect to."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
import time
from typing import TYPE_CHECKING

from app.engine.models import DEFAULT_MODEL_ID

if TYPE_CHECKING:
    from app.engine.server import ServerConfig


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the local transcription engine",
        description=(
            "Serve Together's realtime transcription protocol at ws://HOST:PORT/v1/realtime, "
            "backed by faster-whisper. Limits: one message at most --max-message-bytes "
            "(a larger one ends the session with a fatal 'failed' and close 1000; over four "
            "times that the connection is dropped with close 1009); --max-sessions at once "
            "(more get HTTP 429); --max-buffered-s of audio awaiting a commit (more is "
            "finalized on its own); a session with no audio for --idle-timeout-s ends with "
            "'idle_timeout'."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks one)")
    p.add_argument(
        "--model", default=DEFAULT_MODEL_ID, help=f"model id (default {DEFAULT_MODEL_ID})"
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument(
        "--token", help="the key clients must send (default: $DICTATE_TOKEN or random)"
    )
    auth.add_argument("--no-auth", action="store_true", help="accept clients without a key")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to connect (repeatable; default none)",
    )
    p.add_argument("--max-sessions", type=int, default=8)
    p.add_argument("--max-message-bytes", type=int, default=1 << 20)
    p.add_argument("--max-buffered-s", type=float, default=300.0)
    p.add_argument("--idle-timeout-s", type=float, default=300.0)
    p.add_argument("--workers", type=int, default=2, help="decodes run at once (default 2)")
    p.set_defaults(run=run)


def config_from(args: argparse.Namespace) -> ServerConfig:
    from app.engine.server import ServerConfig

    token: str | None
    if args.no_auth:
        token = None
    else:
        token = args.token or os.environ.get("DICTATE_TOKEN") or secrets.token_urlsafe(24)
    return ServerConfig(
        host=args.host,
        port=args.port,
        model_id=args.model,
        device=args.device,
        token=token,
        allowed_origins=tuple(args.allow_origin),
        max_sessions=args.max_sessions,
        max_message_bytes=args.max_message_bytes,
        max_buffered_s=args.max_buffered_s,
        idle_timeout_s=args.idle_timeout_s,
        decode_workers=args.workers,
    )


async def _serve(config: ServerConfig) -> int:
    from app.engine.server import EngineServer

    server = EngineServer(config)
    started = time.perf_counter()
    await server.start()
    assert server.default is not None
    recognizer = server.default
    lines = [
        f"Dictate engine listening on {server.url}",
        f"model: {recognizer.model_id} ({recognizer.device}, loaded in "
        f"{recognizer.load_seconds:.2f} s; ready in {time.perf_counter() - started:.2f} s)",
        "key: none (--no-auth)" if config.token is None else f"key: {config.token}",
        "Ctrl-C stops it.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    sys.stdout.write(f"stopping: finishing {server.session_count} open session(s)\n")
    sys.stdout.flush()
    await server.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = config_from(args)
    try:
        return asyncio.run(_serve(config))
    except OSError as exc:
        sys.stderr.write(f"dictate serve: cannot listen on {config.host}:{config.port}: {exc}\n")
        return 2
    except LookupError as exc:
        sys.stderr.write(f"dictate serve: {exc}\n")
        return 2
