"""The local model picker: installed and downloadable models, with size, languages and the
speed measured on this machine; download with a progress bar, cancel, delete.

It only renders and asks: downloads run in the app's `ui.services.Downloads` (they go on
when the dialog closes), and the switch to the chosen model happens when the settings are
accepted (the engine loads it in the background while the current one serves). A model that
is not fully installed is never returned by `text()`, so it can never be chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models import catalog, speed, store
from app.models.download import Progress, human_bytes
from app.ui.services import Downloads


def _label(name: str, installed: store.InstalledModel | None) -> str:
    entry = catalog.find(name)
    english = installed.english_only if installed else store.english_only(name)
    langs = "English only" if english else "multilingual"
    if installed is not None:
        where = "bundled" if installed.bundled else "installed"
        size = human_bytes(installed.size_bytes)
    else:
        where = "download"
        size = f"~{human_bytes(entry.download_bytes)}" if entry else "?"
    measured = speed.load().get(name)
    pace = f", {measured.rtf:.2f}x real time here" if measured else ""
    return f"{name} — {where}, {size}, {langs}{pace}"


class ModelPicker(QWidget):
    """Signals: `english_only_changed(bool)` as the selection moves between English-only and
    multilingual models. `text()` is the chosen installed model's id."""

    english_only_changed = Signal(bool)

    def __init__(
        self, current: str, downloads: Downloads | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.initial = current
        self.downloads = downloads
        self.box = QComboBox()
        self.download = QPushButton("Download")
        self.cancel = QPushButton("Cancel")
        self.delete = QPushButton("Delete")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.hide()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.download, self.cancel, self.delete):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.note)
        self.download.clicked.connect(self._download)
        self.cancel.clicked.connect(self._cancel)
        self.delete.clicked.connect(self._delete)
        self.box.currentIndexChanged.connect(self._update)
        if downloads is not None:
            downloads.progress.connect(self.on_progress)
            downloads.finished.connect(self.on_finished)
        in_use = store.get(current)
        self.refresh(in_use.name if in_use is not None else current)

    def refresh(self, select: str | None = None) -> None:
        """List the models again (after a pull or a delete), keeping or setting the choice."""
        chosen = select or self.selected()
        installed = {m.name: m for m in store.installed()}
        names = [*installed, *(e.name for e in catalog.CATALOG if e.name not in installed)]
        self.box.blockSignals(True)
        self.box.clear()
        for name in names:
            self.box.addItem(_label(name, installed.get(name)), name)
        index = self.box.findData(chosen)
        self.box.setCurrentIndex(max(0, index))
        self.box.blockSignals(False)
        self._update()

    def selected(self) -> str:
        return str(self.box.currentData() or "")

    def text(self) -> str:
        """The model id to save: the selection if installed, else the model in use."""
        model = store.get(self.selected())
        return model.model_id if model is not None else self.initial

    @Slot()
    def _update(self) -> None:
        name = self.selected()
        model = store.get(name)
        busy = self.downloads is not None and self.downloads.running(name)
        self.download.setEnabled(model is None and not busy and self.downloads is not None)
        self.cancel.setEnabled(busy)
        in_use = model is not None and self.initial in (model.model_id, model.name)
        self.delete.setEnabled(model is not None and not model.bundled and not busy and not in_use)
        self.bar.setVisible(busy)
        english = model.english_only if model else store.english_only(name)
        langs = (
            "English only: this model transcribes English whatever the Language says."
            if english
            else "Multilingual: set Language (en, de, fr…) or leave it empty to auto-detect."
        )
        state = "" if model else " Not installed: download it to use it."
        self.note.setText(langs + state)
        self.english_only_changed.emit(english)

    def english_only(self) -> bool:
        model = store.get(self.selected())
        return model.english_only if model else store.english_only(self.selected())

    @Slot()
    def _download(self) -> None:
        if self.downloads is not None:
            self.downloads.start(self.selected())
            self.bar.setValue(0)
            self._update()

    @Slot()
    def _cancel(self) -> None:
        if self.downloads is not None:
            self.downloads.cancel(self.selected())

    @Slot()
    def _delete(self) -> None:
        name = self.selected()
        try:
            store.remove(name)
        except (ValueError, OSError) as exc:
            self.note.setText(str(exc))
            return
        self.refresh(name)

    @Slot(object)
    def on_progress(self, progress: Progress) -> None:
        if progress.name != self.selected():
            return
        self.bar.show()
        self.bar.setValue(int(progress.fraction * 1000))
        self.bar.setFormat(
            f"{human_bytes(progress.done)} of {human_bytes(progress.total)} "
            f"at {human_bytes(progress.rate)}/s"
        )

    @Slot(str, str)
    def on_finished(self, name: str, error: str) -> None:
        self.refresh()
        if name == self.selected() and error:
            self.note.setText(error)
