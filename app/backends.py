"""Which server a dictation talks to: Together's cloud, the local engine, or a custom URL.

The default is Together when a key is available (TOGETHER_API_KEY, or the OS keyring), else
the local engine, started in this process on a random loopback port with a random token. A
custom server (a team's `dictate serve`) takes its key from --api-key, DICTATE_API_KEY, or
the keyring entry the Settings dialog writes, in that order. (Without an OS keyring the
Settings dialog may keep a key in the user's key file instead: `storage.secrets`.)
Whatever is chosen, `describe()` says so in words: users must always know where their
voice goes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from app.engine.models import DEFAULT_MODEL_ID
from app.platform import logfile
from app.storage.secrets import get_secret

if TYPE_CHECKING:  # the engine and the client load on first use: `dictate ptt` stays quick
    from app.audio.files import FileSource
    from app.engine.embedded import EmbeddedEngine
    from app.realtime.client import RealtimeClient
    from app.realtime.config import ClientConfig
    from app.realtime.events import ClientEvent, DictationResult
    from app.storage.settings import Settings

TOGETHER_URL = "wss://api.together.ai/v1"
TOGETHER_MODEL = "openai/whisper-large-v3"
# Together's realtime transcription models (docs/protocol-notes.md), offered in Settings.
TOGETHER_MODELS = (
    "openai/whisper-large-v3",
    "nvidia/parakeet-tdt-0.6b-v3",
    "nvidia/nemotron-3-asr-streaming-0.6b",
    "nvidia/nemotron-3.5-asr-streaming-0.6b",
)
TOGETHER_KEY_NAME = "together_api_key"
CUSTOM_KEY_NAME = "custom_api_key"
# The environment variable each stored key stands in for: what a message tells a user to set.
KEY_VARIABLES = {TOGETHER_KEY_NAME: "TOGETHER_API_KEY", CUSTOM_KEY_NAME: "DICTATE_API_KEY"}
BACKENDS = ("together", "local", "custom")  # the servers a dictation can talk to
AUTO = "auto"
CHOICES = (AUTO, *BACKENDS)  # what the settings may name (Settings, the first-run setup)


def resolve(name: str, has_together_key: bool) -> str:
    """The one "auto" rule: Together when a key is there, else the engine on this computer;
    any other name is itself."""
    if name != AUTO:
        return name
    return "together" if has_together_key else "local"


def together_key() -> str | None:
    key = os.environ.get(KEY_VARIABLES[TOGETHER_KEY_NAME]) or get_secret(TOGETHER_KEY_NAME)
    logfile.redact(key)  # whatever is logged later, this value is masked
    return key


def custom_key() -> str | None:
    """The key for a custom server: DICTATE_API_KEY, else the keyring's."""
    return os.environ.get(KEY_VARIABLES[CUSTOM_KEY_NAME]) or get_secret(CUSTOM_KEY_NAME)


