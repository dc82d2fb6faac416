"""Pulling models from a local mirror that speaks the Hub protocol (tests/hub_mirror.py).

The mirror serves the bundled tiny.en files under another repository name; every test pulls
them into a fresh DICTATE_HOME with the real huggingface_hub session, then checks what the
store installed (or, on failure, that it installed nothing).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import cli
from app.engine.models import ModelNotAvailableError, resolve
from app.models import download, store
from tests.hub_mirror import REPO, Mirror, serve_bundled
from tests.speech import TEXTS, pcm, silence, wer
from tests.wire import RawSession


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    hub = serve_bundled(monkeypatch, tmp_path / "home")
    yield hub
    hub.stop()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pull_reports_progress_and_installs_identical_files(
    mirror: Mirror, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[download.Progress] = []
    model = download.Pull(REPO, seen.append).run()
    bundled = store.bundled_path()
    assert bundled is not None
    total = sum(p.stat().st_size for p in bundled.iterdir() if p.is_file())
    assert seen[-1].done == seen[-1].total == total
    assert [p.done for p in seen] == sorted(p.done for p in seen)  # never goes backwards
    assert len(seen) > 10 and max(p.rate for p in seen) > 0
    assert _sha(model.path / "model.bin") == _sha(bundled / "model.bin")
    assert store.get(REPO) == model and model.english_only
    assert not store.partial_dir(REPO).exists()
    assert cli.main(["models", "list"]) == 0
    assert REPO in capsys.readouterr().out


def test_an_interrupted_transfer_resumes_with_a_range_request(mirror: Mirror) -> None:
    mirror.cut_after["model.bin"] = 30_000_000  # the connection drops once, mid-file
    model = download.Pull(REPO).run()
    ranges = mirror.gets("model.bin")
    assert ranges[0] == "" and len(ranges) == 2
    resumed_at = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 30_000_000
    bundled = store.bundled_path()
    assert bundled is not None
    assert _sha(model.path / "model.bin") == _sha(bundled / "model.bin")


def test_cancel_installs_nothing_and_the_next_pull_resumes(mirror: Mirror) -> None:
    second: list[str] = []

    def cancel_past_20_mb(progress: download.Progress) -> None:
        if progress.done > 10_000_000 and not second:  # a second pull of it meanwhile
            with pytest.raises(download.DownloadError) as refused:
                download.Pull(REPO).run()
            second.append(str(refused.value))
        if progress.done > 20_000_000:
            pull.cancel()

    pull = download.Pull(REPO, cancel_past_20_mb)
    with pytest.raises(download.Cancelled, match="resumes at"):
        pull.run()
    assert store.get(REPO) is None  # a half-downloaded model is never offered
    assert second == [f"{REPO} is already being downloaded"]
    with pytest.raises(ModelNotAvailableError):
        resolve(REPO)  # nor loaded by the engine
    part = store.partial_dir(REPO) / "model.bin.part"
    kept = part.stat().st_size
    assert kept > 0
    download.Pull(REPO).run()
    assert mirror.gets("model.bin")[-1] == f"bytes={kept}-"
    assert store.get(REPO) is not None


def test_a_corrupted_file_is_rejected_and_not_installed(mirror: Mirror) -> None:
    mirror.corrupt.add("model.bin")
    with pytest.raises(download.Corrupted, match=r"model\.bin sha256 .* differs"):
        download.Pull(REPO).run()
    assert store.get(REPO) is None
    assert not (store.root() / store.dir_name(REPO)).exists()
    assert not (store.partial_dir(REPO) / "model.bin.part").exists()
    mirror.corrupt.clear()
    assert download.Pull(REPO).run().name == REPO  # a clean pull afterwards works


def test_not_enough_free_space_is_refused_before_the_first_byte(mirror: Mirror) -> None:
    """Free space given to the check (10 MB, injected): nothing is fetched."""
    pull = download.Pull(REPO, free_bytes=lambda _path: 10_000_000)
    with pytest.raises(download.NoSpace, match=r"needs 128 MB free .* only 10 MB"):
        pull.run()
    assert mirror.gets("model.bin") == []


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real 60 MB tmpfs as the data dir (root only; skipped where mount is not allowed)."""
    where = tmp_path / "small"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=60m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    monkeypatch.setenv("DICTATE_HOME", str(where))
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_is_reported_and_nothing_is_installed(mirror: Mirror, small_disk: Path) -> None:
    with pytest.raises(download.NoSpace, match=r"needs 128 MB free .* only 6\d MB"):
        download.Pull(REPO).run()  # the real check sees the tmpfs's real free space
    # The check fooled (told there is room): the disk really fills up mid-transfer.
    with pytest.raises(download.NoSpace, match="the disk is full"):
        download.Pull(REPO, free_bytes=lambda _path: 10**12).run()
    assert store.get(REPO) is None


def test_offline_and_unreachable_hubs_say_so(
    mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(download.Unreachable, match="HF_HUB_OFFLINE=1"):
        download.Pull(REPO).run()
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    mirror.stop()
    with pytest.raises(download.Unreachable, match=r"cannot reach .* Are you offline"):
        download.Pull(REPO).run()
    with pytest.raises(download.DownloadError, match="unknown model 'huge-v9'"):
        download.Pull("huge-v9")


def test_delete_removes_the_model_and_the_bundled_one_stays(
    mirror: Mirror, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["models", "pull", REPO]) == 0
    pulled = capsys.readouterr()
    assert "(100%) at " in pulled.err and f"installed {REPO} (78.1 MB)" in pulled.out
    model = store.get(REPO)
    assert model is not None
    assert cli.main(["models", "rm", REPO]) == 0
    assert not model.path.exists() and store.get(REPO) is None
    assert cli.main(["models", "rm", REPO]) == 1
    assert cli.main(["models", "rm", "tiny.en"]) == 2
    assert "bundled" in capsys.readouterr().err
    assert store.get("openai/whisper-tiny.en") is not None


def test_the_engine_serves_the_pulled_model_to_a_real_session(
    mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import start_engine

    download.Pull(REPO).run()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the engine needs no network for it
    engine = start_engine(model_id=REPO)
    try:
        assert engine.embedded.server.default is not None
        assert str(store.root()) in engine.embedded.server.default.spec.path
        s = RawSession(engine.url, engine.token, {"model": REPO})
        assert s.created is not None and s.created["session"]["model"] == REPO
        s.stream(pcm("fox") + silence(0.3), pace=None)
        _events, text = s.commit_and_wait(60)
        s.close()
        assert wer(TEXTS["fox"], text) <= 0.35, text
    finally:
        engine.embedded.stop()


def test_a_dead_proxy_is_named_in_the_message(mirror: Mirror) -> None:
    import huggingface_hub

    with pytest.MonkeyPatch.context() as env:
        env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        env.setenv("NO_PROXY", "")
        huggingface_hub.close_session()  # the hub's client reads the proxy variables anew
        try:
            with pytest.raises(
                download.Unreachable, match=r"proxy in HTTP_PROXY=http://127\.0\.0\.1:9"
            ):
                download.Pull(REPO).run()
        finally:
            env.undo()
            huggingface_hub.close_session()
    assert download.Pull(REPO).run().name == REPO  # without the proxy it works again
