"""What the GUI tests share: the app as `dictate` builds it (`make_app`, closed after the test),
and their keyrings: a real `keyring` backend in memory (`vault`), and none at all
(`no_keyring`: keyring's fail backend, as on a desktop without a Secret Service). Both keyrings
give the test its own DICTATE_HOME (the suite's `home`) and no key from the environment."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import keyring
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from app.backends import Backend
from app.dictation.run import Source
from app.main import Parts, build
from app.storage.settings import Settings
from app.ui.settings_dialog import SettingsDialog
from tests.file_keyring import MemoryKeyring


class MakeApp(Protocol):
    def __call__(
        self,
        settings: Settings | None = None,
        *,
        source: Callable[[], Source] | None = None,
        backend: Backend | None = None,
        name: str = "app",
        show: bool = False,
    ) -> Parts: ...


@pytest.fixture
def make_app(qtbot: QtBot) -> Iterator[MakeApp]:
    """Builds the app with every real part (`app.main.build`). `settings` None reads the
    settings file of DICTATE_HOME as `dictate` does; `backend` None chooses it from the
    settings (tests/app_parts.py's `local_backend` is the suite's engine); `source` stands in
    for the microphone. Each app gets a unique instance name, so leftover instances never
    answer each other. After the test every app's instance server and history are closed (a
    second close, after a test's own `shutdown()`, does nothing)."""
    built: list[Parts] = []

    def make(
        settings: Settings | None = None,
        *,
        source: Callable[[], Source] | None = None,
        backend: Backend | None = None,
        name: str = "app",
        show: bool = False,
    ) -> Parts:
        parts = build(settings, source_factory=source, backend=backend,
                      instance_name=f"dictate-test-{name}-{time.monotonic_ns()}")  # fmt: skip
        built.append(parts)
        qtbot.addWidget(parts.window)
        if show:
            parts.window.show()
        return parts

    yield make
    for parts in built:
        parts.instance.close()
        if parts.history is not None:
            parts.history.close()


def open_settings_dialog(qtbot: QtBot, parts: Parts) -> SettingsDialog:
    """Settings as the user opens it: the device list and the keyring asked off the GUI
    thread, then the dialog."""
    parts.actions.open_settings()
    qtbot.waitUntil(lambda: parts.actions.dialog is not None, timeout=10000)
    dialog = parts.actions.dialog
    assert dialog is not None
    return dialog


def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("DICTATE_API_KEY", "TOGETHER_API_KEY"):  # unset, and so again after
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)


@pytest.fixture
def vault(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    _no_key_in_env(monkeypatch)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """keyring's fail backend; yields the test's DICTATE_HOME."""
    _no_key_in_env(monkeypatch)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield home
    keyring.set_keyring(previous)
