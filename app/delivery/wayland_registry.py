"""What the Wayland compositor offers, asked of the compositor itself: its registry's globals.

Typing with `wtype` needs the virtual-keyboard protocol (`zwp_virtual_keyboard_manager_v1`),
which wlroots compositors (sway, Hyprland) have and GNOME's mutter and KWin 5.27 do not: the
desktop's name says nothing reliable about it, so the registry is asked. This speaks the
Wayland wire protocol directly over the compositor's socket (a dozen bytes out, the `global`
events back, a `sync` to know they are all there): no libwayland binding, no `wayland-info`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Mapping
from pathlib import Path

VIRTUAL_KEYBOARD = "zwp_virtual_keyboard_manager_v1"

_DISPLAY, _REGISTRY, _CALLBACK = 1, 2, 3  # object ids: wl_display is 1, ours follow
_GET_REGISTRY, _SYNC = 1, 0  # wl_display requests
_GLOBAL, _DONE, _ERROR = 0, 0, 0  # wl_registry.global, wl_callback.done, wl_display.error


def socket_path(env: Mapping[str, str]) -> Path | None:
    """The compositor's socket, as libwayland finds it: $WAYLAND_DISPLAY (default wayland-0)
    under $XDG_RUNTIME_DIR, or an absolute path."""
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if os.path.isabs(name):
        return Path(name)
    runtime = env.get("XDG_RUNTIME_DIR")
    return Path(runtime) / name if runtime else None


def _message(obj: int, opcode: int, *args: int) -> bytes:
    return struct.pack(f"=II{len(args)}I", obj, (8 + 4 * len(args)) << 16 | opcode, *args)


def _string(payload: bytes, at: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("=I", payload, at)
    raw = payload[at + 4 : at + 4 + length]
    return raw.rstrip(b"\0").decode("utf-8", "replace"), at + 4 + (length + 3) // 4 * 4


def parse_globals(stream: bytes) -> tuple[dict[str, int], bool, str]:
    """From the compositor's bytes: (interface -> version, whether `sync` answered, error)."""
    found: dict[str, int] = {}
    at = 0
    while at + 8 <= len(stream):
        obj, word = struct.unpack_from("=II", stream, at)
        size, opcode = word >> 16, word & 0xFFFF
        if size < 8 or at + size > len(stream):
            break
        payload = stream[at + 8 : at + size]
        at += size
        if obj == _REGISTRY and opcode == _GLOBAL:
            interface, end = _string(payload, 4)
            (version,) = struct.unpack_from("=I", payload, end)
            found[interface] = version
        elif obj == _CALLBACK and opcode == _DONE:
            return found, True, ""
        elif obj == _DISPLAY and opcode == _ERROR:
            message, _ = _string(payload, 8)
            return found, False, message or "protocol error"
    return found, False, ""


def globals_of(env: Mapping[str, str] | None = None, timeout: float = 2.0) -> dict[str, int]:
    """The globals (interface name -> version) the session's compositor advertises; empty
    when there is no compositor to ask or it does not answer in time."""
    env = os.environ if env is None else env
    path = socket_path(env)
    if path is None:
        return {}
    received = b""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(
            _message(_DISPLAY, _GET_REGISTRY, _REGISTRY) + _message(_DISPLAY, _SYNC, _CALLBACK)
        )
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            found, done, error = parse_globals(received)
            if done or error:
                return found
    return parse_globals(received)[0]


def has_virtual_keyboard(env: Mapping[str, str] | None = None) -> bool:
    """Whether `wtype` can type here: the compositor has the virtual-keyboard protocol."""
    return VIRTUAL_KEYBOARD in globals_of(env)
