"""Whether a language model's cleanup may replace the dictated text: never trusted blindly.

A cleanup model is asked to tidy the words the user said, but the words are often a request
("can you write me an email to Sam saying...") and a model may *answer* it, refuse it,
summarise it, talk about itself, or come back empty. `judge` compares the answer with the
text it was given, using only the words (no second model): what the text said must still be
there (the share of its content words kept), the answer must not bring much of its own (the
share of new content words), its length must stay near the text's, a question must stay a
question, and where one line was typed (a terminal) one line must come back. A rejected
answer is never delivered: the caller keeps the rendered text and shows `reason`, one line.

Styles that reshape the text (message, email, notes, the user's own instructions) get wider
margins than `clean`; a translation by the user's own instructions keeps few of the words
and is only judged on length, form and refusals.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Words that carry no content of their own: dropped before the overlap is measured, so a
# cleanup that removes "um" and "like" or adds "the" and "a" costs nothing.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each even
    few for from further get got had has have having he her here hers him his how i if in
    into is it its itself just let like me might more most much must my no nor not now of
    off on once only or other our ours out over own really right same she should so some
    such than that the their theirs them then there these they this those through to too
    under until up us very was we were what when where which while who whom why will with
    would yeah yes you your yours ok okay oh well um umm uh uhh uhm erm hmm er ah actually
    basically literally mean know kind sort gonna wanna hi hello dear thanks thank regards
    best cheers sincerely""".split()  # noqa: SIM905
)
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand million billion first second third fourth fifth percent
    half quarter dollars dollar euros pounds am pm point""".split()  # noqa: SIM905
)
QUESTION_WORDS = frozenset(
    """what who why how when where which whose can could would will is are do does did
    should shall may""".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry,|i can'?t|i cannot|i can not|i won'?t|i will not|"
    r"i'?m (not able|unable)|i am (not able|unable)|unfortunately|as an ai|i apologi[sz]e)\b",
    re.IGNORECASE,
)
_SELF = re.compile(
    r"\b(as an ai|an ai (language )?model|a language model|ai assistant|i'?m an ai|"
    r"my (training|guidelines|instructions))\b",
    re.IGNORECASE,
)
_CHATTY = re.compile(
    r"^\W*(sure|certainly|of course|absolutely|great question|happy to help|no problem|"
    r"here'?s|here is|here are|below is|okay,? here|the answer|the capital|it depends)\b",
    re.IGNORECASE,
)
# "Here is the cleaned text:" on a line of its own before the text: dropped, not judged.
_PREAMBLE = re.compile(
    r"^\s*(?:sure[.!,]?\s*)?(?:here(?:'s| is| are)|below is|cleaned|corrected|"
    r"the cleaned)[^\n]{0,60}:\s*\n+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Margins:
    """How far an answer may stray from the text in a style."""

    min_kept: float  # share of the text's content words the answer must keep
    max_new: float  # share of the answer's content words that may be new
    min_ratio: float  # answer words / text words, at least...
    max_ratio: float  # ...and at most
    judge_words: bool = True  # False: a translation (own instructions) keeps few words


MARGINS: dict[str, Margins] = {
    "clean": Margins(0.6, 0.34, 0.45, 1.6),
    "message": Margins(0.5, 0.45, 0.35, 1.9),
    "email": Margins(0.5, 0.5, 0.35, 2.6),
    "notes": Margins(0.5, 0.45, 0.3, 1.9),
    "own": Margins(0.35, 0.6, 0.25, 2.6, judge_words=False),
}
SHORT = 4  # a text of this many content words or fewer is judged by counts, not shares


@dataclass(frozen=True)
class Verdict:
    ok: bool
    text: str  # the answer to deliver (preamble and wrapping dropped) when ok
    reason: str = ""  # why not, one line, when not ok


def content_words(text: str) -> list[str]:
    """The words that carry the text's meaning, reduced to a rough stem."""
    out = []
    for found in _TOKEN.findall(text.lower()):
        token = found.removesuffix("'s").replace("'", "")
        if token in STOPWORDS or token in NUMBER_WORDS or token.isdigit() or len(token) < 2:
            continue
        out.append(stem(token))
    return out


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tidy(answer: str, source: str) -> str:
    """The answer without what a model wraps a text in: a preamble line, quotes, tags."""
    text = answer.strip()
    text = re.sub(r"</?transcript>", "", text).strip()
    preamble = _PREAMBLE.match(text)
    if preamble and not set(content_words(preamble.group(0))) <= set(content_words(source)):
        text = text[preamble.end() :].strip()  # the model's words, not the speaker's
    for left, right in ('""', "“”", "''"):
        if (
            len(text) > 1
            and text[0] == left
            and text[-1] == right
            and not source.strip().startswith(left)
        ):
            text = text[1:-1].strip()
    return text


