"""Typed, versioned settings in a JSON file in the config directory.

Preferences only: secrets live in the keyring (`storage.secrets`) and window geometry is
Qt's business. Keys are stable; a file written by an older version is migrated field by
field (unknown keys dropped, missing ones defaulted). A damaged file is never silently lost:
`recover` (the app's start) keeps a copy of it (`settings.json.bad`, then `.bad-2`, ... so an
earlier copy is never overwritten), keeps every value that can still be read, writes those
back and says what happened in words; `load` (the commands) reads the same values and leaves
the file alone. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from app.core.words import Words, rules_from_pairs

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

VAD_PRESETS: dict[str, dict[str, float]] = {
    "push-to-talk": {"threshold": 0.3, "min_silence_duration_ms": 800, "speech_pad_ms": 300},
    "hands-free": {"threshold": 0.3, "min_silence_duration_ms": 500, "speech_pad_ms": 250},
    "noisy room": {"threshold": 0.6, "min_silence_duration_ms": 600, "speech_pad_ms": 200},
}


def default_profiles() -> list[dict[str, Any]]:
    """Terminals (all the ones `app.dictation.profiles` knows): one verbatim line."""
    return [{"name": "Terminals", "apps": ["terminals"], "style": "verbatim", "language": "",
             "vocabulary": [], "one_line": True, "delivery": ""}]  # fmt: skip


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
    auto_copy: bool = False  # the clipboard is the user's: text that reached an app is not copied
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
    # Learned corrections (app.dictation.corrections): [said, written, times seen] pairs
    # suggested from the user's edits in the history, promoted to rules when they recur.
    corrections: list[list[Any]] = field(default_factory=list)
    # Per-app profiles (app.dictation.profiles) as tables, first match first.
    profiles: list[dict[str, Any]] = field(default_factory=default_profiles)
    # Command mode: a second hotkey; the selection is rewritten by the spoken instruction.
    command_hotkey: str = "<ctrl>+<alt>+e"
    # Cleanup by a language model (dictation.cleanup): off unless turned on. URL and model
    # per provider ("" is the provider's own); the key is in the keyring, never here.
    cleanup: bool = False
    cleanup_provider: str = "together"
    cleanup_urls: dict[str, str] = field(default_factory=dict)
    cleanup_models: dict[str, str] = field(default_factory=dict)
    cleanup_timeout_s: float = 4.0
    cleanup_style: str = "clean"
    cleanup_instructions: str = ""

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


# The settings whose value must be one of a few words; a stored other is a damaged value.
CHOICES: dict[str, tuple[str, ...]] = {
    "backend": ("auto", "together", "local", "custom"),
    "hotkey_mode": ("hold", "toggle"),
    "cleanup_provider": ("together", "openai", "ollama", "llama.cpp", "lm studio", "custom"),
    "cleanup_style": ("verbatim", "clean", "message", "email", "notes", "own"),
}


@dataclass(frozen=True)
class Loaded:
    """What was read: the settings to use, and what in the file could not be used.

    `damage` is "" for a good (or absent) file, else what was wrong, in words; `bad_values`
    names the settings whose stored value was unusable (the others were kept); `kept` is the
    damaged file's copy, `problem` why no copy could be kept."""

    settings: Settings
    damage: str = ""
    bad_values: tuple[str, ...] = ()
    kept: Path | None = None
    problem: str = ""

    @property
    def message(self) -> str:
        """The damage in words for the window, "" when there was none."""
        if not self.damage:
            return ""
        if self.kept is None:
            where = f"no copy could be kept ({self.problem}); the file was left as it is"
        else:
            where = f"kept as {self.kept}"
        used = "defaults in use"
        if self.bad_values:
            used = f"defaults in use for {', '.join(self.bad_values)}; your other settings kept"
        return f"your settings file was damaged ({self.damage}); {where}; {used}"


def load(config_dir: Path) -> Settings:
    """The settings in the file, or the defaults; a damaged file is read as far as it can be
    and left as it is (`recover` keeps a copy and says so)."""
    return read(config_dir).settings


