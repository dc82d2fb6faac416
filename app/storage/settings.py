"""Typed, versioned settings in a JSON file in the config directory.

Preferences only: secrets live in the keyring (`storage.secrets`) and window geometry is
Qt's business. Keys are stable; a file written by an older version is migrated field by
field (unknown keys dropped, missing ones defaulted), and a corrupt file is kept aside as
`settings.json.bad` rather than silently lost. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from app.core.words import Words, rules_from_pairs

SCHEMA_VERSION = 1

VAD_PRESETS: dict[str, dict[str, float]] = {
    "push-to-talk": {"threshold": 0.3, "min_silence_duration_ms": 800, "speech_pad_ms": 300},
    "hands-free": {"threshold": 0.3, "min_silence_duration_ms": 500, "speech_pad_ms": 250},
    "noisy room": {"threshold": 0.6, "min_silence_duration_ms": 600, "speech_pad_ms": 200},
}


@dataclass
class Settings:
    backend: str = "auto"  # auto | together | local | custom
    custom_url: str = ""
    models: dict[str, str] = field(
        default_factory=lambda: {
            "together": "openai/whisper-large-v3",
            "local": "openai/whisper-tiny.en",
            "custom": "openai/whisper-tiny.en",
        }
    )
    language: str = "en"
    microphone: str = ""  # a device name; "" is the system default
    vad_preset: str = "push-to-talk"
    vad_threshold: float = 0.3
    vad_min_silence_ms: int = 800
    vad_speech_pad_ms: int = 300
    hotkey: str = "<ctrl>+<alt>+d"
    hotkey_mode: str = "hold"  # hold | toggle
    # Hands-free (toggle mode): stop after this many seconds without speech (0: never), and
    # deliver each settled sentence as it comes instead of the whole text at the end.
    auto_stop_s: int = 30
    continuous: bool = False
    auto_copy: bool = True
    auto_paste: bool = False
    restore_clipboard: bool = False
    delivery: str = "auto"  # auto | input method | typing | paste | wayland typing | clipboard
    overlay: bool = True  # the focus-less overlay at the bottom of the screen
    sounds: bool = True
    keep_microphone_open: bool = False
    history_audio: bool = True
    history_audio_days: int = 30
    close_to_tray: bool = True
    first_run_done: bool = False  # the first-run setup was finished or skipped
    # Your words (core.words): names for the recognizer, [said, written] rules, switches.
    vocabulary: list[str] = field(default_factory=list)
    rules: list[list[str]] = field(default_factory=list)
    spoken_commands: bool = True
    spoken_punctuation: bool = False
    remove_fillers: bool = True

    def model_for(self, backend: str) -> str:
        return self.models.get(backend, "")

    def words(self) -> Words:
        """What the text pipeline applies; read at each dictation, so edits apply at once."""
        return Words(
            vocabulary=tuple(v for v in self.vocabulary if isinstance(v, str) and v.strip()),
            rules=rules_from_pairs(self.rules),
            commands=self.spoken_commands,
            spoken_punctuation=self.spoken_punctuation,
            remove_fillers=self.remove_fillers,
        )


def settings_path(config_dir: Path) -> Path:
    return config_dir / "settings.json"


def load(config_dir: Path) -> Settings:
    path = settings_path(config_dir)
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            path.replace(path.with_suffix(".json.bad"))
        return Settings()
    return _migrate(raw)


def _migrate(raw: dict[str, Any]) -> Settings:
    values = raw.get("settings", raw)
    defaults = Settings()
    known = {f.name: f for f in fields(Settings)}
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            continue
        default = getattr(defaults, name)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, type(default))
        if ok:
            chosen[name] = type(default)(value) if isinstance(default, int | float) else value
    settings = Settings(**chosen)
    settings.models = {**defaults.models, **settings.models}
    return settings


def save(config_dir: Path, settings: Settings) -> None:
    path = settings_path(config_dir)
    temp = path.with_suffix(".json.tmp")
    data = {"version": SCHEMA_VERSION, "settings": asdict(settings)}
    temp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temp, path)
