"""`dictate serve`: run the local engine as a server a team (or a test) can connect to."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

from app.engine.models import DEFAULT_MODEL_ID

log = logging.getLogger("app.commands.serve")

if TYPE_CHECKING:
    from app.engine.config import ServerConfig


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
            "'idle_timeout'. Plain HTTP on the same port: GET /health (alive), GET /ready "
            "(200 when a session would be accepted, 503 while loading, draining or full) and "
            "GET /metrics (Prometheus). SIGTERM or Ctrl-C drains: new sessions are refused "
            "and /ready answers 503, open sessions carry on for up to --drain-timeout-s, "
            "then get their pending finals and a fatal 'server_shutdown'; the exit status is 0."
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
    p.add_argument(
        "--handshake-timeout-s",
        type=float,
        default=10.0,
        help=(
            "a connection that has not become a session by then is closed: its request "
            "read and admitted (waiting for the model while it loads), and the client heard "
            "from after the upgrade (default 10)"
        ),
    )
    p.add_argument(
        "--drain-timeout-s",
        type=float,
        default=30.0,
        help="on SIGTERM, how long open sessions may go on before they are ended (default 30)",
    )
    p.add_argument(
        "--config-errors",
        choices=("status", "session"),
        default="status",
        help=(
            "how a bad model, format or VAD value is refused: 'status' answers the upgrade "
            "with HTTP 400 (PROTOCOL.md); 'session' accepts it and sends a fatal 'failed' "
            "after 'session.created', as Together's service does (default status)"
        ),
    )
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text or as JSON objects, one a line (default text)",
    )
    p.set_defaults(run=run)


def config_from(args: argparse.Namespace) -> ServerConfig:
    from app.engine.config import ServerConfig, random_token

    token: str | None
    if args.no_auth:
        token = None
    else:
        token = args.token or os.environ.get("DICTATE_TOKEN") or random_token()
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
        handshake_timeout_s=args.handshake_timeout_s,
        config_errors=args.config_errors,
    )


async def _serve(config: ServerConfig, drain_timeout_s: float, key_given: bool) -> int:
    from app.engine.server import EngineServer

    server = EngineServer(config)
    started = time.perf_counter()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    assert server.default is not None
    recognizer = server.default
    lines = [
        f"Dictate engine listening on {server.url}",
        f"model: {recognizer.model_id} ({recognizer.device}: {recognizer.device_note}; loaded in "
        f"{recognizer.load_seconds:.2f} s; ready in {time.perf_counter() - started:.2f} s)",
        _key_line(config.token, key_given),
        "Ctrl-C stops it.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    await stop.wait()
    server.begin_drain()
    log.info("draining: %d open session(s), up to %.0f s", server.session_count, drain_timeout_s)
    sys.stdout.write(f"stopping: finishing {server.session_count} open session(s)\n")
    sys.stdout.flush()
    drained_at = time.perf_counter()
    if not await server.wait_idle(drain_timeout_s):
        log.info("drain timeout: ending %d session(s)", server.session_count)
    await server.stop()
    log.info("stopped after draining for %.2f s", time.perf_counter() - drained_at)
    return 0


def _key_line(token: str | None, given: bool) -> str:
    """The key is shown only when it was made up here: nobody else could know it."""
    if token is None:
        return "key: none (--no-auth)"
    if given:
        return "key: as given (--token or $DICTATE_TOKEN)"
    return f"key: {token} (random; set --token or $DICTATE_TOKEN to choose one)"


def run(args: argparse.Namespace) -> int:
    from app.commands.logformat import configure

    configure(args.log_format)
    config = config_from(args)
    key_given = bool(args.token or os.environ.get("DICTATE_TOKEN"))
    try:
        return asyncio.run(_serve(config, args.drain_timeout_s, key_given))
    except OSError as exc:
        sys.stderr.write(f"dictate serve: cannot listen on {config.host}:{config.port}: {exc}\n")
        return 2
    except LookupError as exc:
        sys.stderr.write(f"dictate serve: {exc}\n")
        return 2
