"""Corrections learned from the user's edits: a fix made twice becomes a replacement rule.

When the user corrects a dictation in the history ("New Year" -> "Nguyen"), the words that
changed are compared word by word; each short change (up to `MAX_WORDS` words on either
side, letters on the spoken side) is a *suggestion*. The app says it at once and offers to
add it as a rule; one the user makes again (`PROMOTE_AFTER` times in all) is promoted to a
rule of `core.words` by itself, so the next dictation writes it right. Edits that rewrite
whole sentences are no vocabulary fix and teach nothing. Suggestions are kept in the
settings file as [said, written, times] triples (`Settings.corrections`), beside the rules.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from app.core.words import Rule

MAX_WORDS = 3
PROMOTE_AFTER = 2
MAX_KEPT = 200  # suggestions kept; the oldest go first

_EDGE = "\"'\u201c\u201d\u2018\u2019()[]{},.;:!?"  # quotes (straight and curly), brackets
_SAID = re.compile(r"[\w' -]+")


@dataclass(frozen=True)
class Suggestion:
    said: str  # the spoken words, as rules match them (any case)
    written: str
    times: int = 1

    @property
    def rule(self) -> Rule:
        return Rule(self.said, self.written)


def _bare(word: str) -> str:
    return word.strip(_EDGE)


def changes(before: str, after: str) -> list[tuple[str, str]]:
    """The short word changes from `before` to `after`, as (said, written) pairs."""
    old, new = before.split(), after.split()
    found: list[tuple[str, str]] = []
    a, b = [_bare(w).lower() for w in old], [_bare(w).lower() for w in new]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or max(i2 - i1, j2 - j1) > MAX_WORDS:
            continue
        said = " ".join(_bare(w) for w in old[i1:i2]).lower()
        written = " ".join(_bare(w) for w in new[j1:j2])
        said = " ".join(said.split())
        if not (said and written and _SAID.fullmatch(said)) or written == said.capitalize():
            continue  # nothing, no words, or a capital at a sentence start
        if said != written:
            found.append((said, written))
    return found


def suggestions_from(stored: object) -> list[Suggestion]:
    """The suggestions kept in the settings; malformed entries skipped."""
    if not isinstance(stored, list):
        return []
    out: list[Suggestion] = []
    for item in stored:
        if (isinstance(item, list | tuple) and len(item) == 3 and isinstance(item[0], str)
                and isinstance(item[1], str) and isinstance(item[2], int)
                and item[0].strip() and item[1].strip()):  # fmt: skip
            out.append(Suggestion(item[0], item[1], max(1, item[2])))
    return out


def stored(suggestions: list[Suggestion]) -> list[list[object]]:
    return [[s.said, s.written, s.times] for s in suggestions[-MAX_KEPT:]]


@dataclass(frozen=True)
class Learned:
    """What an edit taught: the suggestions kept now, the rules promoted, and the
    suggestions this edit made (to say, and to offer as rules at once)."""

    suggestions: list[Suggestion]
    promoted: list[Rule]
    seen: list[Suggestion]


def learn(
    before: str, after: str, kept: list[Suggestion], rules: tuple[Rule, ...] | list[Rule]
) -> Learned:
    """Count this edit's changes; a change made `PROMOTE_AFTER` times becomes a rule (and
    leaves the suggestions); one that is already a rule is not suggested again."""
    by_key = {(s.said, s.written): s for s in kept}
    known = {(r.said.lower(), r.written) for r in rules}
    promoted: list[Rule] = []
    seen: list[Suggestion] = []
    for said, written in dict.fromkeys(changes(before, after)):
        if (said, written) in known:
            continue
        prior = by_key.pop((said, written), None)
        now = Suggestion(said, written, prior.times + 1 if prior else 1)
        if now.times >= PROMOTE_AFTER:
            promoted.append(now.rule)
        else:
            by_key[(said, written)] = now
            seen.append(now)
    return Learned(list(by_key.values()), promoted, seen)


def describe(learned: Learned) -> str:
    """One line for the user: what was promoted and what is suggested."""
    parts = [f"“{r.said}” is now written “{r.written}”" for r in learned.promoted]
    parts += [f"suggested: “{s.said}” → “{s.written}” (it becomes a rule when you fix it "
              "again)" for s in learned.seen]  # fmt: skip
    return "; ".join(parts)
