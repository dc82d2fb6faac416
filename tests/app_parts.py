"""The backend of the GUI tests' app: the local engine of the suite (tests/conftest.py's
`engine`), with its model and key. tests/gui/conftest.py's `make_app` builds the app on it."""

from __future__ import annotations

from app.backends import Backend
from tests.conftest import Engine


def local_backend(engine: Engine, token: str | None = None) -> Backend:
    """The suite's engine as the app's local backend; `token` replaces its key (a wrong key)."""
    return Backend("local", "openai/whisper-tiny.en", engine.url, token or engine.token)
