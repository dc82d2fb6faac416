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


# The folders whose tests share the machine's own state: the installed package (its IBus
# component file, /usr/bin/dictate) changes what every ibus-daemon that the desktop and
# delivery tests start finds. They run on one worker, in order, never beside each other.
MACHINE_WIDE = ("delivery", "desktops", "packaging")
TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`, as scripts/test.sh runs the suite): a file's
    tests stay on one worker, so its module fixtures (an engine, a desktop) start once; the
    machine-wide folders form one group. Without xdist the mark does nothing."""
    for item in items:
        relative = item.path.relative_to(TESTS)
        top = relative.parts[0]
        group = "machine-wide" if top in MACHINE_WIDE else relative.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))


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
