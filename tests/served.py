"""`dictate serve` as a real subprocess for tests and benchmarks, and plain HTTP to it.

The engine runs as a team would run it (its own process, its own port, signals to stop it),
so drain, exit status, logs and failover are seen from outside, as an operator sees them.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

LISTENING = re.compile(r"listening on (ws://[^\s]+)")


class Served:
    """One `dictate serve` process; `url` and `port` once it listens (model loaded)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> None:
        self._log = tempfile.NamedTemporaryFile(prefix="dictate-serve-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=dict(os.environ, HF_HUB_OFFLINE="1", **(env or {})),
        )
        self.lines: list[str] = []
        self._final_log = ""
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._listening.wait(timeout):
            self.kill()
            raise AssertionError(f"dictate serve did not start: {self.lines} {self.log()}")
        match = next(m for line in self.lines if (m := LISTENING.search(line)))
        self.url = match.group(1)
        self.port = int(self.url.split(":")[2].split("/")[0])

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if LISTENING.search(line) or "ready in" in line:
                self._listening.set()
        self._listening.set()

    def log(self) -> str:
        """What the engine logged (stderr), also after `close`."""
        if self._log.closed:
            return self._final_log
        return Path(self._log.name).read_text(errors="replace")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        self.kill()
        self._final_log = self.log()
        self._log.close()


def http_get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def metrics(port: int) -> dict[str, float]:
    """Every sample of /metrics, parsed by prometheus_client: {'name{label="v"}': value}."""
    status, text = http_get(port, "/metrics")
    assert status == 200, text
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples
