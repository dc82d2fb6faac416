"""Command mode on a real GTK entry under openbox: the selected text, read from the X
primary selection, is replaced by the editor's answer; a bad answer (empty, a refusal, an
error, the instruction said back) leaves the selection as it was and says why."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from app.dictation.commands_mode import Editor, Selection, capture_selection, command, rewrite
from tests.delivery.desktop import Desktop, Entry, entered, needs_desktop
from tests.waiting import wait_until

pytestmark = [needs_desktop,
              pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")]  # fmt: skip

BEFORE = "hey can u send me the report"


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    yield from entered(monkeypatch, ibus=False)


def formal(instruction: str, selection: str) -> str:
    """A fake editor that does what it is told, by rule."""
    assert instruction == "make this more formal"
    return "Could you please send me the report?" if "report" in selection else selection


def selected(desktop: Desktop, title: str) -> tuple[Entry, Selection]:
    """An entry holding BEFORE with all of it selected, and the selection read at press."""
    entry = desktop.entry(title)
    desktop.xdotool("type", "--delay", "4", BEFORE)
    wait_until(lambda: entry.text == BEFORE, 20, "the text in the entry")
    desktop.xdotool("key", "ctrl+a")

    def read() -> Selection | None:
        found = capture_selection(x11=True)
        return found if found.text == BEFORE else None

    return entry, wait_until(read, 20, "the selection in the primary selection")


def test_the_selection_is_replaced_by_the_answer(desktop: Desktop) -> None:
    entry, selection = selected(desktop, "Reply")
    assert selection.window is not None and selection.window.name == "Reply"
    done = command("make this more formal", selection, formal)
    assert done.applied, done.reason
    assert done.original == BEFORE  # kept: the history holds it for undo
    wait_until(lambda: entry.text == "Could you please send me the report?", 20,
             f"the answer in place of the selection (got {entry.text!r})")  # fmt: skip


def _raises(_instruction: str, _selection: str) -> str:
    raise TimeoutError("no answer in 5 s")


BAD: dict[str, tuple[Editor, str]] = {
    "empty": (lambda _i, _s: "  ", "the answer was empty"),
    "refusal": (lambda _i, _s: "I'm sorry, but I can't help with that.",
                "the answer was a refusal"),
    "think then nothing": (lambda _i, _s: "<think>the user wants...</think>",
                           "the answer was empty"),
    "instruction back": (lambda i, _s: i.capitalize() + ".",
                         "the answer was the instruction itself"),
    "error": (_raises, "the editor failed: no answer in 5 s"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_answer_leaves_the_selection_unchanged(desktop: Desktop, case: str) -> None:
    editor, reason = BAD[case]
    entry, selection = selected(desktop, "Reply")
    done = command("make this more formal", selection, editor)
    assert not done.applied and done.reason == reason
    assert "left as it was" in done.summary
    # Typing proves the entry still holds its text, selected: a key typed now replaces it.
    assert entry.text == BEFORE
    desktop.xdotool("type", "X")
    wait_until(lambda: entry.text == "X", 20, f"the selection still selected (got {entry.text!r})")


def test_nothing_selected_or_nothing_said_asks_no_editor() -> None:
    asked: list[str] = []

    def editor(instruction: str, selection: str) -> str:
        asked.append(instruction)
        return selection

    assert rewrite("make it formal", "", editor).reason == "no text was selected"
    assert rewrite("  ", "some text", editor).reason == "no instruction was heard"
    assert asked == []
    assert command("make this more formal", Selection("text"), formal).reason == (
        "no window had the focus at press"
    )
