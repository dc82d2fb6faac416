"""The history: search, copy, delete, export and Retry of saved dictations.

Reads and writes run on background threads through the bridge; the panel only renders rows
it is handed. Signals: `retry_requested(int row)`, `rerender_requested()` (render every
dictation again from its raw text with today's words, after a rule change).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.bridge import Bridge, TaskDone
from app.storage.history import Dictation, History, export

FORMATS = {"Text (*.txt)": "text", "Markdown (*.md)": "markdown", "JSON (*.json)": "json"}


class HistoryPanel(QDialog):
    retry_requested = Signal(int)
    rerender_requested = Signal()

    def __init__(self, history: History, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dictate — history")
        self.resize(620, 480)
        self.history, self.bridge = history, bridge
        self.rows: list[Dictation] = []
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your dictations")
        self.search.textChanged.connect(self.refresh)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._selection_changed)
        self.info = QLabel("")
        buttons = QHBoxLayout()
        self.copy = QPushButton("Copy")
        self.delete = QPushButton("Delete")
        self.retry = QPushButton("Retry")
        self.retry.setToolTip("Transcribe the saved audio again with the current backend")
        self.export_button = QPushButton("Export…")
        self.rerender = QPushButton("Apply my words")
        self.rerender.setToolTip("Render every dictation again with today's vocabulary and rules")
        self.rerender.clicked.connect(self.rerender_requested)
        buttons.addWidget(self.rerender)
        for button, slot in (
            (self.copy, self._copy),
            (self.delete, self._delete),
            (self.retry, self._retry),
            (self.export_button, self._export),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        bridge.posted.connect(self._on_posted)
        self._selection_changed(-1)

    @Slot()
    def refresh(self) -> None:
        query, history = self.search.text(), self.history
        self.bridge.run_in_background("history-list", lambda: history.search(query))

    @Slot(object)
    def _on_posted(self, payload: object) -> None:
        if isinstance(payload, TaskDone) and payload.tag == "history-list":
            if payload.error is None:
                self.show_rows(payload.result)
            else:
                self.info.setText(f"could not read the history: {payload.error}")
        elif isinstance(payload, TaskDone) and payload.tag in ("history-write", "rerender"):
            self.refresh()

    def show_rows(self, rows: list[Dictation]) -> None:
        self.rows = rows
        self.list.clear()
        for d in rows:
            mark = "  ⚠ failed" if d.status != "ok" else ""
            text = d.text or "(no text)"
            item = QListWidgetItem(f"{d.when} · {d.duration_s:.1f} s · {d.backend}{mark}\n{text}")
            item.setData(Qt.ItemDataRole.UserRole, d.id)
            self.list.addItem(item)
        self.info.setText(f"{len(rows)} dictation(s)")
        self._selection_changed(self.list.currentRow())

    def selected(self) -> Dictation | None:
        index = self.list.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @Slot(int)
    def _selection_changed(self, _index: int) -> None:
        chosen = self.selected()
        for button in (self.copy, self.delete):
            button.setEnabled(chosen is not None)
        self.retry.setEnabled(chosen is not None and chosen.has_audio)

    @Slot()
    def _copy(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            QGuiApplication.clipboard().setText(chosen.text)

    @Slot()
    def _delete(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            history, row = self.history, chosen.id
            self.bridge.run_in_background("history-write", lambda: history.delete(row))

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
        self.bridge.run_in_background("history-export", work)
