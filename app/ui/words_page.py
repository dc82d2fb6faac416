"""Settings for your words: vocabulary, replacement rules and snippets, commands, fillers.

The rules are edited as the text of a rules file (`core.words`: `spoken words = written
text`, `\\n` for a line break), so what Import reads and Export writes is exactly what is on
screen, and `dictate transcribe --rules FILE` takes the same file. Lines that cannot be read
are named under the editor as you type; they are left out when saving, never silently.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app.core.text import COMMANDS, NEW_LINE, NEW_PARAGRAPH, PUNCTUATION
from app.core.words import (
    Rule,
    RulesError,
    format_rules,
    parse_rules,
    parse_vocabulary,
    vocabulary_prompt,
)
from app.storage.settings import Settings

COMMAND_HELP = {NEW_LINE: "starts a new line", NEW_PARAGRAPH: "starts a new paragraph"}


class WordsPage(QGroupBox):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Your words", parent)
        form = QFormLayout(self)
        self.vocabulary = QPlainTextEdit("\n".join(settings.vocabulary))
        self.vocabulary.setPlaceholderText("Names and terms, one a line: Siobhan, Kubernetes…")
        self.vocabulary.setMaximumHeight(70)
        self.vocabulary.textChanged.connect(self._check)
        self.vocabulary_note = QLabel("")
        self.vocabulary_note.setWordWrap(True)
        rules = [Rule(said, written) for said, written in settings.rules]
        self.rules = QPlainTextEdit(format_rules(rules))
        self.rules.setMaximumHeight(110)
        self.rules.textChanged.connect(self._check)
        self.rules_note = QLabel("")
        self.rules_note.setWordWrap(True)
        self.import_button = QPushButton("Import…")
        self.import_button.clicked.connect(self._import_clicked)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._export_clicked)
        files = QHBoxLayout()
        files.addWidget(self.rules_note, 1)
        files.addWidget(self.import_button)
        files.addWidget(self.export_button)
        self.commands = QCheckBox("Spoken commands: " + self.command_list())
        self.commands.setChecked(settings.spoken_commands)
        self.punctuation = QCheckBox(
            "Spoken punctuation: " + ", ".join(f'"{w}"' for w in PUNCTUATION)
        )
        self.punctuation.setChecked(settings.spoken_punctuation)
        self.fillers = QCheckBox('Remove "um", "uh", "erm" and stutters ("I I think")')
        self.fillers.setChecked(settings.remove_fillers)
        form.addRow("Vocabulary", self.vocabulary)
        form.addRow("", self.vocabulary_note)
        form.addRow("Replacements", self.rules)
        form.addRow("", files)
        form.addRow("", self.commands)
        form.addRow("", self.punctuation)
        form.addRow("", self.fillers)
        self._check()

    @staticmethod
    def command_list() -> str:
        said: dict[str, list[str]] = {}
        for words, command in COMMANDS.items():
            said.setdefault(command, []).append(f'"{words}"')
        return "; ".join(
            " / ".join(words) + " " + COMMAND_HELP.get(command, "removes the last phrase")
            for command, words in said.items()
        )

    def parsed_rules(self) -> tuple[list[Rule], list[str]]:
        """The rules that can be read, and a sentence for each line that cannot."""
        good: list[Rule] = []
        problems: list[str] = []
        for number, line in enumerate(self.rules.toPlainText().split("\n"), 1):
            try:
                good += parse_rules(line)
            except RulesError as exc:
                problems.append(str(exc).replace("line 1", f"line {number}"))
        return good, problems

    @Slot()
    def _check(self) -> None:
        vocabulary = parse_vocabulary(self.vocabulary.toPlainText())
        self.vocabulary_note.setText(vocabulary_prompt(vocabulary).note)
        _rules, problems = self.parsed_rules()
        self.rules_note.setText(
            "left out when saving: " + "; ".join(problems) if problems else "spoken = written"
        )

    def import_rules(self, path: Path) -> None:
        """Replace the rules on screen with a file's (the format `--rules` reads)."""
        self.rules.setPlainText(path.read_text(encoding="utf-8"))

    def export_rules(self, path: Path) -> None:
        good, _problems = self.parsed_rules()
        path.write_text(format_rules(good), encoding="utf-8")

    @Slot()
    def _import_clicked(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, "Import rules", "", "Rules (*.txt)")
        if name:
            try:
                self.import_rules(Path(name))
            except (OSError, UnicodeDecodeError) as exc:
                self.rules_note.setText(f"could not import: {exc}")

    @Slot()
    def _export_clicked(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, "Export rules", "rules.txt")
        if name:
            try:
                self.export_rules(Path(name))
            except OSError as exc:
                self.rules_note.setText(f"could not export: {exc}")

    def apply(self, settings: Settings) -> None:
        """Write what is on the page into `settings` (the dialog's edited copy)."""
        settings.vocabulary = parse_vocabulary(self.vocabulary.toPlainText())
        settings.rules = [[r.said, r.written] for r in self.parsed_rules()[0]]
        settings.spoken_commands = self.commands.isChecked()
        settings.spoken_punctuation = self.punctuation.isChecked()
        settings.remove_fillers = self.fillers.isChecked()
