"""Errors a user can act on. Each says what happened in words and what fixes it.

The realtime client raises or reports these; the app turns `action` (a `Fix`) into a button
("Set API key...", "Retry") and the command line prints `message` and exits non-zero.
"""

from __future__ import annotations

from enum import Enum


class Fix(Enum):
    """What fixes an error: the window shows `value` on a button and dispatches on the member."""

    NONE = ""
    RETRY = "Retry"
    SET_KEY = "Set API key..."
    OPEN_SETTINGS = "Open settings..."
    CHOOSE_MICROPHONE = "Choose microphone..."


class DictationError(Exception):
    """Base class: `message` for people, `action` for the fix, `retryable` for the client."""

    action = Fix.NONE
    retryable = False
    exit_code = 1

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message


class AuthError(DictationError):
    """The server refused the key (401/403): never retried in a loop."""

    action = Fix.SET_KEY
    exit_code = 3


class ConfigError(DictationError):
    """The server refused the model, format or a setting (400)."""

    action = Fix.OPEN_SETTINGS
    exit_code = 4


class TransientError(DictationError):
    """Rate limit, server trouble or network: worth another try after a pause."""

    action = Fix.RETRY
    retryable = True
    exit_code = 5


class ServerError(DictationError):
    """The server ended the session with a fatal error we cannot retry."""

    action = Fix.RETRY
    exit_code = 6


class ConnectionLostError(DictationError):
    """Reconnecting failed for good; the dictation's audio is kept for a later retry."""

    action = Fix.RETRY
    exit_code = 5


class AudioInputError(DictationError):
    """The microphone could not be opened or went away."""

    action = Fix.CHOOSE_MICROPHONE
    exit_code = 7
