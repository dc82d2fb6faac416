"""The one text pipeline: settled segments (and the live partial) in, the user's text out.

Pure functions over `Words`, used by the app, `dictate listen`, `dictate transcribe` and
history Retry alike, so a rule never works in one place and not in another.

Why segments and not one string: a segment is what the recognizer finalized between two
pauses, so it is the evidence for spoken commands. A command counts only when it stands
alone as a *clause*: a whole segment, a whole sentence ("Hello there. New paragraph."), or
a part of a sentence the recognizer set apart with commas ("the first one, new paragraph,
the second one"), in any case; said among other words ("the new line manager") it is
ordinary words, and a command word is never taken out of a longer word. A *phrase* is what
a segment added, or within a segment the sentence before the command; "scratch that"
removes the last one. "Scratch that" is also known by the ways the recognizer mishears it
(`MISHEARD`; found by running tiny.en on espeak-ng speech in several voices).

Per sentence, in order: spoken punctuation (when asked for), fillers and stutters, the
vocabulary's near-misses (`core.near`), then the user's replacements, so a snippet's text is
never touched by the other steps. Rendering its own output again changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from app.core.near import correct_vocabulary
from app.core.words import Rule, Words

NEW_LINE = "\n"
NEW_PARAGRAPH = "\n\n"
SCRATCH = "scratch"

COMMANDS: dict[str, str] = {
    "new line": NEW_LINE,
    "new paragraph": NEW_PARAGRAPH,
    "scratch that": SCRATCH,
    "delete that": SCRATCH,
}
# How tiny.en wrote "scratch that" / "delete that" said alone or between commas by espeak-ng
# voices en-us, en, en-gb-x-rp, en-us+f3 at 150 and 180 words a minute: only the ones that
# are no phrase of their own ("crash now", "crash mode" and "scratch my" were heard too,
# and are left as words).
MISHEARD: dict[str, str] = dict.fromkeys(
    ["scratched that", "scratch at", "scratch dat", "scratch net", "scratch not",
     "crash that", "crash at", "crash net", "crash mat", "crash mod", "crap net",
     "delete at", "delete dat"],
    SCRATCH,
)  # fmt: skip

PUNCTUATION: dict[str, str] = {
    "comma": ",",
    "period": ".",
    "full stop": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "exclamation point": "!",
}

# Hesitations only: never a word of their own. "er" and "ah" are left alone ("ER", "Ah, I see").
FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "erm", "hmm"})
# A repeat of these is a stutter ("I I think", "the the"); other doubles may be meant
# ("had had", "that that", "very very"), so they stay.
STUTTERS = frozenset(
    ["i", "i'm", "i'll", "we", "you", "he", "she", "it", "it's", "they", "the", "a", "an",
     "to", "and", "but", "or", "in", "on", "of", "for", "with", "my", "our", "your", "this"]
)  # fmt: skip

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BREAKS = re.compile(r"(\n+)")
_EDGE_PUNCT = ",.;:!?"
_SPOKEN_MARK = re.compile(
    r"[,.;:!?]*\s*(?<![\w'])(" + "|".join(k.replace(" ", r"\s+") for k in PUNCTUATION) + r")"
    r"(?![\w'])[,.;:!?]*",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    """A sentence as a command key: lower case, no punctuation, single spaces."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def command_of(clause: str, fillers: bool = True) -> str | None:
    """The command a whole clause (or sentence) is, if it is exactly one; hesitations
    around it ("um, new paragraph") do not hide it when fillers are removed."""
    key = _key(clause)
    if fillers:
        key = " ".join(w for w in key.split() if w not in FILLERS)
    return COMMANDS.get(key) or MISHEARD.get(key)


# --- one sentence ---------------------------------------------------------------------


def _capitalize(token: str) -> str:
    for i, ch in enumerate(token):
        if ch.isalpha():
            return token[:i] + ch.upper() + token[i + 1 :]
    return token


def _core(token: str) -> str:
    return token.strip(_EDGE_PUNCT + '"()').lower()


def spoken_punctuation(text: str) -> str:
    """'hello comma world period' -> 'hello, world.'; the next sentence starts capitalized."""

    def mark(match: re.Match[str]) -> str:
        return PUNCTUATION[" ".join(match.group(1).lower().split())]

    out = ""
    pos = 0
    capitalize = False
    for match in _SPOKEN_MARK.finditer(text):
        out += _after_mark(text[pos : match.start()], capitalize, bool(out))
        if text[pos : match.start()].strip():
            capitalize = False
        out = out.rstrip().rstrip(_EDGE_PUNCT) + mark(match)
        capitalize = capitalize or mark(match) in ".?!"
        pos = match.end()
    return (out + _after_mark(text[pos:], capitalize, bool(out))).strip()


def _after_mark(text: str, capitalize: bool, follows: bool) -> str:
    if not text.strip():
        return ""
    if follows:
        text = " " + text.lstrip()
    return _capitalize(text) if capitalize else text


def remove_fillers(text: str) -> str:
    """Drop hesitations and stuttered function words, keeping punctuation and capitals."""
    kept: list[str] = []
    capitalize = False
    for said in text.split():
        token, core = said, _core(said)
        if core in FILLERS:
            tail = token.rstrip(_EDGE_PUNCT)
            end = token[len(tail) :]
            at_start = not kept or kept[-1][-1:] in ".?!"
            if not at_start and end and end[-1] in ".?!":
                kept[-1] = kept[-1].rstrip(_EDGE_PUNCT) + end[-1]
            capitalize = capitalize or (at_start and token[:1].isupper())
            continue
        if kept and core and core in STUTTERS and _core(kept[-1]) == core:
            previous = kept.pop()
            if previous[:1].isupper():
                token = _capitalize(token)
        if capitalize:
            token, capitalize = _capitalize(token), False
        kept.append(token)
    return " ".join(kept)


