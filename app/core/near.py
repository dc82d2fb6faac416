"""The vocabulary after recognition: a near-miss of an entry is written as the entry.

The vocabulary goes to the recognizer as its prompt, but a small model still writes a rare
name the way it sounds ("Shivon" for "Siobhan", "Kubernetis" for "Kubernetes"). Here the
recognized words are compared with each entry by *sound* (a small phonetic key in the spirit
of Metaphone: silent letters and vowels dropped, letters that sound alike merged) and by
*spelling* (edit distance): a run of as many words as the entry has (or one more: the
recognizer split the name) is replaced by the entry only when both agree closely, and the
run is at least as long as a short name. Ordinary words stay as
they are ("Friday" is never "Freddie"): the thresholds were chosen with a list of ordinary
words that must never change (tests/unit/test_near.py). An exact match in another case is
written in the entry's case ("dictate ai" -> "Dictate AI").
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

MIN_LETTERS = 5  # entries (and runs) shorter than this are only matched exactly
SPELLING = 0.75  # the least spelling similarity (1 - edit distance / longer length)
SPELLING_SPLIT = 0.6  # ... when the phonetic keys are the same and the recognizer split the
# name in more words than the entry has ("pie torch"): a word the recognizer wrote as one
# word is more likely an ordinary word of its own ("Grenade" is no "Granada")

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_GROUPS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"^kn|^gn|^pn|^wr|^ps", lambda m: m.group(0)[1]),
    (r"ph", "f"), (r"ck", "k"), (r"sch", "sk"), (r"sh|ch|tch|ti(?=[ao])|si(?=[ao])", "X"),
    (r"th", "0"), (r"c(?=[eiy])", "s"), (r"dg(?=[eiy])", "j"), (r"g(?=[eiy])", "j"),
    (r"gh(?![aeiou])", ""), (r"wh", "w"), (r"q", "k"), (r"c", "k"), (r"x", "ks"), (r"z", "s"),
    (r"v", "f"), (r"d", "t"), (r"b", "p"), (r"mb$", "m"),
]  # fmt: skip


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = row
    return previous[-1]


@functools.lru_cache(maxsize=4096)
def sound_key(word: str) -> str:
    """A small phonetic key: 'Siobhan' and 'Shivon' -> 'XFN'; 'Friday' -> 'FRT'."""
    text = re.sub(r"[^a-z]", "", word.lower())
    if not text:
        return ""
    for pattern, replacement in _GROUPS:
        text = re.sub(pattern, replacement, text)
    first = text[0]
    # vowels (and w, y, h between them) carry little of a name's sound in English spelling
    body = re.sub(r"[aeiouyhw]", "", text[1:])
    key = ("A" if first in "aeiou" else first.upper()) + body.upper()
    return re.sub(r"(.)\1+", r"\1", key)


def similarity(a: str, b: str) -> float:
    a, b = a.lower(), b.lower()
    longest = max(len(a), len(b))
    return 1.0 - levenshtein(a, b) / longest if longest else 1.0


@functools.lru_cache(maxsize=65536)
def near(heard: str, entry: str, split: bool = False) -> bool:
    """Whether `heard` (letters only) is a near-miss of `entry` by sound and spelling;
    `split`: it was heard as more words than the entry has."""
    if min(len(heard), len(entry)) < MIN_LETTERS or heard.lower() == entry.lower():
        return False
    if abs(len(heard) - len(entry)) > (1 - SPELLING_SPLIT) * max(len(heard), len(entry)):
        return False  # too different in length for any bar below: no edit distance needed
    spelling = similarity(heard, entry)
    keys = sound_key(heard), sound_key(entry)
    if keys[0] == keys[1]:
        return spelling >= (SPELLING_SPLIT if split else SPELLING)
    return levenshtein(*keys) <= 1 and len(keys[1]) >= 4 and spelling >= SPELLING


def _letters(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


@functools.lru_cache(maxsize=4096)
def correct_vocabulary(text: str, vocabulary: tuple[str, ...]) -> str:
    """`text` with runs of words that are near-misses (or other-case spellings) of a
    vocabulary entry written as the entry; everything else as it was. Cached: a dictation
    renders its settled sentences again at every partial."""
    entries = [e for e in vocabulary if _letters(e)]
    if not entries or not text:
        return text
    words = list(_WORD.finditer(text))
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(words):
        found = _match(words, i, entries)
        if found is None:
            i += 1
            continue
        entry, count = found
        first, last = words[i], words[i + count - 1]
        out.append(text[pos : first.start()])
        out.append(entry)
        pos = last.end()
        i += count
    out.append(text[pos:])
    return "".join(out)


def _match(words: list[re.Match[str]], i: int, entries: list[str]) -> tuple[str, int] | None:
    """The entry the words from `i` on are (in another case) or nearly are, and how many
    words it takes; the closest spelling wins."""
    best: tuple[float, str, int] | None = None
    for entry in entries:
        size, target = len(entry.split()), _letters(entry)
        for count in (size, size + 1):
            run = words[i : i + count]
            if len(run) < count or any(b.start() - a.end() > 1 for a, b in itertools.pairwise(run)):
                continue  # too few words, or punctuation between them: not one name
            if count > size and any(len(w.group(0)) < 3 for w in run):
                continue  # a name heard split is not glued to a small word ("sandy we")
            said = "".join(_letters(w.group(0)) for w in run)
            if said.lower() == target.lower():
                if count == size and " ".join(w.group(0) for w in run) != entry:
                    return entry, count  # the entry in another case
                if count == size:
                    return None  # the entry itself
            elif _close(run, entry, said, split=count > size):
                score = similarity(said, target)
                if best is None or score > best[0]:
                    best = (score, entry, count)
    return (best[1], best[2]) if best else None


def _close(run: list[re.Match[str]], entry: str, said: str, *, split: bool) -> bool:
    """Whether a run of words nearly is the entry: a multi-word entry word by word (each
    right or nearly: "dictate we" is no "Dictate AI"), else the letters as one name."""
    parts = entry.split()
    if len(parts) > 1 and len(run) == len(parts):
        return all(
            _letters(w.group(0)).lower() == _letters(e).lower()
            or near(_letters(w.group(0)), _letters(e))
            for w, e in zip(run, parts, strict=True)
        )
    return near(said, _letters(entry), split=split)
