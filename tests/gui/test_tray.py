"""The tray icon on a real X server with a tray host (trayer): shown, and its menu works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import paths
from tests.xvfb import display

__all__ = ["display"]

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication
    from app.ui.tray import Tray

    app = QApplication(sys.argv)
    hits = []

    def check(tries=[0]):
        if not Tray.available() and tries[0] < 50:
            tries[0] += 1
            QTimer.singleShot(100, check)
            return
        tray = Tray(QIcon(sys.argv[1]))
        for name in ("toggle", "show", "diagnostics", "quit"):
            getattr(tray, name + "_requested").connect(lambda n=name: hits.append(n))
        tray.show()
        print("available", Tray.available(), "visible", tray.icon.isVisible(), flush=True)
        for action in tray.menu.actions():
            if action.text():
                action.trigger()
        tray.on_phase("listening", "")
        print("label", tray.start_stop.text(), flush=True)
        print("hits", ",".join(hits), flush=True)
        app.quit()

    QTimer.singleShot(0, check)
    app.exec()
    """
)


@pytest.mark.skipif(not shutil.which("trayer"), reason="needs trayer (a tray host)")
def test_tray_icon_shows_and_its_menu_starts_shows_and_quits(display: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    host = subprocess.Popen(["trayer"], env=env, stderr=subprocess.DEVNULL)
    try:
        script = tmp_path / "tray.py"
        script.write_text(SCRIPT)
        icon = str(paths.resources() / "icons" / "dictate.svg")
        done = subprocess.run(
            [sys.executable, str(script), icon], env=env, capture_output=True, text=True,
            timeout=60, check=False, cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
    finally:
        host.terminate()
        host.wait(10)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "available True visible True" in lines
    assert "label Stop dictation" in lines
    assert "hits toggle,show,diagnostics,quit" in lines