def _starts_alike(pattern: re.Pattern[str], answer: str, source: str) -> bool:
    """The answer starts with `pattern` and the text did not: the model's own words."""
    return bool(pattern.search(answer)) and not pattern.search(source)


def judge(source: str, answer: str, *, style: str = "clean", one_line: bool = False) -> Verdict:
    """May `answer` (the model's) replace `source` (the rendered text)? See the module."""
    margins = MARGINS.get(style, MARGINS["clean"])
    text = tidy(answer, source)
    if not text:
        return Verdict(False, "", "the model gave back no text")
    if one_line and "\n" in text and "\n" not in source.strip():
        return Verdict(False, "", "the model gave back several lines where one line was typed")
    if _starts_alike(_REFUSAL, text, source):
        return Verdict(False, "", "the model refused instead of cleaning the text")
    if _SELF.search(text) and not _SELF.search(source):
        return Verdict(False, "", "the model spoke about itself instead of cleaning the text")
    if _starts_alike(_CHATTY, text, source):
        return Verdict(False, "", "the model answered the text instead of cleaning it")
    said, got = len(source.split()), len(text.split())
    ratio = got / max(said, 1)
    if said > SHORT * 2 and not margins.min_ratio <= ratio <= margins.max_ratio:
        size = "shorter" if ratio < margins.min_ratio else "longer"
        return Verdict(False, "", f"the model's text is far {size} than what was said "
                                  f"({got} words for {said})")  # fmt: skip
    if said <= SHORT * 2 and got > said * 2 + 6:
        return Verdict(False, "", f"the model's text is far longer than what was said "
                                  f"({got} words for {said})")  # fmt: skip
    if _answered_question(source, text, style):
        return Verdict(False, "", "the model answered the question instead of writing it down")
    if margins.judge_words:
        why = _overlap(content_words(source), content_words(text), margins)
        if why:
            return Verdict(False, "", why)
    return Verdict(True, text)


def _answered_question(source: str, text: str, style: str) -> bool:
    """A dictated question came back as a statement with another first word."""
    words = [w.removesuffix("'s") for w in _TOKEN.findall(source.lower())]
    if style not in ("clean", "message") or not words or words[0] not in QUESTION_WORDS:
        return False
    first = [w.removesuffix("'s") for w in _TOKEN.findall(text.lower())[:1]]
    if "?" in text:  # the question, then an answer after it
        return len(text.rsplit("?", 1)[1].split()) > 2
    return first != words[:1]


def _overlap(said: list[str], got: list[str], margins: Margins) -> str:
    said_set, got_set = set(said), set(got)
    if not said_set:
        return ""
    kept = len(said_set & got_set) / len(said_set)
    dropped = said_set - got_set
    # A new word that looks like one it replaced is a fix ("fold" -> "hold"), not news.
    new = [w for w in got_set - said_set if not any(_alike(w, d) for d in dropped)]
    if len(said_set) <= SHORT:  # a false start may drop two of four ("friday, no wait")
        if len(said_set & got_set) < (len(said_set) + 1) // 2 or new:
            return "the model's text does not say what was said"
        return ""
    if kept < margins.min_kept:
        return f"the model's text keeps too few of the words said ({kept:.0%})"
    if len(new) / max(len(got_set), 1) > margins.max_new:
        return "the model's text says things that were not said"
    return ""


def _alike(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.6
