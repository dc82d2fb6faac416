"""Per-app profiles: the app captured at press chooses how its dictation is written.

A terminal wants one line of exactly what was said (a line break there runs a command, and a
rewrite of `git push` by a language model is a hazard); a mail client wants clean sentences;
a German chat wants German. A profile names the apps it is for (X11 window class parts or
process names, any case; on Wayland the app id sway reports or the program the input method's
client names, and a field whose input purpose is "terminal" counts as a terminal) and what it
changes: the style the cleanup step reads ("clean",
"verbatim", ...), the language, extra vocabulary, one-line text and the delivery method. The
first profile whose rule matches the target wins; with none, the settings apply as they are.
Profiles are stored in the settings file as plain tables (`profiles_from` reads them back,
skipping what it cannot read), so the Settings page and the tests write the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.delivery import chain, xtest
from app.dictation.target import Target

DEFAULT_STYLE = "clean"
VERBATIM = "verbatim"  # no cleanup: the words as rendered

# The terminals delivery knows, and a few more whose Enter a stray line break would press.
TERMINALS = tuple(sorted({*xtest.TERMINALS, "st-256color", "wezterm-gui", "guake",
                          "yakuake", "tilda", "ghostty"}))  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """What a dictation into one of `apps` does differently."""

    name: str
    apps: tuple[str, ...]  # window class parts or process names, compared in lower case
    style: str = DEFAULT_STYLE
    language: str = ""  # "" keeps the language in Settings
    vocabulary: tuple[str, ...] = ()  # added to the vocabulary in Settings
    one_line: bool = False  # line breaks become spaces; nothing sends Enter
    delivery: str = ""  # a delivery method (`chain.CHOICES`); "" keeps the one in Settings

    def matches(self, target: Target) -> bool:
        names = target.names
        apps = {app.lower() for app in self.apps}
        if ANY_TERMINAL in apps and (names & set(TERMINALS) or target.terminal_field):
            return True
        return bool(names & apps)

    def to_table(self) -> dict[str, Any]:
        return {"name": self.name, "apps": list(self.apps), "style": self.style,
                "language": self.language, "vocabulary": list(self.vocabulary),
                "one_line": self.one_line, "delivery": self.delivery}  # fmt: skip


ANY_TERMINAL = "terminals"  # in a profile's apps: every terminal in TERMINALS
TERMINAL = Profile("Terminals", (ANY_TERMINAL,), style=VERBATIM, one_line=True)


def default_tables() -> list[dict[str, Any]]:
    """The profiles a new settings file starts with (`Settings.profiles`, which holds the
    same: storage sits below this layer): terminals, one verbatim line."""
    return [TERMINAL.to_table()]


@dataclass(frozen=True)
class Profiles:
    """The rules in order; the first match wins."""

    rules: tuple[Profile, ...] = field(default_factory=tuple)

    def choose(self, target: Target) -> Profile | None:
        if not target.known or target.own:
            return None  # nothing known, or Dictate's own window: the settings as they are
        return next((p for p in self.rules if p.matches(target)), None)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list | tuple):
        return ()
    return tuple(" ".join(v.split()) for v in value if isinstance(v, str) and v.strip())


def profile_from(table: object) -> Profile | None:
    """One stored profile, or None when it cannot be read (no name or no apps)."""
    if not isinstance(table, dict):
        return None
    name, apps = table.get("name"), _strings(table.get("apps"))
    if not isinstance(name, str) or not name.strip() or not apps:
        return None
    style, language, delivery = table.get("style"), table.get("language"), table.get("delivery")
    return Profile(
        name.strip(),
        apps,
        style=style.strip() if isinstance(style, str) and style.strip() else DEFAULT_STYLE,
        language=language.strip() if isinstance(language, str) else "",
        vocabulary=_strings(table.get("vocabulary")),
        one_line=table.get("one_line") is True,
        delivery=delivery if delivery in chain.CHOICES else "",
    )


def profiles_from(tables: object) -> Profiles:
    """The stored profiles that can be read, in order."""
    if not isinstance(tables, list):
        return Profiles()
    return Profiles(tuple(p for p in map(profile_from, tables) if p is not None))


def app_names(target: Target) -> tuple[str, ...]:
    """The names a new profile for this target matches: its window class (instance.Class:
    the class; a dot in a name leaves the instance), else the app id sway reports or the
    input method client's program (the last part of a reverse-DNS id: "org.gnome.TextEditor"
    -> "texteditor"), else its process ("Add the app in front" in Settings)."""
    if target.window is not None:
        parts = [p for p in target.wm_class.split(".") if p]
        if parts:
            return ((parts[1] if len(parts) == 2 else parts[0]).lower(),)
    for name in (target.app_id, target.client):
        parts = [p for p in name.split(".") if p]
        if parts:
            return (parts[-1].lower(),)
    return (target.process.lower(),) if target.process else ()