@dataclass
class Backend:
    name: str
    model: str
    url: str = ""
    api_key: str | None = None
    engine: EmbeddedEngine | None = field(default=None, repr=False)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """For the local engine: wait until the model is loaded and the port is open."""
        if self.engine is not None and not self.url:
            self.url, self.api_key = self.engine.wait_ready(timeout)

    def describe(self) -> str:
        if self.name == "together":
            return f"Together AI ({self.model})"
        if self.name == "local":
            where = f" at {urlsplit(self.url).netloc}" if self.url else ", starting"
            loaded = self.engine.server.registry.loaded(self.model) if self.engine else None
            device = ""
            if loaded is not None:  # which device decodes: the status line says it
                device = " on CUDA" if loaded.device == "cuda" else " on CPU"
            return f"local engine ({self.model}{device}{where})"
        return f"custom server {self.url} ({self.model})"

    def client_config(self, **overrides: object) -> ClientConfig:
        from app.realtime.config import ClientConfig

        self.wait_ready()
        options: dict[str, object] = {
            "url": self.url,
            "model": self.model,
            "api_key": self.api_key,
            "commit_ack": True if self.name == "local" else None,
        }
        options.update(overrides)
        return ClientConfig(**options)  # type: ignore[arg-type]

    def switch_model(self, model: str) -> str:
        """The local engine loads `model` beside the current one, without a restart; new
        dictations use it once it is loaded, and those started meanwhile get the old one at
        once. Blocks while loading: call it on a worker thread."""
        if self.engine is not None:
            recognizer = self.engine.server.registry.get(model)
            self.model = model
            took = recognizer.load_seconds
            return f"now using {model} ({recognizer.device}, loaded in {took:.1f} s)"
        self.model = model
        return f"now using {model}"

    def close(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None


def choose_backend(
    name: str | None = None,
    *,
    url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    key_lookup: Callable[[], str | None] = together_key,
) -> Backend:
    """The backend asked for, or the default; the local engine starts loading at once."""
    if url:
        check_url(url)
    if url and name in (None, "custom"):
        return Backend("custom", model or DEFAULT_MODEL_ID, url, api_key or custom_key())
    if name in (None, AUTO):
        api_key = api_key or key_lookup()
        name = resolve(AUTO, bool(api_key))
    if name == "together":
        key = api_key or key_lookup()
        return Backend("together", model or TOGETHER_MODEL, url or TOGETHER_URL, key)
    if name == "local":
        from app.engine.config import ServerConfig
        from app.engine.embedded import EmbeddedEngine

        engine = EmbeddedEngine(ServerConfig(port=0, model_id=model or DEFAULT_MODEL_ID))
        engine.start()
        return Backend("local", model or DEFAULT_MODEL_ID, engine=engine)
    if name == "custom":
        raise ValueError("the custom backend needs --url")
    raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")


def backend_for(settings: Settings) -> Backend:
    """The backend the settings ask for ("auto" by `resolve`). Reads the keyring and may
    start an engine: call it off the GUI thread."""
    name = resolve(settings.backend, bool(together_key()))
    url = settings.custom_url if name == "custom" else None
    return choose_backend(name, url=url, model=settings.model_for(name) or None)


def check_url(url: str) -> str:
    """`url` when it is a WebSocket address; else a ValueError that says what to write."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss") and parts.netloc:
        return url
    if scheme in ("http", "https") and parts.netloc:
        fixed = urlunsplit(parts._replace(scheme="ws" if scheme == "http" else "wss"))
        raise ValueError(
            f"{url} is an {scheme}:// address, but the realtime protocol runs over WebSocket: "
            f"use {fixed}"
        )
    raise ValueError(f"{url} is not a WebSocket address: write ws://HOST:PORT/v1 (wss:// for TLS)")


def test_key(key: str, *, url: str = TOGETHER_URL, model: str = TOGETHER_MODEL) -> str:
    """Open one session with `key` and close it; says in words whether the key works."""
    import websocket

    from app.realtime.errors import from_handshake
    from app.realtime.protocol import realtime_url

    if not key:
        return "enter a key first"
    try:
        check_url(url)
    except ValueError as exc:
        return str(exc)
    try:
        ws = websocket.create_connection(
            realtime_url(url, model),
            header=[f"Authorization: Bearer {key}"],
            timeout=8,
            suppress_origin=True,
        )
    except Exception as exc:
        return f"not accepted: {from_handshake(exc, url)}"
    try:
        first = ws.recv()
    except Exception as exc:
        return f"connected, but no session started: {exc}"
    finally:
        ws.close()
    return "the key works" if "session.created" in str(first) else f"unexpected answer: {first!r}"


def realtime_client(
    config: ClientConfig, on_event: Callable[[ClientEvent], None] | None = None
) -> RealtimeClient:
    """A client for `config` (its prompt, the vocabulary, goes out before any audio)."""
    from app.realtime.client import RealtimeClient

    return RealtimeClient(config, on_event)


def stream_pcm(client: RealtimeClient, pcm: bytes, *, realtime: bool) -> DictationResult:
    """Send 16 kHz PCM through `client` like a microphone would (or at full speed) and
    return the final result; Ctrl-C stops sending and still finishes what was sent."""
    from app.audio.files import FileSource

    return stream_source(client, FileSource(pcm, realtime=realtime))


def stream_source(client: RealtimeClient, source: FileSource) -> DictationResult:
    """Send what `source` holds through `client` and return the final result. The source
    waits while the client's queue is full (a file can; a microphone cannot), so at full
    speed nothing is dropped however long the recording; Ctrl-C stops sending and still
    finishes what was sent."""
    client.start()
    source.start(client.offer_audio)  # a file waits while the queue is full: nothing dropped
    try:
        source.wait()
    except KeyboardInterrupt:
        source.stop()
        source.wait(10)
    return client.finish(timeout=60 + source.seconds)
