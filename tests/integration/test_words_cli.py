"""Your words through `dictate transcribe`: vocabulary, rules, spoken commands, settings.

Real subprocesses against the real engine, speaking tests/words_speech.py's dictation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Engine
from tests.words_speech import EXPECTED, RULES, VOCABULARY, dictation, write_wav


def transcribe(
    engine: Engine, home: Path, wav: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "transcribe", str(wav), "--url", engine.url,
         "--api-key", engine.token, *args],
        capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, HF_HUB_OFFLINE="1", DICTATE_HOME=str(home)),
    )  # fmt: skip


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "words.wav", dictation())


def test_flags_give_the_name_the_snippet_and_the_commands(
    engine: Engine, home: Path, wav: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.txt"
    rules.write_text(RULES)
    plain = transcribe(engine, home, wav)
    assert plain.returncode == 0, plain.stderr
    assert VOCABULARY not in plain.stdout  # tiny.en misspells the name without help
    assert "\n\n" in plain.stdout and "mistake" not in plain.stdout  # commands are on

    done = transcribe(engine, home, wav, "--vocabulary", VOCABULARY, "--rules", str(rules))
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED + "\n"

    raw = transcribe(engine, home, wav, "--json", "--vocabulary", VOCABULARY, "--rules",
                     str(rules), "--no-commands")  # fmt: skip
    final = json.loads(raw.stdout.splitlines()[-1])
    assert final["event"] == "Final"
    assert "New paragraph." in final["text"] and "Delete that." in final["text"]
    assert "Best regards,\nJane" in final["text"] and "Nguyen" in final["raw"]
    assert final["raw"].count("\n") == 5  # one line per segment: six phrases, six segments


def test_the_apps_settings_apply_and_flags_override_them(
    engine: Engine, home: Path, wav: Path
) -> None:
    (home / "config").mkdir()
    (home / "config" / "settings.json").write_text(json.dumps({"version": 1, "settings": {
        "vocabulary": [VOCABULARY], "rules": [["my signature", "Best regards,\nJane"]],
    }}))  # fmt: skip
    done = transcribe(engine, home, wav)
    assert done.stdout == EXPECTED + "\n", done.stderr
    many = ", ".join(f"Name{i:03d}" for i in range(200))
    overridden = transcribe(engine, home, wav, "--vocabulary", many, "--no-commands")
    # The flags' list replaced the settings' one (the note names it; what tiny.en writes with
    # 65 made-up names in its prompt is its own affair), and the spoken "delete that" is
    # words now: the phrase before it stays.
    assert "first 65 entries are used, 135 left out (from 'Name065'" in overridden.stderr
    assert "mistake" in overridden.stdout, overridden.stdout


def test_a_bad_rules_file_is_named(engine: Engine, home: Path, wav: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.txt"
    rules.write_text("fine = ok\nthis line has no equals sign\n")
    done = transcribe(engine, home, wav, "--rules", str(rules))
    assert done.returncode == 2
    assert "rules.txt" in done.stderr and "line 2" in done.stderr
