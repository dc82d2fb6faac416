"""How a dictation joins the text already at the caret, and which fields refuse dictation.

Pure functions, no imports beyond the standard library: the IBus engine process (run by the
system python3, outside the app's package) imports this file from its own directory, and the
app's tests import it as `app.delivery.ibus.caret`.

The recognizer writes every dictation as a sentence of its own ("The meeting is at ten.").
At the caret that is right only at the start of a field or after a sentence end; mid-sentence
("see you on |") it must go on in lower case, and it needs a space after a word but not after
a space or at the start of a line. IBus gives the text before the caret when the app offers it
(surrounding text); when it does not, the text goes in as it was written.
"""

from __future__ import annotations

import re

# IBusInputPurpose values (ibustypes.h, the same as GtkInputPurpose): fields that hide what
# is typed. Dictating a password out loud and typing it in is what the user must not get by
# accident, so these fields refuse dictation.
PURPOSE_PASSWORD = 8
PURPOSE_PIN = 9
SECRET_PURPOSES = {PURPOSE_PASSWORD: "password", PURPOSE_PIN: "PIN"}

_SENTENCE_END = re.compile(r"[.!?…][\"'\u201d\u2019)\]]*\s*$")
_NO_SPACE_BEFORE = tuple(",.;:!?…)]}%\"'\u201d\u2019")
_OPENING = tuple("([{\u201c\u2018/-\n\t")  # not " and ': they close as often


def secret_field(purpose: int) -> str:
    """'password' or 'PIN' when a field of that input purpose must not take dictation."""
    return SECRET_PURPOSES.get(purpose, "")


# Names English always capitalises: a dictation that starts with one mid-sentence keeps it
# ("see you on" + "Friday at ten." -> "see you on Friday at ten.").
_PROPER = frozenset(
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "English",
    ]
)


def _lower_first_word(text: str) -> str:
    """'The plan' -> 'the plan'; words that are capitalised for themselves stay ('I', 'NASA',
    'iPhone', anything with more than its first letter in upper case, weekdays, months)."""
    match = re.match(r"([^\W\d_][\w'\u2019-]*)", text)
    if match is None:
        return text
    word = match.group(1)
    if word == "I" or word.startswith(("I'", "I\u2019")) or not word[:1].isupper():
        return text
    if word in _PROPER:
        return text
    if any(c.isupper() for c in word[1:]):
        return text
    return word[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    for i, c in enumerate(text):
        if c.isalpha():
            return text[:i] + c.upper() + text[i + 1 :]
        if not (c.isspace() or c in "\"'\u201c\u2018(["):
            return text
    return text


def fit(before: str, text: str) -> str:
    """`text` as it should go in after `before` (the field's text up to the caret)."""
    if not text:
        return text
    body = text.lstrip(" ")
    if not body:
        return text
    head = before.rstrip(" ")
    if not head.strip():  # the start of the field (or of a line of spaces): a new sentence
        return _upper_first(body)
    if _SENTENCE_END.search(head) or head.endswith("\n"):
        body = _upper_first(body)
    else:
        body = _lower_first_word(body)
    if before.endswith((" ", *_OPENING)) or body.startswith(_NO_SPACE_BEFORE):
        return body
    return " " + body
