"""Measured speed of each installed model on this machine, kept for the picker and `list`.

`dictate models bench` writes one record per model to `models/speed.json` in the data dir;
the picker shows it next to the size, so a user chooses by what this machine can do. A
model decoding at under half real time keeps partial results flowing while one speaks.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from app.models import store

LIVE_RTF = 0.5  # decode time / audio time at or under which live text keeps up


@dataclass(frozen=True)
class Speed:
    name: str
    device: str
    load_s: float
    rtf: float  # decode seconds per second of audio
    final_s: float  # decode time of the clip, what a commit waits for (p50)

    @property
    def live_ok(self) -> bool:
        return self.rtf <= LIVE_RTF

    def verdict(self) -> str:
        live = "live text OK" if self.live_ok else "too slow for live text (finals only)"
        return f"{self.name}: {self.rtf:.2f}x real time, final in {self.final_s:.2f} s: {live}"


def load() -> dict[str, Speed]:
    try:
        raw = json.loads((store.root() / "speed.json").read_text(encoding="utf-8"))
        return {k: Speed(**v) for k, v in raw.items()}
    except (OSError, ValueError, TypeError):
        return {}


def save(result: Speed) -> None:
    known = load()
    known[result.name] = result
    root = store.root()
    root.mkdir(parents=True, exist_ok=True)
    temp = root / "speed.json.tmp"
    temp.write_text(json.dumps({k: asdict(v) for k, v in known.items()}, indent=2), "utf-8")
    os.replace(temp, root / "speed.json")
