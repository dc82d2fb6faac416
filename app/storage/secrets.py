"""API keys: in the OS keyring, or where the user chose without one; never in the settings
file or a log.

Some desktops have no usable keyring (keyring's fail backend on a bare window manager or in
a container; the null backend, which forgets what it is given). `keyring_usable` says so
before anything is written, so the user can choose instead a key file readable only by them
(`keys.json`, mode 0600, in the config folder) or the environment variable that the backend
reads. Reading looks in the keyring, then in the key file. Storing several keys is all or
nothing (`store_secrets` hands back its undo), and every error is said in words: no keyring
library text, no links.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from app import paths

SERVICE = "dictate"
KEY_FILE = "keys.json"


class SecretStoreError(RuntimeError):
    """A key could not be kept; `name` is the key's (which variable to name instead)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def keyring_usable() -> bool:
    """Whether the OS keyring can keep a key (asks no question of the keyring itself)."""
    backend = keyring.get_keyring()
    return not isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring)


def key_file() -> Path:
    return paths.config_dir() / KEY_FILE


def get_secret(name: str) -> str | None:
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        value = None
    return value or _read_file().get(name) or None


def set_secret(name: str, value: str | None, *, in_file: bool = False) -> None:
    """Keep `value` (None forgets it) in the keyring, or in the key file."""
    if in_file:
        data = _read_file()
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
        _write_file(data)
        return
    if not keyring_usable():
        raise SecretStoreError("this desktop has no OS keyring to keep the key in", name)
    try:
        if value is None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(SERVICE, name)
        else:
            keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError("the OS keyring did not keep the key", name) from exc


def store_secrets(values: dict[str, str], *, in_file: bool = False) -> Callable[[], None]:
    """Keep every key of `values`, or none (the ones kept are undone when one fails);
    returns what puts the previous keys back (the caller's own later step failed)."""
    done: list[tuple[str, str | None]] = []

    def undo() -> None:
        for name, previous in reversed(done):
            with contextlib.suppress(SecretStoreError, OSError):
                set_secret(name, previous, in_file=in_file)

    for name, value in values.items():
        previous = _read_file().get(name) if in_file else _keyring_value(name)
        try:
            set_secret(name, value, in_file=in_file)
        except (SecretStoreError, OSError):
            undo()
            raise
        done.append((name, previous))
    return undo


def _keyring_value(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        return None


def _read_file() -> dict[str, str]:
    try:
        data = json.loads(key_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v}


def _write_file(data: dict[str, str]) -> None:
    """Written whole, readable and writable by the user only (0600), then moved in place."""
    path = key_file()
    temp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