def read(config_dir: Path) -> Loaded:
    """The file's settings and what in it could not be used; touches nothing on disk."""
    path = settings_path(config_dir)
    if not path.exists():
        return Loaded(Settings())
    # A file that exists was written by an earlier start: the first-run setup is not new.
    damaged = Settings(first_run_done=True)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return Loaded(damaged, "it is not text")
    except ValueError as exc:
        return Loaded(damaged, f"not valid JSON: {exc}")
    except OSError as exc:
        return Loaded(damaged, f"it cannot be read: {exc.strerror or exc}")
    values = raw.get("settings", raw) if isinstance(raw, dict) else None
    if not isinstance(values, dict):
        return Loaded(damaged, "it does not hold settings")
    settings, bad = _migrate(values)
    if not bad:
        return Loaded(settings)
    if "first_run_done" in bad:
        settings.first_run_done = True
    names = ", ".join(f"'{name}'" for name in bad)
    return Loaded(settings, f"a bad value for {names}", tuple(bad))


def recover(config_dir: Path) -> Loaded:
    """`read`, and for a damaged file: a copy kept beside it (never over an earlier copy), the
    readable values written back so the next start finds a good file, and a log line."""
    loaded = read(config_dir)
    if not loaded.damage:
        return loaded
    path = settings_path(config_dir)
    try:
        kept = _keep_copy(path)
    except OSError as exc:
        loaded = replace(loaded, problem=exc.strerror or str(exc))
        log.warning("%s", loaded.message)
        return loaded
    loaded = replace(loaded, kept=kept)
    log.warning("%s", loaded.message)
    try:
        save(config_dir, loaded.settings)
    except OSError as exc:
        log.warning("the repaired settings could not be written to %s: %s", path, exc)
    return loaded


def _keep_copy(path: Path) -> Path:
    """Copy `path` to the first free `settings.json.bad`, `settings.json.bad-2`, ..."""
    data = path.read_bytes()
    for number in range(1, 10000):
        copy = path.with_name(f"{path.name}.bad" + (f"-{number}" if number > 1 else ""))
        try:
            with copy.open("xb") as out:  # exclusive: an earlier copy is never replaced
                out.write(data)
        except FileExistsError:
            continue
        return copy
    raise OSError(f"too many damaged copies beside {path}")


def _migrate(values: dict[str, Any]) -> tuple[Settings, list[str]]:
    """The known values of the right kind (a list or table keeps its good entries); and the
    names of those that were not, in full."""
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    chosen: dict[str, Any] = {}
    bad: list[str] = []
    for name, value in values.items():
        if name not in known:
            continue  # a setting an older version had: dropped
        default = getattr(defaults, name)
        usable, whole = _usable(name, value, default)
        if usable is not None:
            chosen[name] = usable
        if not whole:
            bad.append(name)
    settings = Settings(**chosen)
    settings.models = {**defaults.models, **settings.models}
    return settings, bad


def _usable(name: str, value: object, default: object) -> tuple[Any, bool]:
    """(what of `value` can be used, None for nothing; whether all of it could)."""
    if isinstance(default, bool):
        return (value, True) if isinstance(value, bool) else (None, False)
    if isinstance(default, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return type(default)(value), True
        return None, False
    if not isinstance(value, type(default)):
        return None, False
    if name in CHOICES:
        return (value, True) if value in CHOICES[name] else (None, False)
    if isinstance(value, dict):
        good = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
        return good, len(good) == len(value)
    if name == "vocabulary" and isinstance(value, list):
        words = [v for v in value if isinstance(v, str)]
        return words, len(words) == len(value)
    return value, True


def save(config_dir: Path, settings: Settings) -> None:
    path = settings_path(config_dir)
    temp = path.with_suffix(".json.tmp")
    data = {"version": SCHEMA_VERSION, "settings": asdict(settings)}
    temp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temp, path)
