"""The engine inside the app: the same server on a thread of its own, on a random loopback
port with a random token, so the app has one code path for every backend."""

from __future__ import annotations

import asyncio
import threading

from app.engine.asr import ModelRegistry
from app.engine.config import ServerConfig, random_token
from app.engine.server import EngineServer


class EmbeddedEngine:
    """The engine on a thread of its own, bound to a random loopback port with a random token.

    `start` returns at once (the model loads in the background); `wait_ready` gives the URL
    and token, or raises what went wrong. `registry` holds the models it serves (by default
    one of its own).
    """

    def __init__(
        self, config: ServerConfig | None = None, registry: ModelRegistry | None = None
    ) -> None:
        self.config = config or ServerConfig(port=0)
        if self.config.token is None:
            self.config.token = random_token()
        self.server = EngineServer(self.config, registry)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_requested = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dictate-engine", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 120.0) -> tuple[str, str]:
        if not self._ready.wait(timeout):
            raise TimeoutError("the local engine did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the local engine could not start: {self._error}")
        assert self.config.token is not None
        return self.server.url, self.config.token

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the engine, also when it is still loading (it stops once loaded)."""
        self._stop_requested.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        try:
            await self.server.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        if not self._stop_requested.is_set():
            await self._stop.wait()
        await self.server.stop()
