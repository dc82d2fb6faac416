"""The app as the GUI tests build it: every real part, on the suite's local engine, with a
unique instance name so parallel or leftover instances never answer each other."""

from __future__ import annotations

import time
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.backends import Backend
from app.dictation.run import Source
from app.main import Parts, build
from app.storage.settings import Settings
from tests.conftest import Engine


def local_app(
    qtbot: QtBot,
    engine: Engine,
    settings: Settings,
    *,
    source: Callable[[], Source] | None = None,
    name: str = "app",
) -> Parts:
    """`source` stands in for the microphone; without it the real microphone factory runs."""
    backend = Backend("local", "openai/whisper-tiny.en", engine.url, engine.token)
    parts = build(settings, source_factory=source, backend=backend,
                  instance_name=f"dictate-{name}-{time.monotonic_ns()}")  # fmt: skip
    qtbot.addWidget(parts.window)
    return parts
