"""Your words through `dictate listen`: the virtual microphone, the real engine, the flags.

The same dictation as the transcribe and app tests, spoken into PulseAudio's virtual
microphone in real time, must give the very same text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Engine
from tests.speech import seconds, silence
from tests.virtual_mic import VirtualMic
from tests.words_speech import EXPECTED, RULES, VOCABULARY, dictation

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs PulseAudio")


def test_listen_gives_the_same_text_as_transcribe_and_the_app(
    mic: VirtualMic, engine: Engine, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.txt"
    rules.write_text(RULES)
    audio = dictation()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "listen", "--seconds", f"{seconds(audio) + 2:.1f}",
         "--url", engine.url, "--api-key", engine.token, "--json",
         "--vocabulary", VOCABULARY, "--rules", str(rules)],
        env=dict(os.environ, HF_HUB_OFFLINE="1", DICTATE_HOME=str(tmp_path)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # speak once it says it is listening
        if line.startswith("listening on"):
            break
    mic.play(audio + silence(0.5))
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    final = json.loads(out.splitlines()[-1])
    assert final["event"] == "Final"
    assert final["text"] == EXPECTED, final["raw"]
