"""Which way the text goes into the app the user is typing in, and what really happened.

The chain, first usable wins ("auto"): the input method (an IBus daemon runs) -> on X11, typing
through XTest, or paste when the user prefers it -> on Wayland, `wtype` or `ydotool` where they
can type (probed, see `wayland`: the compositor's virtual keyboard, a writable /dev/uinput) ->
the clipboard, with a notice saying so. The user may pick one in Settings; one that is not
usable here falls back along the chain. Each delivery ends in an `Outcome` that says what
was done, never a success that did not happen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.delivery import input_method, paste, wayland, xtest
from app.delivery.ibus import daemon_running
from app.platform import session

AUTO = "auto"
INPUT_METHOD = "input method"
TYPING = "typing"
PASTE = "paste"
WAYLAND = "wayland typing"
CLIPBOARD = "clipboard"
CHOICES = (AUTO, INPUT_METHOD, TYPING, PASTE, WAYLAND, CLIPBOARD)
HELP = (
    "auto: the input method (live words at the caret) when IBus runs; on X11 typing, or paste "
    "when 'Paste it' is on; on Wayland wtype or ydotool; else the clipboard. A choice that is "
    "not available here falls back along the same chain."
)


@dataclass(frozen=True)
class Environment:
    x11: bool
    wayland: bool
    ibus: bool
    xdotool: bool
    xclip: bool
    wayland_tool: str | None
    im: str = ""  # the input method framework that owns the session (input_method.owner)
    wayland_note: str = ""  # why no typing tool works on this Wayland desktop ("" when one does)

    @classmethod
    def detect(cls, env: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if env is None else env
        desktop = session.detect(env)  # XWayland is Wayland here: XTest reaches X11 apps only
        is_wayland = desktop.wayland
        im = input_method.owner(env, input_method.running_daemons())
        typing, why_not = wayland.probe(env) if is_wayland else (None, "")
        return cls(
            x11=desktop.x11,
            wayland=is_wayland,
            # IBus only where the session's apps use it: not beside Fcitx.
            ibus=im != input_method.FCITX and daemon_running(dict(env)),
            im=im,
            xdotool=xtest.available(),
            xclip=paste.available(),
            wayland_tool=typing,
            wayland_note=why_not,
        )


def usable(env: Environment) -> list[str]:
    """The methods that can work here, in the chain's order."""
    methods = []
    if env.ibus:
        methods.append(INPUT_METHOD)
    if env.x11 and env.xdotool:
        methods.append(TYPING)
        if env.xclip:
            methods.append(PASTE)
    if env.wayland and env.wayland_tool:
        methods.append(WAYLAND)
    methods.append(CLIPBOARD)
    return methods


def choose(setting: str, env: Environment, *, prefer_paste: bool = False) -> str:
    """The method to use: the user's choice when usable here, else the first usable one."""
    methods = usable(env)
    if setting in methods:
        return setting
    if prefer_paste and PASTE in methods and methods[0] != INPUT_METHOD:
        return PASTE
    return methods[0]


def describe(setting: str, env: Environment) -> str:
    """For Settings: what "auto" (or the user's choice) means on this desktop."""
    chosen = choose(setting, env)
    why = f" ({env.wayland_note})" if chosen == CLIPBOARD and env.wayland_note else ""
    if setting not in (AUTO, chosen):
        return f"{setting} is not available here: {chosen} is used{why}"
    return f"{chosen} on this desktop{why}" if setting == AUTO else chosen


@dataclass(frozen=True)
class Outcome:
    method: str
    delivered: bool  # the text reached the target app (not only the clipboard)
    message: str


def copied(reason: str, copy: Callable[[str], None], text: str) -> Outcome:
    copy(text)
    return Outcome(CLIPBOARD, False, f"{reason}copied: press Ctrl+V")


def deliver(
    method: str,
    text: str,
    target: xtest.Window | None,
    copy: Callable[[str], None],
    *,
    restore: bool = True,
) -> Outcome:
    """Delivers a whole text with a method that is not the input method (which delivers as
    the words settle). Blocking: call it off the GUI thread; `copy` must be thread-safe."""
    if not text:
        return Outcome(method, False, "nothing to deliver")
    if method == CLIPBOARD:
        return copied("", copy, text)
    if method in (TYPING, PASTE):
        if target is None:
            return copied("no window had the focus: ", copy, text)
        if not xtest.window_exists(target):
            return copied(f"{target.label} closed: ", copy, text)
        active = xtest.active_window()
        if active is None or active.id != target.id:
            where = active.label if active is not None else "no window"
            return copied(f"the focus moved to {where}: ", copy, text)
        if method == TYPING:
            problem = xtest.type_text(text)
            verb = "typed into"
        else:
            problem = paste.paste(text, terminal=target.terminal, restore=restore)
            verb = "pasted into"
        if problem is None:
            return Outcome(method, True, f"{verb} {target.label}")
        return copied(f"{problem}: ", copy, text)
    if method == WAYLAND:
        name = wayland.tool()
        problem = wayland.type_text(text, name)
        if problem is None:
            return Outcome(method, True, f"typed with {name}")
        return copied(f"{problem}: ", copy, text)
    return copied(f"unknown delivery {method!r}: ", copy, text)


def not_taken(
    text: str,
    env: Environment,
    target: xtest.Window | None,
    copy: Callable[[str], None],
    *,
    refused: str = "",
) -> Outcome:
    """The input method's text that no field took: a field that refuses dictation ("password",
    "PIN") keeps it off the screen; a window that does not use the input method (the daemon's
    fake context had the focus) gets it typed where typing works, else it is copied.
    Blocking: call it off the GUI thread."""
    if refused:
        return copied(f"a {refused} field has the focus, nothing typed: ", copy, text)
    if env.x11 and env.xdotool and target is not None:
        typed = deliver(TYPING, text, target, copy)
        if typed.delivered:
            return Outcome(TYPING, True, f"{typed.message} (it does not use the input method)")
        return typed
    return copied("no text field took the text: ", copy, text)
