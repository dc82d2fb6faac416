"""The GUI tests' keyrings: a real `keyring` backend in memory (`vault`), and none at all
(`no_keyring`: keyring's fail backend, as on a desktop without a Secret Service). Both give
the test its own DICTATE_HOME and no key from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.file_keyring import MemoryKeyring


def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path))
    for variable in ("DICTATE_API_KEY", "TOGETHER_API_KEY"):  # unset, and so again after
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    _own_home(tmp_path, monkeypatch)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """keyring's fail backend; yields the test's DICTATE_HOME."""
    _own_home(tmp_path, monkeypatch)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield tmp_path
    keyring.set_keyring(previous)
