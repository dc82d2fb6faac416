"""The engine side of models: loading never blocks loaded models, the CUDA fallback says
why, and `dictate models bench` measures the bundled model on this machine."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.engine import asr
from app.engine.models import DEFAULT_MODEL_ID, resolve
from app.models import speed, store


def test_models_bench_prints_and_keeps_the_figures(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["models", "bench", "tiny.en", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"tiny\.en: (\d+\.\d+)x real time, final in (\d+\.\d+) s: (.+?) \(", out)
    assert found, out
    rtf, final = float(found.group(1)), float(found.group(2))
    kept = speed.load()["tiny.en"]
    assert (round(kept.rtf, 2), round(kept.final_s, 2)) == (rtf, final)
    slow = "too slow for live text (finals only)"
    assert found.group(3) == ("live text OK" if rtf <= speed.LIVE_RTF else slow)
    assert "quick" in out.lower()  # it decoded the bundled clip for real
    assert cli.main(["models", "list"]) == 0
    assert re.search(rf"tiny\.en +bundled .* {rtf:.2f}x RT", capsys.readouterr().out)


def test_a_model_that_loads_does_not_hold_up_a_loaded_one(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = asr.ModelRegistry("cpu", 1)
    registry.get(DEFAULT_MODEL_ID)
    gate, entered = threading.Event(), threading.Event()
    real_load = asr._load

    def slow_load(spec: Any, device: str, workers: int) -> Any:
        entered.set()
        assert gate.wait(30)  # a big model still loading, until the test says so
        return real_load(spec, device, workers)

    monkeypatch.setattr(asr, "_load", slow_load)
    other = str(store.bundled_path())  # a directory id: a second model in the registry
    loader = threading.Thread(target=registry.get, args=(other,))
    loader.start()
    assert entered.wait(10)
    done = threading.Event()

    def get_loaded() -> None:
        registry.get(DEFAULT_MODEL_ID)
        done.set()

    threading.Thread(target=get_loaded).start()
    assert done.wait(5), "the loaded model waited behind the loading one"
    assert loader.is_alive()
    gate.set()
    loader.join(30)
    assert registry.loaded(other) is not None


def test_auto_device_falls_back_to_the_cpu_with_a_one_line_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CTranslate2 reports a GPU (stubbed), but loading on CUDA really fails on this machine."""
    monkeypatch.setattr(asr, "pick_device", lambda device: ("cuda", "1 CUDA device(s) found"))
    spec = resolve(DEFAULT_MODEL_ID)
    recognizer = asr.load_recognizer(spec, "auto", 1)
    assert recognizer.device == "cpu"
    assert recognizer.device_note.startswith("CUDA failed (")
    assert "\n" not in recognizer.device_note
    with pytest.raises(RuntimeError, match="CUDA"):
        asr.load_recognizer(spec, "cuda", 1)  # asked for CUDA by name: no silent fallback


def test_auto_device_without_a_gpu_says_so() -> None:
    device, why = asr.pick_device("auto")
    import ctranslate2

    if ctranslate2.get_cuda_device_count() == 0:
        assert (device, why) == ("cpu", "no CUDA device found")
    else:
        assert device == "cuda" and "CUDA device" in why


def test_serve_says_which_device_and_why() -> None:
    import subprocess
    import sys

    import ctranslate2

    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", "0", "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
    finally:
        proc.terminate()
        proc.wait(15)
    assert lines[0].startswith("Dictate engine listening on "), lines
    if ctranslate2.get_cuda_device_count() == 0:
        expected = r"model: openai/whisper-tiny\.en \(cpu: no CUDA device found; loaded in "
    else:
        expected = r"model: openai/whisper-tiny\.en \((cuda: \d CUDA device|cpu: CUDA failed)"
    assert re.match(expected, lines[1]), lines[1]
