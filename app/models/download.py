"""Pulling a model from the Hugging Face Hub (or a mirror) into the store, safely.

One `Pull` fetches one model: it asks the hub for the file list with sizes and hashes
(`model_info(files_metadata=True)`), checks the free disk space before the first byte, then
downloads each file into the model's staging directory as `<file>.part`: an interrupted or
cancelled pull resumes from where it stopped (HTTP Range), in the same run or the next one.
huggingface_hub 2.x `hf_hub_download` retries within one call but deletes its process-unique
`.incomplete` file on any failure, so a cancel would lose everything: the transfer here uses
huggingface_hub's URL scheme, headers, session and errors, and keeps the part file itself.
Every file is checked against the hub's sha256 (LFS files) or git blob id, and its size; a
mismatch discards that file and installs nothing. Only a verified model is moved into the
store, in one rename. Proxies come from the standard variables (HTTPS_PROXY, NO_PROXY; the
session reads them), mirrors from HF_ENDPOINT.

Nothing here runs inside the engine: the engine only loads what the store says is installed.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.models import catalog, store

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
SPACE_MARGIN = 50 * catalog.MB  # room for metadata and the filesystem's own needs
CHUNK = 256 * 1024
RETRIES = 4  # a dropped connection is retried from where it stopped, this many times


def _transient() -> tuple[type[BaseException], ...]:
    import httpx2

    return (httpx2.TransportError,)


class DownloadError(Exception):
    """A failed pull, in words a user can act on."""


class Cancelled(DownloadError):
    pass


class Corrupted(DownloadError):
    pass


class NoSpace(DownloadError):
    pass


class Unreachable(DownloadError):
    pass


@dataclass(frozen=True)
class Progress:
    """Bytes of the whole model so far; `rate` in bytes per second over the last seconds."""

    name: str
    done: int
    total: int
    rate: float
    file: str

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None  # LFS files
    blob_id: str | None  # git's sha1 of the blob, for small files


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def repo_for(name: str) -> tuple[str, str]:
    """(install name, repo id): a catalogue name, or any `org/repo` holding a CTranslate2 model."""
    entry = catalog.find(name)
    if entry is not None:
        return entry.name, entry.repo_id
    if "/" in name.strip("/") and not name.startswith("openai/"):
        return name.strip("/"), name.strip("/")
    known = ", ".join(catalog.names())
    raise DownloadError(f"unknown model {name!r}: choose one of {known}, or an org/repo id")


def _wanted(filename: str) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(filename, pattern) for pattern in catalog.ALLOW_PATTERNS)


def _explain(exc: BaseException, where: str) -> DownloadError:
    """The one sentence a user needs: offline, proxy, full disk, missing model, or the cause."""
    if isinstance(exc, DownloadError):
        return exc
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return NoSpace(f"the disk is full while downloading into {store.root()}: free some space")
    try:
        import httpx2 as httpx  # huggingface_hub's HTTP client
        from huggingface_hub.errors import (
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError:  # pragma: no cover - both are dependencies
        return DownloadError(str(exc))
    if isinstance(exc, OfflineModeIsEnabled):
        return Unreachable("downloads are off (HF_HUB_OFFLINE=1): unset it to pull models")
    if isinstance(exc, RepositoryNotFoundError | RevisionNotFoundError):
        return DownloadError(f"{where} has no such model repository")
    proxy = _proxy(where)
    if isinstance(exc, httpx.ProxyError) and proxy:
        return Unreachable(f"the proxy in {proxy} refused the connection to {where}: {exc}")
    if isinstance(exc, httpx.TransportError):
        via = f" (through the proxy in {proxy})" if proxy else ""
        return Unreachable(
            f"cannot reach {where}{via}: {exc or type(exc).__name__}. "
            "Are you offline? A mirror can be set with HF_ENDPOINT"
        )
    return DownloadError(f"{where}: {exc}")


def _proxy(url: str) -> str:
    """The proxy variable that applies to `url` ("HTTPS_PROXY=http://..."), or ""."""
    import urllib.request

    scheme = url.split(":", 1)[0]
    proxies = urllib.request.getproxies()
    host = url.split("/")[2] if url.count("/") >= 2 else ""
    if not proxies.get(scheme) and not proxies.get("all"):
        return ""
    if urllib.request.proxy_bypass(host.split(":")[0]):
        return ""
    name = f"{scheme.upper()}_PROXY" if proxies.get(scheme) else "ALL_PROXY"
    return f"{name}={proxies.get(scheme) or proxies.get('all')}"


def _git_blob_sha1(path: Path) -> str:
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, remote: RemoteFile) -> str | None:
    """None when the file is what the hub says; else what is wrong with it."""
    size = path.stat().st_size
    if size != remote.size:
        return f"{remote.name} has {size} bytes, the hub says {remote.size}"
    if remote.sha256:
        got = _sha256(path)
        if got != remote.sha256:
            want = remote.sha256
            return f"{remote.name} sha256 {got[:12]}... differs from the hub's {want[:12]}..."
    elif remote.blob_id:
        got = _git_blob_sha1(path)
        if got != remote.blob_id:
            want = remote.blob_id
            return f"{remote.name} git hash {got[:12]}... differs from the hub's {want[:12]}..."
    return None


class Pull:
    """One model download; `run` blocks (call it on a worker thread), `cancel` is thread-safe.

    `free_bytes` is injectable for tests and defaults to `shutil.disk_usage` of the store.
    """

    def __init__(
        self,
        name: str,
        on_progress: Callable[[Progress], None] | None = None,
        free_bytes: Callable[[Path], int] | None = None,
    ) -> None:
        self.name, self.repo_id = repo_for(name)
        self.on_progress = on_progress
        self.free_bytes = free_bytes or (lambda p: shutil.disk_usage(p).free)
        self._cancel = threading.Event()
        self._done = 0
        self._total = 0
        self._file = ""
        self._window: list[tuple[float, int]] = []

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def files(self) -> tuple[str, list[RemoteFile]]:
        """(commit, files to fetch) from the hub's metadata."""
        from huggingface_hub import HfApi

        info = HfApi(endpoint=endpoint()).model_info(self.repo_id, files_metadata=True)
        found = [
            RemoteFile(
                s.rfilename,
                int(s.lfs.size if s.lfs else s.size or 0),
                s.lfs.sha256 if s.lfs else None,
                s.blob_id,
            )
            for s in info.siblings or []
            if _wanted(s.rfilename)
        ]
        if not any(f.name == "model.bin" for f in found):
            raise DownloadError(f"{self.repo_id} has no model.bin: not a CTranslate2 Whisper model")
        return str(info.sha or "main"), found

    def run(self) -> store.InstalledModel:
        where = f"{endpoint()}/{self.repo_id}"
        if offline():
            raise Unreachable("downloads are off (HF_HUB_OFFLINE=1): unset it to pull models")
        try:
            return self._run()
        except BaseException as exc:
            raise _explain(exc, where) from exc

    def _run(self) -> store.InstalledModel:
        from filelock import FileLock, Timeout

        revision, remote = self.files()
        staging = store.partial_dir(self.name)
        staging.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(staging.parent / f"{staging.name}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise DownloadError(f"{self.name} is already being downloaded") from None
        try:
            return self._locked(revision, remote, staging)
        finally:
            lock.release()

    def _locked(
        self, revision: str, remote: list[RemoteFile], staging: Path
    ) -> store.InstalledModel:
        self._total = sum(f.size for f in remote)
        have = _on_disk(staging, [f.name for f in remote])
        needed = self._total - have + SPACE_MARGIN
        free = self.free_bytes(staging)
        if free < needed:
            raise NoSpace(
                f"{self.name} needs {needed / 1e6:.0f} MB free in {store.root()}, "
                f"only {free / 1e6:.0f} MB are: free some space first"
            )
        self._done = 0
        for item in remote:
            self._fetch(item, revision, staging)
        return store.install(self.name, staging, self.repo_id, revision)

    def _fetch(self, item: RemoteFile, revision: str, staging: Path) -> None:
        """One file into `staging/<file>`: resumed from `<file>.part`, verified, then renamed."""
        self._file = item.name
        start = self._done
        target = staging / item.name
        if not (target.is_file() and verify(target, item) is None):
            part = staging / f"{item.name}.part"
            for attempt in range(RETRIES + 1):
                try:
                    self._transfer(item, revision, part, start)
                    break
                except _transient() as exc:
                    if attempt == RETRIES:
                        raise
                    log.warning("%s: %s; resuming (%d/%d)", item.name, exc, attempt + 1, RETRIES)
                    time.sleep(min(8.0, 0.5 * 2**attempt))  # back off before the next try
            problem = verify(part, item)
            if problem is not None:
                part.unlink(missing_ok=True)
                raise Corrupted(f"{problem}: the download was discarded and nothing was installed")
            os.replace(part, target)
        self._done = start + item.size
        self._report()

    def _transfer(self, item: RemoteFile, revision: str, part: Path, start: int) -> None:
        """GET the rest of the file (HTTP Range from what `part` holds) through huggingface_hub's
        session, which carries its headers and honours the proxy variables."""
        from huggingface_hub import get_session, hf_hub_url, hf_raise_for_status
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

        url = hf_hub_url(self.repo_id, item.name, revision=revision, endpoint=endpoint())
        have = part.stat().st_size if part.exists() else 0
        if have > item.size:
            part.unlink()
            have = 0
        if have == item.size:
            return
        headers = build_hf_headers()
        headers["Accept-Encoding"] = "identity"
        if have:
            headers["Range"] = f"bytes={have}-"
        with get_session().stream(
            "GET", url, headers=headers, follow_redirects=True, timeout=30.0
        ) as response:
            hf_raise_for_status(response)
            mode = "ab"
            if have and response.status_code == 200:  # the server ignored Range: start over
                have, mode = 0, "wb"
            self._advance(start + have)
            with part.open(mode) as out:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    have += len(chunk)
                    self._advance(start + have)
                    if self._cancel.is_set():
                        raise Cancelled(
                            f"the download of {self.name} was cancelled; "
                            f"pulling it again resumes at {human_bytes(start + have)}"
                        )

    def _advance(self, done: int) -> None:
        self._done = done
        self._report()

    def _report(self) -> None:
        now = time.monotonic()
        self._window.append((now, self._done))
        while len(self._window) > 2 and now - self._window[0][0] > 3.0:
            self._window.pop(0)
        first_t, first_done = self._window[0]
        rate = (self._done - first_done) / (now - first_t) if now > first_t else 0.0
        if self.on_progress is not None:
            self.on_progress(Progress(self.name, self._done, self._total, rate, self._file))


def _on_disk(staging: Path, filenames: list[str]) -> int:
    """Bytes already here: finished files and the `.part` files an earlier pull left."""
    total = 0
    for name in filenames:
        for candidate in (staging / name, staging / f"{name}.part"):
            if candidate.is_file():
                total += candidate.stat().st_size
    return total


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "kB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
