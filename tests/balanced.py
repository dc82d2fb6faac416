"""HAProxy (Debian's package) in front of `dictate serve` processes on loopback.

The same shape as `packaging/container/haproxy.cfg` (leastconn, health checks on /ready,
a tunnel timeout for WebSockets), with quick checks and redispatch so a dead engine's
reconnecting clients land on a live one. Used by the failover test and `bench.serve`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.served import Served, metrics
from tests.waiting import wait_until

CONFIG = """\
global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 2
    option redispatch 1
frontend realtime
    bind 127.0.0.1:{port}
    default_backend engines
backend engines
    balance leastconn
    option httpchk GET /ready
    http-check expect status 200
{servers}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Balancer:
    """HAProxy on a free loopback port, over the given engines; `url` is its WebSocket URL."""

    def __init__(self, engines: list[Served]) -> None:
        haproxy = shutil.which("haproxy")
        if haproxy is None:
            raise AssertionError("haproxy is not installed: run scripts/test.sh (it installs it)")
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/v1/realtime"
        servers = "\n".join(
            f"    server e{i} 127.0.0.1:{e.port} check inter 300ms fall 1 rise 1"
            for i, e in enumerate(engines)
        )
        self._dir = tempfile.TemporaryDirectory(prefix="dictate-haproxy-")
        cfg = Path(self._dir.name) / "haproxy.cfg"
        cfg.write_text(CONFIG.format(port=self.port, servers=servers))
        self.log = Path(self._dir.name) / "haproxy.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT
            )
        # Up once HAProxy has checked every engine's /ready and listens itself.
        wait_until(
            lambda: all(
                metrics(e.port).get('dictate_http_requests_total{path="/ready"}', 0) >= 2
                for e in engines
            ),
            20,
            "HAProxy checks every engine",
        )
        wait_until(self._listening, 10, "HAProxy listens")

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._dir.cleanup()
