"""Settings for per-app profiles: which app gets which style, language, vocabulary, one line.

One row a profile, first match first (`app.dictation.profiles`). *Add the app in front*
adds a row for the app the last dictation went to (the target captured at its press: when
Settings is open, Dictate itself is in front), so a user dictates once into an app and adds
it with one click. Rows that cannot be used (no name, no apps) are named under the table as
you type, and left out when saving, never silently.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.delivery.chain import CHOICES
from app.dictation.profiles import VERBATIM, Profile, app_names, profile_from
from app.dictation.target import Target
from app.storage.settings import Settings

COLUMNS = ("Name", "Apps (window class or process)", "Style", "Language", "Vocabulary",
           "Delivery", "One line")  # fmt: skip
DELIVERY, ONE_LINE = 5, 6


class ProfilesPage(QGroupBox):
    def __init__(
        self, settings: Settings, front: Target | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Apps", parent)
        self.front = front or Target()
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The app you dictate into (found when you press the key) picks the first "
            "profile that names it. Style is what the cleanup does (clean, verbatim, "
            "message, email, notes, or your own); an empty language or delivery keeps the "
            "one in Settings; one line turns line breaks into spaces (terminals)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()  # every heading readable, the table filled
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemChanged.connect(self._check)
        layout.addWidget(self.table, 1)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        layout.addWidget(self.problems)
        row = QHBoxLayout()
        label = ", ".join(app_names(self.front))
        self.add_front = QPushButton(f"Add {label}" if label else "Add the app in front")
        self.add_front.setToolTip("A profile for the app your last dictation went to")
        self.add_front.setEnabled(bool(label))
        self.add_front.clicked.connect(self.add_front_app)
        self.add = QPushButton("Add")
        self.add.clicked.connect(lambda: self.add_row(Profile("New profile", ("app",))))
        self.remove = QPushButton("Remove")
        self.remove.clicked.connect(self._remove)
        for button in (self.add_front, self.add, self.remove):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        for table in settings.profiles:
            profile = profile_from(table)
            if profile is not None:
                self.add_row(profile)
        self._check()

    def add_row(self, profile: Profile) -> None:
        self.table.blockSignals(True)
        index = self.table.rowCount()
        self.table.insertRow(index)
        texts = (profile.name, ", ".join(profile.apps), profile.style, profile.language,
                 ", ".join(profile.vocabulary), profile.delivery)  # fmt: skip
        for column, text in enumerate(texts):
            self.table.setItem(index, column, QTableWidgetItem(text))
        check = QTableWidgetItem("")
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if profile.one_line else Qt.CheckState.Unchecked)
        self.table.setItem(index, ONE_LINE, check)
        self.table.blockSignals(False)
        self._check()

    @Slot()
    def add_front_app(self) -> None:
        """One click: a profile for the app the last dictation went to (first, so it wins)."""
        apps = app_names(self.front)
        if not apps:
            return
        terminal = self.front.terminal
        # "Inbox - Mail": the app's own name ends its titles; else ("Untitled", "~") the app.
        title = self.front.title
        name = title.rsplit(" - ", 1)[1].strip() if " - " in title else ""
        profile = Profile(name or apps[0], apps,
                          style=VERBATIM if terminal else "clean", one_line=terminal)  # fmt: skip
        self.add_row(profile)
        self.table.selectRow(self.table.rowCount() - 1)

    @Slot()
    def _remove(self) -> None:
        for index in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(index)
        self._check()

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def tables(self) -> tuple[list[dict[str, object]], list[int]]:
        """The rows as stored profiles, and the numbers (from 1) of rows left out."""
        kept: list[dict[str, object]] = []
        bad: list[int] = []
        for row in range(self.table.rowCount()):
            one_line = self.table.item(row, ONE_LINE)
            delivery = self._text(row, DELIVERY).strip()
            table = {"name": self._text(row, 0), "apps": self._text(row, 1),
                     "style": self._text(row, 2), "language": self._text(row, 3),
                     "vocabulary": self._text(row, 4), "delivery": delivery,
                     "one_line": one_line is not None
                     and one_line.checkState() == Qt.CheckState.Checked}  # fmt: skip
            profile = profile_from(table)
            if profile is None or (delivery and delivery not in CHOICES):
                bad.append(row + 1)
            else:
                kept.append(profile.to_table())
        return kept, bad

    @Slot()
    def _check(self, *_args: object) -> None:
        _kept, bad = self.tables()
        self.problems.setText(
            f"Row(s) {', '.join(map(str, bad))} need a name, at least one app and a delivery "
            f"that is empty or one of {', '.join(CHOICES)}: they are left out when saving"
            if bad
            else ""
        )

    def apply(self, settings: Settings) -> None:
        settings.profiles = list(self.tables()[0])
