"""The one "auto" rule and the one list of backends, and that every place offering them agrees."""

from __future__ import annotations

from app import backends
from app.backends import AUTO, BACKENDS, CHOICES, resolve
from app.storage import settings


def test_auto_is_together_with_a_key_else_the_local_engine() -> None:
    assert resolve(AUTO, has_together_key=True) == "together"
    assert resolve(AUTO, has_together_key=False) == "local"
    for name in BACKENDS:  # a named backend is itself, key or not
        assert resolve(name, has_together_key=True) == name
        assert resolve(name, has_together_key=False) == name


def test_auto_with_a_key_builds_together_without_starting_an_engine() -> None:
    backend = backends.choose_backend(AUTO, key_lookup=lambda: "sk-test")
    assert backend.name == "together" and backend.engine is None


def test_the_settings_and_the_windows_offer_the_same_backends() -> None:
    from app.ui.backend_page import BACKEND_LABELS
    from app.ui.first_run import BACKEND_WORDS

    assert settings.CHOICES["backend"] == CHOICES
    assert tuple(BACKEND_LABELS) == CHOICES
    assert set(BACKEND_WORDS) == set(BACKENDS)
