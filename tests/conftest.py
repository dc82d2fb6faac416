"""Test-wide settings (no display, no model hub, no user keyring) and the shared real engine."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from app.audio import devices
from app.engine.config import ServerConfig
from app.engine.embedded import EmbeddedEngine
from tests.virtual_mic import VirtualMic

# Property tests draw the same examples on every run: a failure is found by reading the
# code or by running with --hypothesis-seed, never by a lucky CI run.
settings.register_profile("dictate", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("dictate")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Under pytest-xdist: a file (or the machine-wide folders together) is a unit of work,
    the longest first (`tests.workers`)."""
    from tests.workers import Units

    config.option.loadscopereorder = False  # the queue keeps the collection's order
    return Units(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On an xdist worker, the tests in the order their units are queued (`rank`): stable,
    and the same on every worker, as xdist requires. A plain run keeps the files' order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.workers import rank

        items.sort(key=lambda item: rank(item.nodeid))


@dataclass(frozen=True)
class Engine:
    url: str
    token: str
    embedded: EmbeddedEngine


def start_engine(**overrides: object) -> Engine:
    config = ServerConfig(port=0, **overrides)  # type: ignore[arg-type]
    embedded = EmbeddedEngine(config)
    embedded.start()
    url, token = embedded.wait_ready(120)
    return Engine(url, token, embedded)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    running = start_engine(max_sessions=6)
    yield running
    running.embedded.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own DICTATE_HOME (its tmp_path): settings, history, logs and keys written
    there, never in the user's home."""
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def mic() -> Iterator[VirtualMic]:
    """The PulseAudio virtual microphone at 48 kHz, with a null sink so sounds really play;
    PortAudio lists devices afresh before and after. PortAudio lets go of any stream a test
    left open while PulseAudio still runs: closing a stream whose server is gone can hang
    inside the ALSA PulseAudio plugin."""
    virtual = VirtualMic(48000, speakers=True)
    virtual.start()
    devices.refresh()
    yield virtual
    devices.refresh()
    virtual.stop()
    devices.refresh()
