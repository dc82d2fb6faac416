"""API keys in the OS keyring, never in a settings file or a log.

Without a usable keyring (a headless server, a bare container) reading gives None and
writing raises `SecretStoreError` with a message that says so, so the user can fall back to
the TOGETHER_API_KEY environment variable.
"""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "dictate"


class SecretStoreError(RuntimeError):
    pass


def get_secret(name: str) -> str | None:
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        return None
    return value or None


def set_secret(name: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(
            f"no usable OS keyring to store the key in ({exc}); "
            "set the TOGETHER_API_KEY environment variable instead"
        ) from exc
