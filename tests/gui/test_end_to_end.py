"""The real app as a user runs it: `dictate` (offscreen), the PulseAudio virtual microphone,
`dictate ptt start|stop` from outside, and the text in the history database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs PulseAudio")


@pytest.fixture
def mic() -> Iterator[VirtualMic]:
    virtual = VirtualMic(48000)
    virtual.start()
    yield virtual
    virtual.stop()


def test_dictation_through_the_microphone_driven_by_dictate_ptt(
    mic: VirtualMic, tmp_path: Path
) -> None:
    env = {
        **os.environ, **mic.env, "DICTATE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen",
        "HF_HUB_OFFLINE": "1", "TOGETHER_API_KEY": "",
    }  # fmt: skip
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(
        json.dumps(
            {
                "version": 1,
                "settings": {"sounds": False, "backend": "local", "first_run_done": True},
            }
        )
    )

    def ptt(action: str) -> int:
        return subprocess.run(
            [sys.executable, "-m", "app", "ptt", action], env=env, capture_output=True,
            timeout=30, check=False,
        ).returncode  # fmt: skip

    assert ptt("start") == 1  # nothing running yet: a clear refusal
    app = subprocess.Popen([sys.executable, "-m", "app"], env=env, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: ptt("show") == 0, 60, "the app to start listening", step=0.2)
        assert ptt("start") == 0
        mic.play(silence(1.0) + pcm("meeting") + silence(1.0))  # people start ~1 s in
        wait_until(lambda: mic.idle, 30, "the speech to be played", step=0.2)
        assert ptt("stop") == 0
        db = tmp_path / "data" / "history.sqlite3"

        def saved() -> list[tuple[str, str]]:
            with sqlite3.connect(db) as conn:
                return list(conn.execute("SELECT text, status FROM dictations"))

        wait_until(lambda: db.exists() and saved(), 60, "the dictation in the history", step=0.2)
        text, status = saved()[0]
        assert status == "ok"
        assert wer(TEXTS["meeting"], text) <= 0.2
        assert ptt("quit") == 0
        app.wait(30)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0
