"""Errors a user can act on. Each says what happened in words and what fixes it.

The realtime client raises or reports these; the app turns `action` into a button
("Set API key...", "Retry") and the command line prints `message` and exits non-zero.
"""

from __future__ import annotations


class DictationError(Exception):
    """Base class: `message` for people, `action` for the fix, `retryable` for the client."""

    action = ""
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

    action = "Set API key..."
    exit_code = 3


class ConfigError(DictationError):
    """The server refused the model, format or a setting (400)."""

    action = "Open settings..."
    exit_code = 4


class TransientError(DictationError):
    """Rate limit, server trouble or network: worth another try after a pause."""

    action = "Retry"
    retryable = True
    exit_code = 5


class ServerError(DictationError):
    """The server ended the session with a fatal error we cannot retry."""

    action = "Retry"
    exit_code = 6


class ConnectionLostError(DictationError):
    """Reconnecting failed for good; the dictation's audio is kept for a later retry."""

    action = "Retry"
    exit_code = 5


class AudioInputError(DictationError):
    """The microphone could not be opened or went away."""

    action = "Choose microphone..."
    exit_code = 7
