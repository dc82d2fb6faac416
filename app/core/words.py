"""The user's words: vocabulary, replacement rules and the switches of the text pipeline.

One frozen value (`Words`) carries everything `core.text` needs, so the app, `dictate
listen`, `dictate transcribe` and Retry render with exactly the same choices. The rules file
format is the one `--rules FILE` reads and Settings imports and exports: plain text a person
can edit, one rule a line, `spoken words = written text`, with `\\n` for a line break in
multi-line snippets and `#` for comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Whisper's prompt holds at most 223 tokens, and the engine's own context shares it; a
# name is 2-4 tokens, so about 100 names fit. Cut by whole entries, and say so.
VOCABULARY_MAX_CHARS = 600
GLOSSARY = "Glossary:"


class RulesError(ValueError):
    """A rules file line that cannot be read: says which line and why."""


@dataclass(frozen=True)
class Rule:
    """Spoken words (matched whole-word, any case) and the text written instead."""

    said: str
    written: str


@dataclass(frozen=True)
class Words:
    """What the text pipeline does; hashable, so compiled rules can be cached per value."""

    vocabulary: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    commands: bool = True
    spoken_punctuation: bool = False
    remove_fillers: bool = True
    one_line: bool = False  # line breaks become spaces (a terminal: Enter would run it)


def parse_vocabulary(text: str) -> list[str]:
    """Entries separated by commas, semicolons or new lines; blanks and repeats dropped."""
    seen: set[str] = set()
    entries: list[str] = []
    for part in re.split(r"[,;\n]", text):
        entry = " ".join(part.split())
        if entry and entry.lower() not in seen:
            seen.add(entry.lower())
            entries.append(entry)
    return entries


@dataclass(frozen=True)
class VocabularyPrompt:
    """The prompt sent to the recognizer, and the entries that did not fit (never silent)."""

    prompt: str
    dropped: tuple[str, ...]
    kept: int

    @property
    def note(self) -> str:
        if not self.dropped:
            return ""
        return (
            f"the vocabulary is too long for the recognizer's prompt: the first {self.kept} "
            f"entries are used, {len(self.dropped)} left out (from '{self.dropped[0]}' on)"
        )


def vocabulary_prompt(
    vocabulary: tuple[str, ...] | list[str], limit: int = VOCABULARY_MAX_CHARS
) -> VocabularyPrompt:
    """The vocabulary as Whisper's prompt, in the user's order, as a glossary line.

    Measured with tiny.en on espeak-ng speech (bench/words.py): a bare list of 30 names got
    4 of them right, the same list as "Glossary: ...." 8, no prompt 0.
    """
    kept: list[str] = []
    size = len(GLOSSARY) + 1
    for index, entry in enumerate(vocabulary):
        extra = len(entry) + (2 if kept else 0)
        if size + extra > limit:
            return VocabularyPrompt(_glossary(kept), tuple(vocabulary[index:]), len(kept))
        kept.append(entry)
        size += extra
    return VocabularyPrompt(_glossary(kept), (), len(kept))


def _glossary(entries: list[str]) -> str:
    return f"{GLOSSARY} {', '.join(entries)}." if entries else ""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def parse_rules(text: str) -> list[Rule]:
    """Read a rules file; raises RulesError naming the first bad line."""
    rules: list[Rule] = []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        said, sep, written = stripped.partition("=")
        said = " ".join(said.split())
        if not sep or not said:
            raise RulesError(f"line {number}: expected 'spoken words = written text'")
        if not re.fullmatch(r"[\w' -]+", said):
            raise RulesError(f"line {number}: spoken words may hold letters, digits, ' and -")
        rules.append(Rule(said, _unescape(written.strip())))
    return rules


def format_rules(rules: list[Rule] | tuple[Rule, ...]) -> str:
    """The rules file that `parse_rules` reads back as the same rules."""
    head = "# Dictate rules: spoken words = written text (\\n is a line break)\n"
    return head + "".join(f"{r.said} = {_escape(r.written)}\n" for r in rules)


def rules_from_pairs(pairs: object) -> tuple[Rule, ...]:
    """Rules stored in the settings file as [said, written] pairs; malformed ones skipped."""
    if not isinstance(pairs, list):
        return ()
    out: list[Rule] = []
    for pair in pairs:
        if (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
            and pair[0].strip()
        ):
            out.append(Rule(" ".join(pair[0].split()), pair[1]))
    return tuple(out)
