"""A loopback TCP proxy for fault injection: cut, stall or slow down a live connection."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time


class FaultProxy:
    """Forwards 127.0.0.1:`port` to the target; faults apply to the connections open now."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self.downstream_delay = 0.0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/v1/realtime") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            flowing = threading.Event()
            flowing.set()
            with self._lock:
                self._pairs.append((client, upstream, flowing))
                self.accepted += 1
            threading.Thread(
                target=self._pump, args=(client, upstream, flowing, 0.0), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, flowing, None), daemon=True
            ).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, flowing: threading.Event, delay: float | None
    ) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                flowing.wait()
                wait = self.downstream_delay if delay is None else delay
                if wait:
                    time.sleep(wait)  # pacing: the injected network latency
                dst.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Reset every open connection, as a dropped Wi-Fi or a dead NAT entry would."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream, flowing in pairs:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
            flowing.set()

    def stall(self) -> None:
        """Stop forwarding on the open connections (they stay open, silently)."""
        with self._lock:
            for _c, _u, flowing in self._pairs:
                flowing.clear()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.cut()
