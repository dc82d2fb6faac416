"""The one desktop-session answer, and that delivery, key capture and the hotkey share it."""

from __future__ import annotations

import pytest

from app.delivery.chain import Environment
from app.platform.session import Kind, detect

WAYLAND_SOCKET = {"WAYLAND_DISPLAY": "wayland-0"}
X_DISPLAY = {"DISPLAY": ":0"}


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, Kind.NONE),
        (X_DISPLAY, Kind.X11),
        (WAYLAND_SOCKET, Kind.WAYLAND),
        # Both set, nothing declared: GNOME or KDE with XWayland, not X11.
        ({**WAYLAND_SOCKET, **X_DISPLAY}, Kind.XWAYLAND),
        ({"XDG_SESSION_TYPE": "wayland", **X_DISPLAY}, Kind.XWAYLAND),
        ({"XDG_SESSION_TYPE": "wayland", **WAYLAND_SOCKET, **X_DISPLAY}, Kind.XWAYLAND),
        ({"XDG_SESSION_TYPE": "wayland"}, Kind.WAYLAND),
        ({"XDG_SESSION_TYPE": "Wayland", **WAYLAND_SOCKET}, Kind.WAYLAND),
        # The login manager's word wins over a nested compositor's socket in an X11 session.
        ({"XDG_SESSION_TYPE": "x11", **WAYLAND_SOCKET, **X_DISPLAY}, Kind.X11),
        ({"XDG_SESSION_TYPE": "x11"}, Kind.NONE),  # said X11, but no display to reach
        # A console login (ssh, a tty) that runs its own servers: the variables decide.
        ({"XDG_SESSION_TYPE": "tty", **X_DISPLAY}, Kind.X11),
        ({"XDG_SESSION_TYPE": "tty", **WAYLAND_SOCKET}, Kind.WAYLAND),
        ({"XDG_SESSION_TYPE": "tty"}, Kind.NONE),
        ({"WAYLAND_DISPLAY": "", "DISPLAY": ""}, Kind.NONE),  # set but empty is not set
    ],
)
def test_the_session_kind(env: dict[str, str], kind: Kind) -> None:
    assert detect(env).kind is kind


def test_what_each_kind_allows() -> None:
    allows = {
        kind: (detect_kind.wayland, detect_kind.x11, detect_kind.x_display)
        for kind, detect_kind in (
            (Kind.X11, detect(X_DISPLAY)),
            (Kind.WAYLAND, detect(WAYLAND_SOCKET)),
            (Kind.XWAYLAND, detect({**WAYLAND_SOCKET, **X_DISPLAY})),
            (Kind.NONE, detect({})),
        )
    }
    assert allows == {
        Kind.X11: (False, True, True),
        Kind.WAYLAND: (True, False, False),
        Kind.XWAYLAND: (True, False, True),  # X clients connect; other apps are Wayland's
        Kind.NONE: (False, False, False),
    }


def test_delivery_key_capture_and_the_hotkey_agree_with_xwayland(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The case they disagreed on: both displays set and no session type declared."""
    from app.platform.hotkey import GlobalHotkey
    from app.ui.key_capture import on_wayland

    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("DISPLAY", ":0")
    environment = Environment.detect()
    assert environment.wayland and not environment.x11  # no XTest typing into Wayland apps
    assert on_wayland()
    problem = GlobalHotkey("<ctrl>+<alt>+d").start()
    assert problem is not None and "Wayland" in problem
