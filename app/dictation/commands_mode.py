"""Command mode: the selected text rewritten by a spoken instruction, in any app.

With text selected, the user holds the command hotkey (or runs `dictate ptt command`) and
says what to do with it ("make this more formal", "translate to German", "turn this into a
list"). The dictation's text is the *instruction*, never delivered as such; the selection
(read at press, with the window it is in) and the instruction go to an `Editor` (a language
model's chat client, wired by the cleanup step; tests give a fake one or a loopback server),
its answer goes through a guard, and only a good answer replaces the selection.

Where the selection comes from: with Dictate's IBus engine running, the focused field's own
text first (its surrounding text: the text between the cursor and the selection's anchor;
GTK's input module offers that for text views, GTK 4 on Wayland too), and a good answer is
committed through the input method (a commit into a field with a selection replaces it), on
X11 and Wayland alike; Dictate's engine stays active from the press until the command ends
(`end`). Where the field offers no selection: the X primary selection (X11), and the answer
is typed over it (typing into a field with selected text replaces it, in GTK, Qt and the
browsers alike). An empty answer, a refusal, an error or a window that lost the focus leave
the selection as it was and say why in one line; the original is kept (the history) so a
replacement can be undone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.delivery import xtest
from app.delivery.ibus import SELECT_WAIT_S, Selected

PRIMARY_TIMEOUT_S = 2.0
PRIMARY = "primary"  # Selection.source: the X primary selection
INPUT_METHOD = "input method"  # Selection.source: the focused field, through IBus


class SelectingSession(Protocol):
    """The input method's engine process, as command mode uses it (`IBusSession`)."""

    @property
    def alive(self) -> bool: ...

    def send(self, op: str, text: str = "") -> bool: ...

    def select(self, timeout: float = ...) -> Selected | None: ...

    def replace(self, text: str, timeout: float = ...) -> bool: ...


class Editor(Protocol):
    """Rewrites `selection` as `instruction` says; raises on a transport error."""

    def __call__(self, instruction: str, selection: str, /) -> str: ...


Guard = Callable[[str, str, str], str]
"""(instruction, selection, answer) -> "" to accept the answer, else why it is refused."""

_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL | re.IGNORECASE)
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|sorry[,.!]|i (?:can ?not|can't|won't|am (?:not able|unable))|"
    r"i'm (?:not able|unable)|as an ai\b|unfortunately,? i)",
    re.IGNORECASE,
)


def basic_guard(instruction: str, selection: str, answer: str) -> str:
    """The answers that must never replace the user's text: empty, a refusal, or the
    instruction said back. The cleanup step's fuller guard can stand in for it."""
    text = answer.strip()
    if not text:
        return "the answer was empty"
    if _REFUSAL.match(text):
        return "the answer was a refusal"
    if text.lower().strip(" .!") == instruction.lower().strip(" .!"):
        return "the answer was the instruction itself"
    del selection
    return ""


@dataclass(frozen=True)
class Selection:
    """The text selected at press and the window it was selected in."""

    text: str
    window: xtest.Window | None = None
    source: str = ""  # PRIMARY, INPUT_METHOD, "" when nothing was read


