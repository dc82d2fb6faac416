"""A real X server for the tests that need one: `from tests.xvfb import display`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

needs_xvfb = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


def start_xvfb(size: str = "640x480x24") -> tuple[str, subprocess.Popen[bytes]]:
    """Starts Xvfb on a free display (it writes the number it took); returns (name, process)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    return f":{number.decode().strip()}", proc


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh X server for the test, as DISPLAY."""
    name, proc = start_xvfb()
    monkeypatch.setenv("DISPLAY", name)
    yield name
    proc.terminate()
    proc.wait(10)
