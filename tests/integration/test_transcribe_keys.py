"""`dictate transcribe --url` against a server with a key (issue 11): the key from --api-key,
from DICTATE_API_KEY, or from the keyring entry Settings writes; a wrong one says so (exit 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Engine
from tests.speech import DATA, TEXTS, wer

FOX = str(DATA / "fox.wav")


def transcribe(engine: Engine, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DICTATE_API_KEY",)}
    environ.update(HF_HUB_OFFLINE="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "app", "transcribe", FOX, "--url", engine.url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        check=False,
    )


@pytest.mark.parametrize("where", ["option", "environment", "keyring"])
def test_the_key_comes_from_the_option_the_environment_or_the_keyring(
    engine: Engine, tmp_path: Path, where: str
) -> None:
    args: list[str] = []
    env: dict[str, str] = {}
    if where == "option":
        args = ["--api-key", engine.token]
    elif where == "environment":
        env["DICTATE_API_KEY"] = engine.token
    else:
        store = tmp_path / "keyring.json"
        store.write_text(json.dumps({"dictate/custom_api_key": engine.token}))
        env.update(
            PYTHON_KEYRING_BACKEND="tests.file_keyring.FileKeyring",
            DICTATE_TEST_KEYRING=str(store),
        )
    done = transcribe(engine, *args, **env)
    assert done.returncode == 0, done.stderr
    assert wer(TEXTS["fox"], done.stdout) <= 0.35, done.stdout
    assert engine.token not in done.stderr


def test_a_wrong_key_is_refused_with_the_key_message(engine: Engine) -> None:
    done = transcribe(engine, DICTATE_API_KEY="not-the-key")
    assert done.returncode == 3, done.stderr
    assert "refused the API key" in done.stderr
    assert "not-the-key" not in done.stderr
