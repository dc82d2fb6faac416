"""`dictate transcribe FILE --cleanup` as a user runs it: the real engine hears a recording,
the test server on loopback cleans it; a bad answer prints the text as heard, the reason on
stderr, and exits 0 (nothing lost)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Engine
from tests.llm_server import LLMServer, tidy
from tests.speech import DATA, pcm, seconds, silence
from tests.virtual_mic import VirtualMic


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def transcribe(
    engine: Engine, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "transcribe", str(DATA / "meeting.wav"), "--url",
         engine.url, "--api-key", engine.token, *args],
        capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, HF_HUB_OFFLINE="1", DICTATE_HOME=str(home), **(env or {})),
    )  # fmt: skip


def test_the_cleaned_text_is_printed_and_a_bad_answer_prints_the_text_as_heard(
    engine: Engine, server: LLMServer, tmp_path: Path
) -> None:
    plain = transcribe(engine, tmp_path)
    assert plain.returncode == 0 and plain.stdout.strip(), plain.stderr
    heard = plain.stdout.strip()
    assert server.requests == []  # off unless asked for

    cleaned = transcribe(engine, tmp_path, "--cleanup", "--llm-url", server.url,
                         "--llm-model", "clean", "--llm-api-key", "sk-flag")  # fmt: skip
    assert cleaned.returncode == 0, cleaned.stderr
    assert cleaned.stdout.strip() == tidy(heard) and "cleanup not used" not in cleaned.stderr
    assert server.requests[-1]["auth"] == "Bearer sk-flag"
    assert server.requests[-1]["messages"][-1]["content"] == f"<transcript>\n{heard}\n</transcript>"

    env = {"DICTATE_LLM_API_KEY": "sk-env"}
    refused = transcribe(engine, tmp_path, "--cleanup", "email", "--llm-url", server.url,
                         "--llm-model", "refuse", env=env)  # fmt: skip
    assert refused.returncode == 0 and refused.stdout.strip() == heard
    assert "cleanup not used: the model refused" in refused.stderr
    assert server.requests[-1]["auth"] == "Bearer sk-env"
    assert "Make it a clear, polite email" in server.requests[-1]["messages"][0]["content"]


def test_json_gives_every_stage_and_a_dead_server_the_reason(
    engine: Engine, tmp_path: Path
) -> None:
    done = transcribe(engine, tmp_path, "--json", "--cleanup", "--llm-url",
                      "http://127.0.0.1:9/v1", "--llm-timeout", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout.strip().splitlines()[-1])
    assert final["event"] == "Final" and final["text"] == final["rendered"] != ""
    assert final["cleaned"] == "" and "no cleanup server answers at" in final["note"]
    assert "no cleanup server answers at http://127.0.0.1:9/v1" in done.stderr


@pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs PulseAudio")
def test_listen_cleans_the_same_way(
    mic: VirtualMic, engine: Engine, server: LLMServer, tmp_path: Path
) -> None:
    audio = pcm("five")  # "...close to the river and the train station..."
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "listen", "--seconds", f"{seconds(audio) + 2:.1f}",
         "--url", engine.url, "--api-key", engine.token, "--json", "--cleanup",
         "--llm-url", server.url, "--llm-model", "ampersand"],
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
    assert final["rendered"] and final["note"] == ""
    cleaned = tidy(final["rendered"]).replace(" and ", " & ")
    assert final["text"] == cleaned and final["cleaned"] == (cleaned if cleaned != final[
        "rendered"] else "")  # fmt: skip
    assert len(server.requests) == 1
