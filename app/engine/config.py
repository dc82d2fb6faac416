"""What `dictate serve` can be told, in one place.

The command line (`app.commands.serve`), the app's embedded engine and the tests all build a
`ServerConfig`; none of them needs the server, the model or websockets to do so, which is why
the settings live apart from the code that serves them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.engine.models import DEFAULT_MODEL_ID


def random_token() -> str:
    """A key for a server started without one. Hex, never base64: a key that begins with
    "-" (one in 64 of `token_urlsafe`'s) is read as an option by `--api-key KEY`."""
    return secrets.token_hex(20)


@dataclass
class ServerConfig:
    """Everything `dictate serve` can be told; the limits are stated in its --help."""

    host: str = "127.0.0.1"
    port: int = 8765
    model_id: str = DEFAULT_MODEL_ID
    device: str = "auto"
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    max_sessions: int = 8
    max_message_bytes: int = 1 << 20
    idle_timeout_s: float = 300.0
    max_buffered_s: float = 300.0
    decode_workers: int = 2
    # One stream of continuous speech on 2 cores: 400 ms cost 44 % of a core, 600 ms 32 %,
    # with the newest word shown 0.5 to 0.8 s after it was said either way (bench.streaming).
    partial_interval_ms: int = 600
    shutdown_grace_s: float = 5.0
    # From the TCP connection to a client that has shown it is there: its upgrade request
    # read, admitted (waiting for the model if it still loads), answered, and a first frame
    # or pong from it. A connection that gets no further by then gives its slot back.
    handshake_timeout_s: float = 10.0
    # "status": a configuration error (model, format, VAD values) is refused with HTTP 400 at
    # the upgrade, as PROTOCOL.md says; "session": the upgrade succeeds and the error comes
    # as a fatal `failed` after `session.created`, as Together's service and SDK now do it.
    config_errors: str = "status"