class _Replacer:
    """All rules in one regex: longest spoken form first, whole words, any case."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.written: dict[str, str] = {}
        for rule in rules:
            self.written.setdefault(_key(rule.said), rule.written)
        keys = sorted(self.written, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<![\w'])(?:"
                + "|".join(r"[,\s]+".join(map(re.escape, k.split())) for k in keys)
                + r")(?![\w'])",
                re.IGNORECASE,
            )
            if keys
            else None
        )

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(self._one, text)

    def _one(self, match: re.Match[str]) -> str:
        said = match.group(0)
        written = self.written[_key(said)]
        first = written.split(maxsplit=1)[0] if written.strip() else ""
        # Case-aware: a lower-case replacement said at a sentence start gets its capital;
        # one with capitals, digits or symbols of its own ("Dictate AI", an address) is kept.
        if said[:1].isupper() and first.isalpha() and first.islower():
            return _capitalize(written)
        return written


@functools.lru_cache(maxsize=16)
def _replacer(rules: tuple[Rule, ...]) -> _Replacer:
    return _Replacer(rules)


def prepare(words: Words) -> None:
    """Compile the rules now (tens of ms for hundreds of rules), off the GUI thread, so the
    first final does not pay for it; later renders find them compiled."""
    _replacer(words.rules)


def clean_sentence(text: str, words: Words) -> str:
    if words.spoken_punctuation:
        text = spoken_punctuation(text)
    if words.remove_fillers:
        text = remove_fillers(text)
    text = correct_vocabulary(text, words.vocabulary)
    text = _replacer(words.rules)(text)
    return re.sub(r" {2,}", " ", text).strip(" ")


# --- a dictation ----------------------------------------------------------------------


def _phrases(segments: Sequence[str], words: Words) -> list[list[str]]:
    """Each phrase is a list of pieces: cleaned sentences and line breaks."""
    phrases: list[list[str]] = []
    for segment in segments:
        current: list[str] = []
        phrases.append(current)
        for part in _BREAKS.split(segment):
            if not part:
                continue
            if part.startswith("\n"):
                current.append(part)
                continue
            for sentence in _SENTENCE_END.split(part.strip()):
                current = _sentence(sentence, words, phrases, current)
    return phrases


def _sentence(
    sentence: str, words: Words, phrases: list[list[str]], current: list[str]
) -> list[str]:
    """One sentence's pieces into `current`, clause by clause: the words before a command
    clause are a sentence of their own, what follows starts a new phrase with a capital.
    Returns the phrase the next sentence goes on."""
    said: list[str] = []  # this sentence's clauses since the last command
    capital = False
    for clause in _CLAUSE_END.split(sentence):
        command = command_of(clause, words.remove_fillers) if words.commands else None
        if command is None:
            said.append(clause)
            continue
        if command == SCRATCH:
            if said:
                said = []  # the words before it in this sentence
            elif current:
                current.pop()  # the sentence said just before, in this segment
            else:
                for earlier in reversed(phrases[:-1]):
                    if earlier:
                        earlier.clear()
                        break
        else:
            _emit(current, said, words, capital, before_command=True)
            said = []
            phrases.append([command])
        current = []
        phrases.append(current)
        capital = True
    _emit(current, said, words, capital, before_command=False)
    return current


def _emit(
    current: list[str], clauses: list[str], words: Words, capital: bool, *, before_command: bool
) -> None:
    text = " ".join(clauses).strip()
    if before_command:  # the comma the recognizer set before the command is no text
        text = text.rstrip(",;:").rstrip()
    cleaned = clean_sentence(text, words) if text else ""
    if before_command:  # again: a filler before the command left its comma
        cleaned = cleaned.rstrip(",;: ")
    if cleaned:
        current.append(_capitalize(cleaned) if capital else cleaned)


def join_pieces(pieces: Sequence[str]) -> str:
    """One space between sentences; none around line breaks or before punctuation."""
    out = ""
    for piece in pieces:
        if piece.startswith("\n"):
            out = out.rstrip(" ") + piece
        elif out and not out.endswith("\n") and piece[:1] not in _EDGE_PUNCT:
            out += " " + piece
        else:
            out += piece
    return out


def render(segments: Sequence[str], words: Words) -> str:
    """The text the user gets from these settled segments (on one line when asked)."""
    text = join_pieces([p for phrase in _phrases(segments, words) for p in phrase])
    if words.one_line:
        text = " ".join(text.split())
    return text.strip(" ")


def render_live(segments: Sequence[str], live: str, words: Words) -> tuple[str, str]:
    """(settled text, live text) as the user should see them while speaking.

    The partial goes through the same rules; when it changes what is already settled
    ("scratch that" heard live), the whole text is shown as settled with no live part.
    """
    final = render(segments, words)
    if not live.strip():
        return final, ""
    full = render([*segments, live], words)
    if full.startswith(final):
        return final, full[len(final) :].lstrip(" ")
    return full, ""


def raw_text(segments: Sequence[str]) -> str:
    """What the recognizer said, one segment a line: kept in the history for re-rendering."""
    return "\n".join(s.strip() for s in segments if s.strip())


def segments_of(raw: str) -> list[str]:
    return [line for line in raw.split("\n") if line.strip()]
