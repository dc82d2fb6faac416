"""Input devices: what is there, and which one the user means.

Devices are chosen by name, not index: indexes change when something is plugged in, names
survive restarts and re-plugging. When the saved name is gone, the default input is used and
the caller gets a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audio.portaudio import LOCK, sounddevice
from app.core.errors import AudioInputError


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    channels: int
    default_rate: float
    is_default: bool

    def describe(self) -> str:
        mark = " (default)" if self.is_default else ""
        return f"{self.name}{mark}: {self.hostapi}, {self.channels} ch, {self.default_rate:.0f} Hz"


def refresh() -> None:
    """Make PortAudio list devices again (it caches them from its start)."""
    sd = sounddevice()
    with LOCK:
        sd._terminate()
        sd._initialize()


def list_inputs() -> list[InputDevice]:
    sd = sounddevice()
    try:
        with LOCK:
            default_in = sd.default.device[0]
            hostapis = sd.query_hostapis()
            devices = sd.query_devices()
    except sd.PortAudioError as exc:
        raise AudioInputError(f"cannot list audio devices: {exc}") from exc
    if default_in is None or default_in < 0:
        default_in = next(
            (api["default_input_device"] for api in hostapis if api["default_input_device"] >= 0),
            -1,
        )
    out = []
    for d in devices:
        if d["max_input_channels"] <= 0:
            continue
        out.append(
            InputDevice(
                index=d["index"],
                name=d["name"],
                hostapi=hostapis[d["hostapi"]]["name"],
                channels=d["max_input_channels"],
                default_rate=float(d["default_samplerate"]),
                is_default=d["index"] == default_in,
            )
        )
    return out


def find_input(name: str | None) -> tuple[InputDevice, str | None]:
    """The device called `name` (exact, then case-insensitive prefix), else the default.

    Returns the device and a note for the user when the named one was not found.
    """
    inputs = list_inputs()
    if not inputs:
        raise AudioInputError("no microphone found: plug one in, or check the sound settings")
    if name:
        exact = [d for d in inputs if d.name == name]
        prefix = [d for d in inputs if d.name.lower().startswith(name.lower())]
        if exact or prefix:
            return (exact or prefix)[0], None
    default = next((d for d in inputs if d.is_default), inputs[0])
    note = None
    if name:
        note = f"microphone '{name}' is not connected; using '{default.name}' instead"
    return default, note
