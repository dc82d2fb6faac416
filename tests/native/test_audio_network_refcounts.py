"""The native extensions on the audio and network paths keep None/True/False balanced too.

Each runs the call the app makes, many times: soxr (the microphone's resampler),
sounddevice's callback (through the PulseAudio virtual microphone), websockets' C mask
(every frame the engine receives), onnxruntime (Silero VAD), CTranslate2 (Whisper).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from app.audio.resample import Resampler
from app.engine.vad import SileroStream
from tests.native.refcounts import assert_no_drift, singleton_counts
from tests.virtual_mic import VirtualMic

ROOT = Path(__file__).resolve().parents[2]


def test_soxr_resampling_keeps_the_singletons() -> None:
    resampler = Resampler(48000)
    block = np.random.default_rng(1).uniform(-0.5, 0.5, 960).astype(np.float32)
    assert_no_drift(lambda: resampler.process(block), 3000, "soxr ResampleStream")


def test_websockets_frame_masking_keeps_the_singletons() -> None:
    from websockets.speedups import apply_mask  # the C speedup the server uses

    data, mask = bytes(4000), b"\x01\x02\x03\x04"
    assert_no_drift(lambda: apply_mask(data, mask), 5000, "websockets.speedups.apply_mask")


def test_onnxruntime_vad_keeps_the_singletons() -> None:
    stream = SileroStream()
    block = np.random.default_rng(2).uniform(-0.1, 0.1, 1024).astype(np.float32)
    assert_no_drift(lambda: stream.process(block), 1000, "onnxruntime (Silero VAD)")


_DECODES = """
import json, numpy as np
from app.engine.asr import ModelRegistry
from app.engine.decode import Request
from app.engine.models import DEFAULT_MODEL_ID
from tests.native.refcounts import singleton_drift
from tests.speech import pcm
recognizer = ModelRegistry(device="cpu", workers=1).get(DEFAULT_MODEL_ID)
speech = np.frombuffer(pcm("fox"), np.int16).astype(np.float32) / np.float32(32768)
short = speech[: 16000 * 2]
print(json.dumps({
    "decode": singleton_drift(lambda: recognizer.transcribe(short), 100),
    "words": singleton_drift(lambda: recognizer.decode([Request(short, words=True)]), 20),
}))
"""


def test_ctranslate2_decoding_keeps_the_singletons() -> None:
    # In a process of its own: the decodes take seconds, and threads that earlier tests
    # left winding down in this one free objects meanwhile, moving the counts too.
    done = subprocess.run(
        [sys.executable, "-c", _DECODES], capture_output=True, text=True, check=True,
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    drift = json.loads(done.stdout.strip().splitlines()[-1])
    # Measured without a leak: None moves by 0 to -6 whether over 40 calls or 300 (objects
    # the decoder's caches free meanwhile), so a quarter of the calls parts noise from a
    # leak, which moves it by one a call.
    for what, repeats in (("decode", 100), ("words", 20)):
        assert all(abs(d) < repeats // 4 for d in drift[what]), (
            f"CTranslate2 ({what}): the counts of None/True/False moved by {drift[what]} over "
            f"{repeats} calls: a native extension returns a singleton without a reference"
        )


def test_the_sounddevice_callback_keeps_the_singletons(mic: VirtualMic) -> None:
    import sounddevice as sd

    blocks = 500
    calls = 0
    warm, done = threading.Event(), threading.Event()

    def callback(indata: object, _frames: int, _time: object, _status: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 10:
            warm.set()
        elif calls == 10 + blocks:
            done.set()

    with sd.InputStream(samplerate=48000, channels=1, blocksize=480, callback=callback):
        assert warm.wait(30), "the virtual microphone delivered nothing"
        before = singleton_counts()
        assert done.wait(30), "the virtual microphone stopped delivering"
        after = singleton_counts()
    drift = tuple(a - b for a, b in zip(after, before, strict=True))
    assert all(abs(d) < blocks // 10 for d in drift), f"{blocks} callbacks moved them by {drift}"
