"""The dictation's phases and the moves between them: a pure state machine.

idle -> (press) -> loading (engine not ready) | connecting -> listening -> (release) ->
finishing -> idle, or error from anywhere; error -> (press / retry) -> connecting.
The controller asks `allowed` before every move, so an impossible sequence (a release
while idle, a second press while listening) is ignored instead of corrupting state.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    IDLE = "idle"
    LOADING = "loading model"
    CONNECTING = "connecting"
    LISTENING = "listening"
    FINISHING = "finishing"
    ERROR = "error"


_MOVES: dict[Phase, set[Phase]] = {
    Phase.IDLE: {Phase.LOADING, Phase.CONNECTING, Phase.ERROR},
    Phase.LOADING: {Phase.CONNECTING, Phase.LISTENING, Phase.FINISHING, Phase.ERROR},
    Phase.CONNECTING: {Phase.LISTENING, Phase.FINISHING, Phase.ERROR},
    Phase.LISTENING: {Phase.FINISHING, Phase.CONNECTING, Phase.ERROR},
    Phase.FINISHING: {Phase.IDLE, Phase.ERROR},
    Phase.ERROR: {Phase.LOADING, Phase.CONNECTING, Phase.IDLE, Phase.ERROR},
}


def allowed(current: Phase, target: Phase) -> bool:
    return target in _MOVES[current]


def recording(phase: Phase) -> bool:
    """The microphone is (or is about to be) captured for a dictation."""
    return phase in (Phase.LOADING, Phase.CONNECTING, Phase.LISTENING)
