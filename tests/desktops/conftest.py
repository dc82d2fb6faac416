"""The real-desktop tests' shared microphone: one PulseAudio virtual microphone per module,
like the desktop itself (one per module: starting them is most of these tests' time)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.virtual_mic import VirtualMic


@pytest.fixture(scope="module")
def voice() -> Iterator[VirtualMic]:
    """The virtual microphone (48 kHz), open to the desktop's user through `share()`."""
    mic = VirtualMic(48000)
    mic.start()
    yield mic
    mic.stop()
