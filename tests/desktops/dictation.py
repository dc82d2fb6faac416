"""One dictation with the real app on a real desktop, as a user does it: `dictate ptt start`,
a fixture spoken into the virtual microphone, `dictate ptt stop`; then what the app said it
did and what arrived in the target window."""

from __future__ import annotations

from dataclasses import dataclass

from tests.delivery.desktop import Entry
from tests.soak.driver import SoakDriver
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

TOLERANCE = 0.5  # tiny.en on espeak's voice gets most words, not all


@dataclass(frozen=True)
class Dictated:
    said: str  # what the app reported: "delivered: True input method @... typed at the caret"
    text: str  # the transcript in the app's history
    arrived: str  # the target entry's text


def delivered_line(app: SoakDriver, after: int, timeout: float = 30) -> str:
    line: str = wait_until(
        lambda: next((x for x in app.log.lines[after:] if x.startswith("delivered:")), ""),
        timeout,
        "the app to report the delivery",
    )
    return line


def dictate(app: SoakDriver, mic: VirtualMic, entry: Entry, phrase: str) -> Dictated:
    """Dictates `phrase` into `entry` (which has the focus); checks that the words arrived
    there once: the entry holds the app's transcript, never more, and most of the words."""
    lines, before = len(app.log.lines), app.history_count()
    mic.flush()
    app.ptt("start")
    mic.play(silence(0.6) + pcm(phrase) + silence(0.3))
    wait_until(lambda: mic.idle, 60, "the speech to be played")
    app.ptt("stop")
    said = delivered_line(app, lines)
    wait_until(lambda: app.history_count() > before, 10, "the dictation in the history")
    text = app.newest_text().strip()
    assert said.startswith("delivered: True"), (said, entry.events[-5:])
    wait_until(lambda: entry.text.strip() == text, 15,
               f"{text!r} in {entry.title} (it has {entry.text!r})")  # fmt: skip
    texts = [str(e["text"]) for e in entry.events if "text" in e]
    assert max(len(t.strip()) for t in texts) <= len(text), f"more than the text: {texts}"
    assert wer(TEXTS[phrase], entry.text) <= TOLERANCE, entry.text
    return Dictated(said, text, entry.text)
