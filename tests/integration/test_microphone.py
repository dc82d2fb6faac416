"""The microphone path for real: PulseAudio's virtual microphone, PortAudio, soxr, the engine.

Speech is played into the virtual microphone in real time at 48 kHz and 44.1 kHz; what the
app captures is transcribed by the real engine and compared with the offline transcript of
the same fixture (word error rate within 0.25).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from app.audio import devices
from app.audio.capture import MicrophoneSource
from app.audio.levels import Level
from app.core.errors import AudioInputError
from app.engine.asr import ModelRegistry
from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from tests.conftest import Engine
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic

pytestmark = pytest.mark.skipif(
    shutil.which("pulseaudio") is None, reason="needs PulseAudio (scripts/test.sh installs it)"
)


@pytest.fixture(scope="module", params=[48000, 44100], ids=["48k", "44k1"])
def mic(request: pytest.FixtureRequest) -> Iterator[VirtualMic]:
    virtual = VirtualMic(request.param)
    virtual.start()
    devices.refresh()
    yield virtual
    virtual.stop()
    devices.refresh()


def offline(name: str) -> str:
    samples = np.frombuffer(pcm(name), "<i2").astype(np.float32) / np.float32(32768)
    return ModelRegistry().get("openai/whisper-tiny.en").transcribe(samples)


class Counting:
    """A sink that forwards frames and sets `reached` once `limit` bytes went through."""

    def __init__(self, limit: int, forward: object = None) -> None:
        self.limit, self.count = limit, 0
        self.forward = forward
        self.reached = threading.Event()

    def __call__(self, frame: bytes) -> None:
        if callable(self.forward):
            self.forward(frame)
        self.count += len(frame)
        if self.count >= self.limit:
            self.reached.set()


def test_the_virtual_microphone_is_listed(mic: VirtualMic) -> None:
    names = [d.name for d in devices.list_inputs()]
    assert "default" in names or "pulse" in names
    device, note = devices.find_input("no such microphone")
    assert note is not None and "not connected" in note and device.is_default


def test_speech_captured_resampled_and_transcribed(mic: VirtualMic, engine: Engine) -> None:
    cfg = ClientConfig(engine.url, "openai/whisper-tiny.en", engine.token, commit_ack=True)
    client = RealtimeClient(cfg)
    client.start()
    source = MicrophoneSource(None, frame_ms=20)
    sink = Counting(len(silence(0.3) + pcm("weather") + silence(0.8)), client.send_audio)
    mic.play(silence(0.3) + pcm("weather") + silence(0.9))
    source.start(sink)
    assert sink.reached.wait(30), "the microphone did not deliver the speech"
    source.stop()
    result = client.finish(30)
    assert result.error is None and source.error is None
    assert source.dropped_blocks == 0
    assert source.cold_start_s is not None and source.cold_start_s < 1.0
    assert wer(offline("weather"), result.text) <= 0.25
    assert wer(TEXTS["weather"], result.text) <= 0.3


def test_dictate_listen_end_to_end(mic: VirtualMic) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "listen", "--seconds", "7"],
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # speak once it says it is listening
        if line.startswith("listening on"):
            break
    mic.play(pcm("meeting") + silence(0.5))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = out.strip().splitlines()[-1]
    assert wer(TEXTS["meeting"], final) <= 0.2


def test_unplugging_mid_recording_gives_a_clear_error_and_keeps_the_audio(
    mic: VirtualMic,
) -> None:
    errors: list[AudioInputError] = []
    source = MicrophoneSource(None, on_error=errors.append, stall_timeout_s=1.0)
    sink = Counting(2 * 16000 * 2)
    mic.play(pcm("five") + silence(2.0))
    source.start(sink)
    assert sink.reached.wait(20)
    mic.unplug()
    try:
        assert source.wait(15), "the capture never noticed"
        assert errors and "stopped delivering audio" in str(errors[0])
        assert "recorded so far are kept" in str(errors[0])
        assert len(source.captured) >= 2 * 16000 * 2
    finally:
        source.close()
        mic.load_source()


def test_a_kept_open_microphone_hands_over_half_a_second_of_pre_roll(mic: VirtualMic) -> None:
    mic.flush()
    loud = threading.Event()
    levels: list[float] = []

    def on_level(level: Level) -> None:
        levels.append(level.rms_db)
        # The pre-roll had time to fill, and speech began 100 ms ago (two levels back).
        if len(levels) > 12 and min(levels[-3:]) > -35:
            loud.set()

    source = MicrophoneSource(None, keep_open=True, preroll_ms=500, on_level=on_level)
    source.open()
    try:
        mic.play(silence(0.8) + pcm("five"))
        assert loud.wait(15), "no speech reached the open microphone"
        sink = Counting(10**9)
        source.start(sink)  # the user presses the key after starting to speak
        head = np.frombuffer(source.captured[:16000], "<i2")  # the first 500 ms
        assert head.size == 8000
        assert np.abs(head.astype(np.float32)).max() > 3000  # and it holds the first word
        source.stop()
        assert source.is_open  # kept open for the next dictation
    finally:
        source.close()
    assert not source.is_open


def test_dictate_devices_lists_and_meters(mic: VirtualMic) -> None:
    mic.flush()
    env = dict(os.environ, XDG_RUNTIME_DIR=mic.env["XDG_RUNTIME_DIR"])
    listed = subprocess.run([sys.executable, "-m", "app", "devices"], env=env,
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert listed.returncode == 0 and "(default)" in listed.stdout
    mic.play(pcm("fox"))
    metered = subprocess.run(
        [sys.executable, "-m", "app", "devices", "--test", "--seconds", "2"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert metered.returncode == 0, metered.stderr
    assert "dBFS" in metered.stdout and "testing" in metered.stderr
