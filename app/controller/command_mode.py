"""Command mode in the app: a dictation whose text is an instruction for the selected text.

This object starts it (`press`, `toggle`: the command hotkey, `dictate ptt command`) as the
controller starts any dictation, with `options.command` set: delivery leaves it alone, and
this object takes over. At press it reads the selection on its own thread: the focused
field's, through the delivery's input method engine when it runs (`session`), else the X
primary selection (the window is the dictation's target, captured at press); at the end it
hands the instruction and the selection to the editor (`app.dictation.commands_mode`), off
the GUI thread, and puts a good answer over the selection (through the input method when
the selection came from it, else typed). The history keeps the original beside the result, so a
replacement can be undone by hand; a bad answer leaves the selection alone and says why.
The editor is the language model of *Settings → Cleanup* (`command_editor`); without one
it says so and touches nothing.

Signals: `edited(Edited)` when a command ended, applied or not; `notice(Notice)`, what it
did in one line, for the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.controller.bridge import Bridge
from app.controller.dictation import DictationController
from app.core.notices import Notice
from app.core.phases import recording
from app.dictation.command_editor import editor_for
from app.dictation.commands_mode import (
    INPUT_METHOD,
    Edited,
    Editor,
    Guard,
    SelectingSession,
    Selection,
    SelectionCapture,
    basic_guard,
    capture_selection,
    command,
)
from app.dictation.dictation import Dictation
from app.platform import session as desktop
from app.storage.history import History, HistoryError

NO_EDITOR = "command mode needs a language model: turn on Settings → Cleanup"
BACKEND = "command mode"


class CommandMode(QObject):
    edited = Signal(object)
    notice = Signal(object)

    def __init__(
        self, controller: DictationController, bridge: Bridge, history: History | None, x11: bool
    ) -> None:
        super().__init__()
        self.controller = controller
        self.bridge, self.history, self.x11 = bridge, history, x11
        self.x_display = desktop.detect().x_display  # X11, or XWayland beside Wayland
        self.editor: Editor | None = None  # else the language model of Settings → Cleanup
        self.guard: Guard = basic_guard
        # The input method's engine, when delivery runs one (read at each press).
        self.session: Callable[[], SelectingSession | None] = lambda: None
        self._current: tuple[Dictation, SelectionCapture] | None = None
        self._session: SelectingSession | None = None  # the current command's

    @Slot()
    def press(self) -> None:
        """Hold: what is said until the release is an instruction for the selected text."""
        self.controller.start(hands_free=False, command=True)

    @Slot()
    def toggle(self) -> None:
        if recording(self.controller.phase):
            self.controller.release()
        else:
            self.controller.start(hands_free=True, command=True)

    @Slot(object)
    def on_started(self, dictation: Dictation) -> None:
        """At press: a command dictation's selection is read now, on its own thread."""
        if not dictation.options.command:
            self._current = None
            return
        ime, x11, x_display = self.session(), self.x11, self.x_display
        if ime is not None and not ime.alive:
            ime = None
        self._current = (dictation, SelectionCapture(
            lambda: capture_selection(x11, ime, x_display)))  # fmt: skip
        self._session = ime

    @Slot(str, int)
    def on_finished(self, text: str, _row: int) -> None:
        if self._current is None:
            return
        (dictation, selection), self._current = self._current, None
        editor = self.editor or editor_for(dictation.options.cleanup)
        guard, history, session = self.guard, self.history, self._session

        def work() -> Edited:
            read = selection.result()
            if editor is None:  # nothing to replace it with: the user's engine back
                if session is not None and read.source == INPUT_METHOD:
                    session.send("end")
                return Edited(text, "", "", False, NO_EDITOR)
            window = read.window or dictation.target.result().typing_window
            found = Selection(read.text, window, read.source)
            done = command(text, found, editor, guard, session)
            if history is not None and done.original:
                keep(history, done, dictation.target.result().title)
            return done

        def failed(exc: BaseException) -> None:
            self._report(Edited(text, "", "", False, f"command mode failed: {exc}"))

        self.bridge.run(work, self._report, failed, name="command")

    def _report(self, done: Edited) -> None:
        self.notice.emit(Notice(done.summary))
        self.edited.emit(done)


def keep(history: History, done: Edited, where: str) -> None:
    """The original and (when applied) the result in the history: undo by hand. Raw text
    is left empty: *Apply my words* never renders these rows again."""
    place = f" in {where}" if where else ""
    now = time.time()
    try:
        history.add(done.original, started_at=now, duration_s=0, backend=BACKEND,
                    model=f"before “{done.instruction}”{place}")  # fmt: skip
        if done.applied:
            history.add(done.text, started_at=now, duration_s=0, backend=BACKEND,
                        model=f"after “{done.instruction}”{place}")  # fmt: skip
    except HistoryError:
        pass  # kept in memory and written later (the history says so)
