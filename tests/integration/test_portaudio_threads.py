"""PortAudio from several threads at once: the microphone opening and closing while the
start and stop sounds play, as in a quick series of dictations. Before its calls were
serialized this crashed the app with a segmentation fault inside PortAudio (found by the
soak test). Run in a child process, so a crash is a failed test, not a dead test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.virtual_mic import VirtualMic

ROOT = Path(__file__).resolve().parents[2]

CHURN = textwrap.dedent(
    """
    import threading
    from app.audio.capture import MicrophoneSource
    from app.platform import sounds

    frames = []
    stop = threading.Event()

    def beeps():
        while not stop.is_set():
            sounds.play("start")
            sounds.play("stop")
            stop.wait(0.03)

    beeper = threading.Thread(target=beeps)
    beeper.start()
    for i in range(40):
        mic = MicrophoneSource()
        mic.start(frames.append)
        mic.stop()
    stop.set()
    beeper.join()
    print("frames", len(frames), flush=True)
    """
)


@pytest.fixture
def speakers_and_mic() -> Iterator[VirtualMic]:
    virtual = VirtualMic(48000, speakers=True)
    virtual.start()
    yield virtual
    virtual.stop()


def test_microphone_and_sounds_together_never_crash(speakers_and_mic: VirtualMic) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", CHURN],
        env=speakers_and_mic.env, cwd=ROOT, capture_output=True, text=True, timeout=240,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("frames ") and int(done.stdout.split()[1]) > 0
