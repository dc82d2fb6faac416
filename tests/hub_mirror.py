"""A local HTTP server that speaks the Hugging Face Hub download protocol, for HF_ENDPOINT.

It answers what huggingface_hub asks when it pulls a repository: `GET /api/models/{repo}`
(with `/revision/{rev}`, and `blobs=true` for sizes and hashes) and `HEAD`/`GET
/{repo}/resolve/{rev}/{file}` with the `X-Repo-Commit`, `ETag` and `Range` semantics of the
real hub. Faults are switched on per file: `cut_after` drops the connection once after so many
bytes, `corrupt` serves different bytes than the metadata promises, `rate` slows the body down
so that a test can cancel mid-transfer. Every request is logged with its Range header.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import huggingface_hub.constants
import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"
REPO = "dictate-test/faster-whisper-tiny.en"  # the bundled tiny.en, under another name
LFS_MIN = 1 << 20  # files over this are "LFS" (sha256 etag), as on the hub


@dataclass
class Mirror:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)
    corrupt: set[str] = field(default_factory=set)
    rate: dict[str, float] = field(default_factory=dict)  # bytes per second
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, range
    _server: ThreadingHTTPServer | None = None

    def add_repo(self, repo_id: str, directory: Path) -> None:
        self.repos[repo_id] = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        mirror = self

        class Handler(_Handler):
            owner = mirror

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def gets(self, filename: str) -> list[str]:
        """The Range header of each GET of `filename` ("" for none)."""
        return [r for m, p, r in self.requests if m == "GET" and p.endswith("/" + filename)]


def _etag(data: bytes) -> str:
    if len(data) > LFS_MIN:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    owner: Mirror
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        path = self.path.split("?")[0]
        self.owner.requests.append((self.command, path, self.headers.get("Range", "")))
        info = re.fullmatch(r"/api/models/(.+?)(?:/revision/[^/]+)?", path)
        if info and info.group(1) in self.owner.repos:
            return self._info(info.group(1))
        for repo, files in self.owner.repos.items():
            prefix = f"/{repo}/resolve/"
            if path.startswith(prefix):
                name = path[len(prefix) :].split("/", 1)[-1]
                if name in files:
                    return self._file(name, files[name], body)
        self.send_response(404)
        self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _info(self, repo: str) -> None:
        siblings = []
        for name, data in sorted(self.owner.repos[repo].items()):
            item: dict[str, object] = {"rfilename": name, "size": len(data)}
            if len(data) > LFS_MIN:
                lfs = {"size": len(data), "sha256": _etag(data), "pointerSize": 134}
                item.update(blobId="f" * 40, lfs=lfs)
            else:
                item["blobId"] = _etag(data)
            siblings.append(item)
        payload = json.dumps({"id": repo, "sha": COMMIT, "siblings": siblings}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _file(self, name: str, data: bytes, body: bool) -> None:
        etag = _etag(data)
        if name in self.owner.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start = 0
        ranged = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if ranged:
            start = int(ranged.group(1))
        self.send_response(206 if ranged else 200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{etag}"')
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data) - start))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        cut = self.owner.cut_after.pop(name, None)
        rate = self.owner.rate.get(name)
        chunk = 64 * 1024
        sent = start
        began = time.monotonic()
        try:
            while sent < len(data):
                if cut is not None and sent >= cut:
                    self.close_connection = True
                    return  # the connection drops mid-file, as a flaky network does
                end = min(len(data), sent + chunk)
                self.wfile.write(data[sent:end])
                sent = end
                if rate:
                    due = began + (sent - start) / rate
                    while time.monotonic() < due:  # pace the body, like a slow link
                        time.sleep(min(0.01, due - time.monotonic()))  # pacing
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def serve_bundled(monkeypatch: pytest.MonkeyPatch, home: Path) -> Mirror:
    """A started mirror holding the bundled tiny.en as REPO; HF_ENDPOINT points at it, the hub
    is switched back on (conftest turns it off) and DICTATE_HOME is `home`. Stop it after."""
    from app.models import store

    bundled = store.bundled_path()
    assert bundled is not None
    hub = Mirror()
    hub.add_repo(REPO, bundled)
    hub.start()
    monkeypatch.setenv("DICTATE_HOME", str(home))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    no_proxy = os.environ.get("NO_PROXY", "")
    monkeypatch.setenv("NO_PROXY", f"{no_proxy},127.0.0.1" if no_proxy else "127.0.0.1")
    return hub
