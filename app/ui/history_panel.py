"""The history: search, copy, delete, export and Retry of saved dictations.

A dictation cleaned by a language model shows which text was delivered (cleaned or as
heard, with the reason cleanup was not used); *Use the other* copies the other text and
marks it the delivered one; *Clean again* asks the cleanup set in Settings once more.

Reads and writes run on background threads through the bridge; the panel only renders rows
it is handed. Search waits for a pause in typing (`SEARCH_DEBOUNCE_MS`, as qutebrowser's
throttle does) and only the newest query's rows are shown, so a slow, older answer never
overwrites a newer one. Signals: `retry_requested(int row)`, `rerender_requested()` (render every
dictation again from its raw text with today's words, after a rule change),
`clean_requested(int row)` (clean the row's text again), `edited(int row, str before, str
after)` (the user corrected a dictation's text: corrections are learned from it,
`app.dictation.corrections`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.storage.history import Dictation, History, export
from app.ui.services import Background

SEARCH_DEBOUNCE_MS = 150
FORMATS = {"Text (*.txt)": "text", "Markdown (*.md)": "markdown", "JSON (*.json)": "json"}


class HistoryPanel(QDialog):
    retry_requested = Signal(int)
    rerender_requested = Signal()
    edited = Signal(int, str, str)
    clean_requested = Signal(int)

    def __init__(self, history: History, bridge: Background, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dictate — history")
        self.resize(620, 480)
        self.history, self.bridge = history, bridge
        self.rows: list[Dictation] = []
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your dictations")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._debounce.start)
        self._asked = 0  # the newest search's number: older answers are dropped
        self.searches = 0  # searches run (the tests count them)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._selection_changed)
        self.info = QLabel("")
        buttons = QHBoxLayout()
        self.copy = QPushButton("Copy")
        self.delete = QPushButton("Delete")
        self.edit = QPushButton("Edit…")
        self.edit.setToolTip("Correct the text; a fix you make twice becomes a rule")
        self.retry = QPushButton("Retry")
        self.retry.setToolTip("Transcribe the saved audio again with the current backend")
        self.clean = QPushButton("Clean again")
        self.clean.setToolTip("Clean this dictation's text with the cleanup set in Settings")
        self.other = QPushButton("Use the other")
        self.other.setToolTip("Copy the text that was not delivered (cleaned, or as heard)")
        self.export_button = QPushButton("Export…")
        self.rerender = QPushButton("Apply my words")
        self.rerender.setToolTip("Render every dictation again with today's vocabulary and rules")
        self.rerender.clicked.connect(self.rerender_requested)
        buttons.addWidget(self.rerender)
        for button, slot in (
            (self.copy, self._copy),
            (self.edit, self._edit),
            (self.delete, self._delete),
            (self.retry, self._retry),
            (self.clean, self._clean_again),
            (self.other, self._use_other),
            (self.export_button, self._export),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        self._selection_changed(-1)

    @Slot()
    def refresh(self) -> None:
        self._debounce.stop()
        self._asked += 1
        self.searches += 1
        number, query, history = self._asked, self.search.text(), self.history

        def found(rows: list[Dictation]) -> None:
            if number == self._asked:
                self.show_rows(rows)

        def failed(exc: BaseException) -> None:
            if number == self._asked:
                self.info.setText(f"could not read the history: {exc}")

        self.bridge.run(lambda: history.search(query), found, failed, name="history-search")

    def _written(self, _result: object) -> None:
        self.refresh()

    def show_rows(self, rows: list[Dictation]) -> None:
        self.rows = rows
        self.list.clear()
        for d in rows:
            mark = "  ⚠ failed" if d.status != "ok" else ""
            if d.cleaned or d.note:
                mark += f" · {d.delivered}" + (f" ({d.note})" if d.note else "")
            text = d.text or "(no text)"
            item = QListWidgetItem(f"{d.when} · {d.duration_s:.1f} s · {d.backend}{mark}\n{text}")
            item.setData(Qt.ItemDataRole.UserRole, d.id)
            self.list.addItem(item)
        problem = self.history.problem  # read-only: said where the count is
        self.info.setText(f"{len(rows)} dictation(s)" + (f" — {problem}" if problem else ""))
        self._selection_changed(self.list.currentRow())

    def selected(self) -> Dictation | None:
        index = self.list.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @Slot(int)
    def _selection_changed(self, _index: int) -> None:
        chosen = self.selected()
        for button in (self.copy, self.delete, self.edit):
            button.setEnabled(chosen is not None)
        self.retry.setEnabled(chosen is not None and chosen.has_audio)
        self.other.setEnabled(chosen is not None and bool(chosen.other))
        self.clean.setEnabled(chosen is not None and bool(chosen.text))

    @Slot()
    def _clean_again(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.info.setText("cleaning again…")
            self.clean_requested.emit(chosen.id)

    @Slot()
    def _use_other(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.other:
            QGuiApplication.clipboard().setText(chosen.other)
            history, row = self.history, chosen.id
            which = "rendered" if chosen.delivered == "cleaned" else "cleaned"
            self.bridge.run(lambda: history.set_delivered(row, which), self._written,
                            self._write_failed, name="history-other")  # fmt: skip

    @Slot()
    def _copy(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            QGuiApplication.clipboard().setText(chosen.text)

    @Slot()
    def _edit(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, "Correct the dictation", "Text:",
                                                 chosen.text)  # fmt: skip
        if ok:
            self.edit_selected(text)

    def edit_selected(self, text: str) -> None:
        """Save the corrected text of the selected dictation (its raw text is kept)."""
        chosen = self.selected()
        if chosen is None or text == chosen.text:
            return
        history, row, before = self.history, chosen.id, chosen.text

        def saved(_none: object) -> None:
            self.edited.emit(row, before, text)
            self.refresh()

        self.bridge.run(
            lambda: history.update(row, text, backend=chosen.backend, model=chosen.model,
                                   status=chosen.status, error=chosen.error),
            saved, self._write_failed, name="history-edit",
        )  # fmt: skip

    def on_learned(self, message: str) -> None:
        """What the last correction taught, said under the list."""
        if message:
            self.info.setText(message)

    @Slot()
    def _delete(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            history, row = self.history, chosen.id
            self.bridge.run(lambda: history.delete(row), self._written, self._write_failed,
                            name="history-delete")  # fmt: skip

    def _write_failed(self, exc: BaseException) -> None:
        self.info.setText(f"could not change the history: {exc}")

    @Slot()
    def _retry(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.info.setText("transcribing the saved audio again…")
            self.retry_requested.emit(chosen.id)

    @Slot(int, str, str)
    def on_retried(self, row: int, text: str, error: str) -> None:
        self.info.setText(f"retry failed: {error}" if error else "transcribed again")
        self.refresh()
        del row, text

    @Slot()
    def _export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export dictations", str(Path.home() / "dictations.md"), ";;".join(FORMATS)
        )
        if path:
            self.export_to(Path(path), FORMATS.get(chosen, "markdown"))

    def export_to(self, path: Path, fmt: str) -> None:
        rows = list(self.rows)

        def work() -> None:  # written aside, then renamed: never a half-written file
            temp = path.with_name(path.name + ".part")
            temp.write_text(export(rows, fmt), encoding="utf-8")
            temp.replace(path)

        self.info.setText(f"exporting {len(rows)} dictation(s) to {path}")
        self.bridge.run(
            work,
            lambda _none: self.info.setText(f"exported {len(rows)} dictation(s) to {path}"),
            lambda exc: self.info.setText(f"could not export: {exc}"),
            name="history-export",
        )