def primary_selection(timeout: float = PRIMARY_TIMEOUT_S) -> str:
    """Blocking: the X primary selection (the text selected now, in any app), "" when none
    or when it cannot be read."""
    if not shutil.which("xclip"):
        return ""
    try:
        done = subprocess.run(["xclip", "-o", "-selection", "primary"], capture_output=True,
                              timeout=timeout, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def capture_selection(
    x11: bool, session: SelectingSession | None = None, x_display: bool = False
) -> Selection:
    """Blocking: the selection and its window at press: the focused field's, through the
    input method when `session` runs and the field offers a selection (Dictate's engine then
    stays active until `finish_in_field` ends it); else the X primary selection: on X11,
    typed over; on Wayland with XWayland (`x_display`), whose compositor hands the Wayland
    apps' primary selection to X, committed through the input method into the field
    focused at press; else nothing."""
    window = xtest.active_window() if x11 else None
    if session is not None and session.alive:
        found = session.select()
        if found is not None and found.text:
            return Selection(found.text, window, INPUT_METHOD)
        if not x11 and x_display and found is not None and found.field:
            primary = primary_selection()
            if primary:
                return Selection(primary, None, INPUT_METHOD)
        session.send("end")  # no selection there: the user's engine back now
    if not x11:
        return Selection("")
    return Selection(primary_selection(), window, PRIMARY)


class SelectionCapture:
    """The selection read now on its own thread (the press never waits); `result()` waits
    for it off the GUI thread, bounded."""

    def __init__(self, read: Callable[[], Selection]) -> None:
        self._found = Selection("")
        self._done = threading.Event()
        threading.Thread(target=self._run, args=(read,), name="selection", daemon=True).start()

    def _run(self, read: Callable[[], Selection]) -> None:
        try:
            self._found = read()
        finally:
            self._done.set()

    def result(self, timeout: float = SELECT_WAIT_S + PRIMARY_TIMEOUT_S + 1) -> Selection:
        self._done.wait(timeout)
        return self._found


@dataclass(frozen=True)
class Edited:
    """What command mode did: `applied` when `text` replaced `original`, else `reason`."""

    instruction: str
    original: str
    text: str
    applied: bool
    reason: str = ""

    @property
    def summary(self) -> str:
        if self.applied:
            return f"the selection was replaced ({self.instruction!r})"
        return f"the selection was left as it was: {self.reason}"


def rewrite(instruction: str, selection: str, editor: Editor, guard: Guard = basic_guard) -> Edited:
    """Ask the editor, and keep its answer only when the guard accepts it."""
    instruction = " ".join(instruction.split())
    if not selection.strip():
        return Edited(instruction, selection, "", False, "no text was selected")
    if not instruction:
        return Edited(instruction, selection, "", False, "no instruction was heard")
    try:
        answer = _THINK.sub("", editor(instruction, selection)).strip()
    except Exception as exc:  # the editor's transport: a timeout, HTTP, a dead server
        return Edited(instruction, selection, "", False, f"the editor failed: {exc}")
    why = guard(instruction, selection, answer)
    if why:
        return Edited(instruction, selection, "", False, why)
    return Edited(instruction, selection, answer, True)


def replace_selection(edited: Edited, window: xtest.Window | None) -> Edited:
    """Blocking: type an accepted answer over the selection in `window` (it must still have
    the focus); anything else leaves the selection alone. Returns what happened."""
    if not edited.applied:
        return edited
    why = ""
    if window is None:
        why = "no window had the focus at press"
    else:
        active = xtest.active_window()
        if active is None or active.id != window.id:
            why = f"the focus moved to {active.label if active else 'no window'}"
        else:
            why = xtest.type_text(edited.text) or ""
    if not why:
        return edited
    return Edited(edited.instruction, edited.original, "", False, why)


def finish_in_field(edited: Edited, session: SelectingSession) -> Edited:
    """Blocking: an accepted answer committed through the input method over the selection
    it read; anything else commits nothing. Either way the user's engine is put back."""
    try:
        if not edited.applied or session.replace(edited.text):
            return edited
        why = "the field with the selection no longer has the focus"
        return Edited(edited.instruction, edited.original, "", False, why)
    finally:
        session.send("end")


def command(
    instruction: str,
    selection: Selection,
    editor: Editor,
    guard: Guard = basic_guard,
    session: SelectingSession | None = None,
) -> Edited:
    """Blocking (the editor, xdotool or the input method): the whole command, from
    instruction to replacement; `session` is the one the selection was read through."""
    edited = rewrite(instruction, selection.text, editor, guard)
    if selection.source == INPUT_METHOD and session is not None:
        return finish_in_field(edited, session)
    return replace_selection(edited, selection.window)
