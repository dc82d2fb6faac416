"""A Wayland compositor's registry and nothing else, on a real Unix socket: it answers
`wl_display.get_registry` + `wl_display.sync` with one `wl_registry.global` per interface it
was given and the `wl_callback.done`, as sway or mutter do. For the unit tests of the probe
(`app.delivery.wayland_registry`); the real compositors are in tests/desktops/."""

from __future__ import annotations

import contextlib
import socket
import struct
import tempfile
import threading
from pathlib import Path


def _event(obj: int, opcode: int, payload: bytes) -> bytes:
    return struct.pack("=II", obj, (8 + len(payload)) << 16 | opcode) + payload


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("=I", len(raw)) + raw.ljust((len(raw) + 3) // 4 * 4, b"\0")


def answer(interfaces: dict[str, int]) -> bytes:
    """What a compositor sends back: the globals, then `done` on the sync's callback (id 3)."""
    out = b"".join(
        _event(2, 0, struct.pack("=I", name) + _string(interface) + struct.pack("=I", version))
        for name, (interface, version) in enumerate(interfaces.items(), start=1)
    )
    return out + _event(3, 0, struct.pack("=I", 1)) + _event(1, 1, struct.pack("=I", 3))


class FakeCompositor:
    """Serves `interfaces` to every client; `silent` accepts and never answers. `requests`
    holds the bytes each client sent."""

    def __init__(self, interfaces: dict[str, int], *, silent: bool = False) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="wayland-"))
        self.path = self.folder / "wayland-9"
        self.interfaces = interfaces
        self.silent = silent
        self.requests: list[bytes] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(self.path))
        self.server.listen(4)
        self._closing = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def env(self) -> dict[str, str]:
        return {"XDG_RUNTIME_DIR": str(self.folder), "WAYLAND_DISPLAY": self.path.name}

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with client:
                sent = b""
                while len(sent) < 24:  # get_registry (12 bytes) and sync (12 bytes)
                    chunk = client.recv(64)
                    if not chunk:
                        break
                    sent += chunk
                self.requests.append(sent)
                if self.silent:
                    self._closing.wait(5)
                    continue
                client.sendall(answer(self.interfaces))

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            self.server.close()
        self.path.unlink(missing_ok=True)
        self.folder.rmdir()
