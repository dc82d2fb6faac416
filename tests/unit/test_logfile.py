"""The log a user can send: rotated, masked, and a native crash lands in it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import diagnostics
from app.platform import logfile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Path]:
    handlers = len(logging.getLogger().handlers)
    yield logfile.install(tmp_path)
    logfile.uninstall()
    assert len(logging.getLogger().handlers) == handlers
    assert sys.excepthook is sys.__excepthook__


def test_warnings_are_written_and_keys_are_masked(installed: Path) -> None:
    logfile.redact("sk-live-123456")
    log = logging.getLogger("app.test")
    log.info("an info line stays out")
    log.warning("refused with key %s", "sk-live-123456")
    log.warning("GET wss://host/v1/realtime?model=m&api_key=abcdef&x=1")
    log.error("headers: Authorization: Bearer tok-987")
    text = installed.read_text()
    assert "an info line" not in text
    assert "refused with key ***" in text
    assert "api_key=***&x=1" in text and "Bearer ***" in text
    for secret in ("sk-live-123456", "abcdef", "tok-987"):
        assert secret not in text


def test_the_log_rotates_and_keeps_three_old_files(
    installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "x" * 1000
    for _ in range(5 * logfile.MAX_BYTES // 1000):
        logging.getLogger("app.test").warning(line)
    files = sorted(p.name for p in installed.parent.glob("dictate.log*"))
    assert files == ["dictate.log", "dictate.log.1", "dictate.log.2", "dictate.log.3"]
    assert all(p.stat().st_size <= logfile.MAX_BYTES for p in installed.parent.glob("dictate*"))


def test_a_native_crash_is_reported_by_the_next_start(tmp_path: Path) -> None:
    crash = textwrap.dedent(
        f"""
        import faulthandler, pathlib
        from app.platform import logfile
        logfile.install(pathlib.Path({str(tmp_path)!r}))
        faulthandler._sigsegv()
        """
    )
    died = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, capture_output=True, check=False)
    assert died.returncode != 0
    assert "Segmentation fault" in (tmp_path / logfile.CRASH_NAME).read_text()
    report = diagnostics.report(backend="local engine", microphone="", state_dir=tmp_path)
    assert "crash report" in report and "Segmentation fault" in report
    restart = textwrap.dedent(
        f"""
        import pathlib
        from app.platform import logfile
        logfile.install(pathlib.Path({str(tmp_path)!r}))
        logfile.uninstall()
        """
    )
    subprocess.run([sys.executable, "-c", restart], cwd=ROOT, check=True)
    log = (tmp_path / logfile.LOG_NAME).read_text()
    assert "the previous run crashed" in log and "Segmentation fault" in log
    assert (tmp_path / logfile.CRASH_NAME).read_text() == ""  # read once, not reported again


def test_an_uncaught_exception_in_a_thread_is_logged(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import pathlib, threading
        from app.platform import logfile
        logfile.install(pathlib.Path({str(tmp_path)!r}))
        def boom():
            raise ValueError("worker broke")
        t = threading.Thread(target=boom, name="worker"); t.start(); t.join()
        logfile.uninstall()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "worker broke" in done.stderr  # still printed, as Python does
    log = (tmp_path / logfile.LOG_NAME).read_text()
    assert "uncaught exception in thread worker" in log and "ValueError: worker broke" in log


def test_diagnostics_name_versions_backend_microphone_and_the_log(installed: Path) -> None:
    logging.getLogger("app.test").warning("the microphone delivers pure silence")
    text = diagnostics.report(
        backend="local engine (openai/whisper-tiny.en)",
        microphone="USB Mic",
        state_dir=installed.parent,
    )
    assert text.startswith("Dictate ")
    assert "PySide6-Essentials: 6." in text and "ctranslate2: " in text
    assert "Backend: local engine (openai/whisper-tiny.en)" in text
    assert "Microphone: USB Mic" in text
    assert text.rstrip().endswith("the microphone delivers pure silence")


def test_dictate_diagnostics_prints_the_report_in_a_terminal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / logfile.LOG_NAME).write_text("2026 WARNING app: refused: Bearer abc123\n")
    done = subprocess.run(
        [sys.executable, "-m", "app", "diagnostics", "--lines", "5"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "DICTATE_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Dictate ") and "Backend: auto (settings)" in done.stdout
    assert "refused: Bearer ***" in done.stdout and "abc123" not in done.stdout


def test_the_apps_progress_is_written_when_asked_and_the_level_comes_back(
    tmp_path: Path,
) -> None:
    app = logging.getLogger("app")
    before = app.level
    path = logfile.install(tmp_path, logging.INFO)
    try:
        logging.getLogger("app.main").info("engine ready")
        logging.getLogger("app.test").debug("a debug line stays out")
        logging.getLogger("faster_whisper").info("a library's chatter stays out")
    finally:
        logfile.uninstall()
    text = path.read_text()
    assert " INFO MainThread app.main: engine ready" in text
    assert "debug line" not in text and "chatter" not in text
    assert app.level == before
