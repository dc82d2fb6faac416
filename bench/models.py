"""Models benchmark (issue 13): per runnable model, load time, real-time factor, commit ->
completed p50 and RSS; download throughput from a local hub mirror; the time the running
app takes to switch models.

Run: `.venv/bin/python -m bench.models`. The real hub is unreachable here, so the mirror
(`tests/hub_mirror.py`) serves the bundled tiny.en under another name, and that pulled copy
is benchmarked beside the bundled one. Everything happens under a temporary DICTATE_HOME.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import pytest

from bench.common import rss_mb, served
from bench.engine import one_dictation
from tests.hub_mirror import REPO, serve_bundled

DICTATIONS = ["five", "weather", "meeting", "fox", "five", "weather"]


def throughput(runs: int = 3) -> list[float]:
    """MB/s of a whole pull (hashing included) from the loopback mirror."""
    from app.models import download, store

    rates = []
    for _ in range(runs):
        store.remove(REPO)
        started = time.perf_counter()
        model = download.Pull(REPO).run()
        rates.append(model.size_bytes / 1e6 / (time.perf_counter() - started))
    return rates


def served_figures(model: str, port: int) -> tuple[float, float, float]:
    """(load s, commit -> completed p50 s, RSS MB) of `dictate serve --model MODEL`."""
    with served(port, "--model", model, "--device", "cpu") as (url, proc):
        assert url and proc.stdout is not None, f"dictate serve --model {model} did not start"
        said = proc.stdout.readline()  # "model: ID (cpu: ...; loaded in 0.31 s; ready in ...)"
        found = re.search(r"loaded in (\d+\.\d+) s", said)
        load = float(found.group(1)) if found else float("nan")
        latencies = [one_dictation(url, name, lead=0.3)[0] for name in DICTATIONS]
        rss = rss_mb(proc.pid)
    return load, statistics.median(latencies), rss


def switch_time(model_id: str) -> float:
    """Seconds from accepting Settings with another local model to the app using it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.main import build
    from app.storage.settings import Settings

    app = QApplication.instance() or QApplication([])
    parts = build(Settings(sounds=False, backend="local"), instance_name=f"bench-{os.getpid()}")
    parts.backend.wait_ready(120)
    parts.actions.open_settings()
    dialog = parts.actions.dialog
    assert dialog is not None
    picker = dialog.local_model
    picker.box.setCurrentIndex(picker.box.findData(REPO))
    started = time.perf_counter()
    dialog.accept()
    while parts.controller.backend.model != model_id:
        app.processEvents()
        if time.perf_counter() - started > 120:
            raise TimeoutError("the switch did not happen")
    took = time.perf_counter() - started
    parts.instance.close()
    parts.backend.close()
    if parts.history is not None:
        parts.history.close()
    return took


def main() -> None:
    from app.engine.probe import measure

    home = Path(tempfile.mkdtemp(prefix="bench-models-"))
    with pytest.MonkeyPatch.context() as mp:
        hub = serve_bundled(mp, home)
        rates = throughput()
        hub.stop()
    os.environ["DICTATE_HOME"] = str(home)
    rows = []
    for port, (name, model_id) in enumerate(
        [("tiny.en (bundled)", "openai/whisper-tiny.en"), (f"{REPO} (pulled)", REPO)], 18790
    ):
        speed, _text = measure(model_id, "cpu")
        load, p50, rss = served_figures(model_id, port)
        rows.append((name, load, speed.rtf, p50, rss))
    switch = switch_time(REPO)

    print("### Models on this machine (CPU, int8)\n")
    print(
        "| model | load (s) | real-time factor | commit -> completed p50 (s) | RSS serving (MB) |"
    )
    print("|---|---|---|---|---|")
    for name, load, rtf, p50, rss in rows:
        print(f"| {name} | {load:.2f} | {rtf:.3f} | {p50:.3f} | {rss:.0f} |")
    print(
        f"\ndownload from the loopback mirror (78 MB, sha256 checked): "
        f"{statistics.median(rates):.0f} MB/s median of {len(rates)} "
        f"({', '.join(f'{r:.0f}' for r in rates)})"
    )
    print(
        f"switch models in the running app (Settings accepted -> new model in use): {switch:.2f} s"
    )


if __name__ == "__main__":
    main()
