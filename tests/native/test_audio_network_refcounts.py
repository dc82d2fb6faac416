"""The native extensions on the audio and network paths keep None/True/False balanced too.

Each runs the call the app makes, many times, in an interpreter of its own
(`tests.native.refcounts.measure`): soxr (the microphone's resampler), sounddevice's
callback (through the PulseAudio virtual microphone), websockets' C mask (every frame the
engine receives), onnxruntime (Silero VAD), CTranslate2 (Whisper).
"""

from __future__ import annotations

from tests.native.refcounts import assert_small, measure
from tests.virtual_mic import VirtualMic

_PRELUDE = """
import json
import numpy as np
from tests.native.refcounts import singleton_counts, singleton_drift
"""


def test_soxr_resampling_keeps_the_singletons() -> None:
    drift = measure(_PRELUDE + """
from app.audio.resample import Resampler
resampler = Resampler(48000)
block = np.random.default_rng(1).uniform(-0.5, 0.5, 960).astype(np.float32)
print(json.dumps({"soxr": singleton_drift(lambda: resampler.process(block), 3000)}))
""")  # fmt: skip
    assert_small(drift["soxr"], 3000, "soxr ResampleStream")


def test_websockets_frame_masking_keeps_the_singletons() -> None:
    drift = measure(_PRELUDE + """
from websockets.speedups import apply_mask  # the C speedup the server uses
data, mask = bytes(4000), b"\\x01\\x02\\x03\\x04"
print(json.dumps({"mask": singleton_drift(lambda: apply_mask(data, mask), 5000)}))
""")  # fmt: skip
    assert_small(drift["mask"], 5000, "websockets.speedups.apply_mask")


def test_onnxruntime_vad_keeps_the_singletons() -> None:
    drift = measure(_PRELUDE + """
from app.engine.vad import SileroStream
stream = SileroStream()
block = np.random.default_rng(2).uniform(-0.1, 0.1, 1024).astype(np.float32)
print(json.dumps({"vad": singleton_drift(lambda: stream.process(block), 1000)}))
""")  # fmt: skip
    assert_small(drift["vad"], 1000, "onnxruntime (Silero VAD)")


def test_ctranslate2_decoding_keeps_the_singletons() -> None:
    drift = measure(_PRELUDE + """
from app.engine.asr import ModelRegistry
from app.engine.decode import Request
from app.engine.models import DEFAULT_MODEL_ID
from tests.speech import pcm
recognizer = ModelRegistry(device="cpu", workers=1).get(DEFAULT_MODEL_ID)
speech = np.frombuffer(pcm("fox"), np.int16).astype(np.float32) / np.float32(32768)
short = speech[: 16000 * 2]
print(json.dumps({
    "decode": singleton_drift(lambda: recognizer.transcribe(short), 100),
    "words": singleton_drift(lambda: recognizer.decode([Request(short, words=True)]), 20),
}))
""")  # fmt: skip
    # Measured without a leak, even in a process of its own: None moves by 0 to -6 whether
    # over 40 decodes or 300, so a quarter of the calls parts that noise from a leak.
    assert_small(drift["decode"], 100, "CTranslate2 (decode)", share=4)
    assert_small(drift["words"], 20, "CTranslate2 (word timings)", share=4)


def test_the_sounddevice_callback_keeps_the_singletons(mic: VirtualMic) -> None:
    # The virtual microphone's PulseAudio is found through XDG_RUNTIME_DIR, which the
    # fixture set in this environment, so the new interpreter records from it too.
    drift = measure(_PRELUDE + """
import threading
import sounddevice as sd
blocks, calls = 500, 0
warm, done = threading.Event(), threading.Event()

def callback(indata, frames, time, status):
    global calls
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
print(json.dumps({"callback": [a - b for a, b in zip(after, before)]}))
""")  # fmt: skip
    assert_small(drift["callback"], 500, "sounddevice's callback")
