"""The README's "Team server" example, run as written (issue 11).

The lines are read from the README itself. Only what cannot run here is changed: the host
`gpu-box` becomes loopback, `0.0.0.0` becomes 127.0.0.1 (tests stay on loopback), port 8765
becomes a free one, and `talk.wav` a speech fixture. `export` lines become the environment
of the commands after them, as in a shell.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.balanced import free_port
from tests.served import http_get
from tests.speech import DATA, TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = str(Path(sys.executable).parent)


def example() -> tuple[list[str], list[str]]:
    section = README.read_text().split("<!-- team-server-example", 1)[1]
    server, client = re.findall(r"```bash\n(.*?)```", section, re.S)[:2]
    return server.strip().splitlines(), client.strip().splitlines()


def localize(line: str, port: int) -> str:
    line = line.replace("gpu-box:8765", f"127.0.0.1:{port}").replace(
        "--port 8765", f"--port {port}"
    )
    return line.replace("0.0.0.0", "127.0.0.1").replace("talk.wav", str(DATA / "fox.wav"))


def commands(lines: list[str], port: int) -> Iterator[tuple[dict[str, str], list[str]]]:
    """(environment, argv) for each command line, with the exports above it applied."""
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", HF_HUB_OFFLINE="1")
    env.pop("DICTATE_TOKEN", None)
    env.pop("DICTATE_API_KEY", None)
    for line in lines:
        words = shlex.split(localize(line, port), comments=True)
        if not words:
            continue
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        yield dict(env), [shutil.which(words[0], path=env["PATH"]) or words[0], *words[1:]]


def _ready(port: int) -> bool:
    try:
        return http_get(port, "/ready", timeout=2)[0] == 200
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs PulseAudio")
def test_the_team_server_example_works_as_written() -> None:
    port = free_port()
    server_lines, client_lines = example()
    (env, argv), *_ = list(commands(server_lines, port))
    assert argv[1:3] == ["serve", "--host"] and "DICTATE_TOKEN" in env
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    mic = VirtualMic(48000)
    try:
        wait_until(lambda: _ready(port), 120, "the team server to be ready", step=0.1)
        transcribe, listen = list(commands(client_lines, port))
        assert transcribe[1][1] == "transcribe" and listen[1][1] == "listen"
        assert transcribe[0]["DICTATE_API_KEY"] == env["DICTATE_TOKEN"]

        done = subprocess.run(
            transcribe[1],
            env=transcribe[0],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert wer(TEXTS["fox"], done.stdout) <= 0.35, done.stdout

        mic.start()
        listen_env = dict(listen[0], XDG_RUNTIME_DIR=str(mic.runtime))
        said = mic.runtime / "listen.err"
        with said.open("w") as errors:
            listening = subprocess.Popen(
                listen[1], env=listen_env, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        try:
            # Spoken once the microphone is open, as a person starts after the prompt.
            wait_until(lambda: "listening on" in said.read_text(), 60, "dictate listen to listen")
            mic.play(silence(0.5) + pcm("weather") + silence(1.0))
            wait_until(lambda: mic.idle, 30, "the speech to be played", step=0.1)
            listening.send_signal(signal.SIGINT)
            out, _ = listening.communicate(timeout=60)
            err = said.read_text()
        finally:
            if listening.poll() is None:
                listening.kill()
                listening.wait(10)
        assert listening.returncode == 0, err
        assert wer(TEXTS["weather"], out.strip().splitlines()[-1]) <= 0.35, out
    finally:
        mic.stop()
        server.send_signal(signal.SIGTERM)
        _, server_err = server.communicate(timeout=60)
    assert server.returncode == 0
    assert env["DICTATE_TOKEN"] not in server_err
