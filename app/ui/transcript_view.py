"""The transcript pane: earlier dictations as editable text, the current one at the end.

The current dictation's settled text uses the normal style and its live partial a muted
italic one; both are rewritten in place as events arrive. While a dictation runs the pane is
read-only (typing into a region that is being rewritten would be lost); afterwards every
word can be edited and selected.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit, QWidget


class TranscriptView(QTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.setPlaceholderText("Hold the button (or F8) and speak. Your words appear here.")
        font = self.font()
        font.setPointSize(font.pointSize() + 3)
        self.setFont(font)
        self._start: int | None = None  # where the current dictation begins
        self._normal = QTextCharFormat()
        self._live = QTextCharFormat()
        self._live.setForeground(QColor(120, 120, 130))
        self._live.setFontItalic(True)

    def begin_dictation(self) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self.setTextCursor(cursor)
        self._start = cursor.position()
        self.setReadOnly(True)

    def show_dictation(self, final: str, live: str) -> None:
        if self._start is None:
            self.begin_dictation()
        assert self._start is not None
        cursor = self.textCursor()
        cursor.setPosition(self._start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        text = final or live
        lead = " " if self._start > 0 and text and not text.startswith("\n") else ""
        cursor.insertText(lead + final, self._normal)
        if live:
            glue = final and not final.endswith("\n") and live[:1] not in "\n,.;:!?"
            cursor.insertText((" " if glue else "") + live, self._live)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def end_dictation(self, final: str) -> None:
        self.show_dictation(final, "")
        self._start = None
        self.setReadOnly(False)

    def all_text(self) -> str:
        return self.toPlainText()

    def clear_all(self) -> None:
        self._start = None
        self.setReadOnly(False)
        self.clear()
