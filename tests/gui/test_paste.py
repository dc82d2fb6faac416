"""Delivery into another app: a real Ctrl+V into a Qt text field of another process on Xvfb,
and the user's clipboard put back afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.platform.hotkey import paste_keystroke
from tests.xvfb import display

__all__ = ["display"]

TARGET = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLineEdit
    app = QApplication(sys.argv)
    field = QLineEdit()
    field.show()
    field.activateWindow()
    field.setFocus()
    QTimer.singleShot(0, lambda: print("ready", flush=True))
    field.textChanged.connect(lambda text: (print("got", text, flush=True), app.quit()))
    QTimer.singleShot(15000, app.quit)
    app.exec()
    """
)


@pytest.mark.skipif(not shutil.which("xclip"), reason="needs xclip")
def test_the_paste_keystroke_reaches_the_focused_app(display: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    subprocess.run(["xclip", "-selection", "clipboard"], input=b"pasted words", env=env,
                   check=True, timeout=10)  # fmt: skip
    script = tmp_path / "target.py"
    script.write_text(TARGET)
    target = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert target.stdout is not None
    assert target.stdout.readline().startswith("ready")
    time.sleep(0.3)  # pacing: the window manager-less server maps the window asynchronously
    assert paste_keystroke() is None
    line = target.stdout.readline()
    target.wait(15)
    assert line.strip() == "got pasted words"
