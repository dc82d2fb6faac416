"""A history row as the app shows it, and the history exported as text, Markdown or JSON.

Kept apart from the database (`storage.history`) so the rows' meaning (which text was
delivered, which is the other one) reads in one place.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class Dictation:
    id: int
    started_at: float
    duration_s: float
    text: str
    backend: str
    model: str
    status: str  # "ok" or "failed"
    error: str
    has_audio: bool
    raw: str = ""  # the recognizer's segments, one a line; "" in rows from before it was kept
    rendered: str = ""  # after the user's words; "" in rows from before it was kept
    cleaned: str = ""  # the language model's cleanup, when one was kept
    note: str = ""  # why cleanup was not used, in one line

    @property
    def delivered(self) -> str:
        """Which text was delivered: "cleaned" or "rendered"."""
        return "cleaned" if self.cleaned and self.text == self.cleaned else "rendered"

    @property
    def other(self) -> str:
        """The text that was not delivered ("" when there is no other)."""
        other = self.rendered if self.delivered == "cleaned" else self.cleaned
        return other if other != self.text else ""

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.started_at).strftime("%Y-%m-%d %H:%M")


def export(items: list[Dictation], fmt: str) -> str:
    """`text`, `markdown` or `json`, oldest first."""
    ordered = sorted(items, key=lambda d: d.started_at)
    if fmt == "json":
        return json.dumps([asdict(d) for d in ordered], indent=2)
    if fmt == "markdown":
        parts = ["# Dictations", ""]
        for d in ordered:
            mark = " (failed)" if d.status != "ok" else ""
            parts += [f"## {d.when}{mark}", "", d.text or "_no text_", ""]
        return "\n".join(parts)
    if fmt == "text":
        return "\n\n".join(d.text for d in ordered if d.text) + "\n"
    raise ValueError(f"unknown export format {fmt!r}")
