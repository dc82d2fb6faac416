"""Screenshots of the app for the README: idle, recording with partial text, settings,
history, the first-run setup and the hotkey editor. Run under a real X server: `xvfb-run -a
-s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshots.py` (the local engine and a
speech fixture stand in for a microphone); `... scripts/screenshots.py setup` makes only the
first-run and hotkey pictures."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DICTATE_HOME", tempfile.mkdtemp(prefix="dictate-shots-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from PySide6.QtCore import QCoreApplication, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.audio.files import FileSource  # noqa: E402
from app.backends import choose_backend  # noqa: E402
from app.delivery.chain import Environment  # noqa: E402
from app.main import build  # noqa: E402
from app.storage.settings import Settings  # noqa: E402
from app.ui.first_run import FirstRunDialog  # noqa: E402
from app.ui.key_capture import HotkeyEditor  # noqa: E402
from tests.speech import pcm, silence  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def wait(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if callable(condition) and condition():
            return
        time.sleep(0.01)  # pacing: a script driving the event loop by hand


def shot(widget: QWidget, name: str) -> None:
    wait(None, 0.3)
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"saved {OUT / name}.png")


def setup_shots() -> None:
    """The first-run pages and the hotkey editor, on their own with realistic data: what
    they look like does not depend on how the app wires them."""
    dialog = FirstRunDialog(
        Settings(),
        ["PortAudio is not installed, so no microphone can be opened: "
         "run sudo apt install libportaudio2, then restart Dictate."],
        wayland=False,
        environment=Environment.detect(),
    )  # fmt: skip
    dialog.set_microphones(["Built-in Audio Analog Stereo", "Blue Yeti USB Microphone"])
    dialog.mic.microphone.setCurrentIndex(2)
    dialog.show()
    speech = QTimer(dialog)  # the level as a voice moves it, fed like the live one
    speech.timeout.connect(lambda: dialog.on_level(-14.0 - 6 * (time.monotonic() % 1.0)))
    speech.start(40)
    dialog.on_phrase("The quick brown fox jumps over the lazy dog.")
    shot(dialog, "first-run-microphone")
    speech.stop()
    dialog.next()
    shot(dialog, "first-run-hotkey")
    dialog.next()
    shot(dialog, "first-run-transcription")
    dialog.next()
    shot(dialog, "first-run-delivery")
    dialog.close()
    wayland = FirstRunDialog(Settings(), wayland=True, environment=Environment.detect())
    wayland.hotkey.desktop = "KDE"
    wayland.hotkey.set_values(wayland.hotkey.combo(), "hold")
    wayland.show()
    wayland.next()
    shot(wayland, "first-run-hotkey-wayland")
    wayland.close()
    for name, editor in (
        ("hotkey-editor-warning", HotkeyEditor("<ctrl>+c", "hold", wayland=False)),
        ("hotkey-editor-wayland", HotkeyEditor(mode="toggle", wayland=True, desktop="GNOME")),
    ):
        editor.setWindowTitle("Hotkey")
        editor.resize(600, editor.sizeHint().height())
        editor.setContentsMargins(12, 12, 12, 12)
        editor.show()
        shot(editor, name)
        if name == "hotkey-editor-warning":
            editor.capture.start_capture()
            shot(editor, "hotkey-editor-capturing")
        editor.close()


def main() -> None:
    app = QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    setup_shots()
    if sys.argv[1:] == ["setup"]:
        return
    audio = pcm("long") + silence(0.5)
    backend = choose_backend("local")
    parts = build(
        Settings(sounds=False, first_run_done=True),
        source_factory=lambda: FileSource(audio, realtime=True),
        backend=backend,
        instance_name=f"dictate-shots-{os.getpid()}",
    )
    window = parts.window
    window.resize(720, 480)
    window.show()
    backend.wait_ready()
    window.show_backend(backend.describe())
    shot(window, "idle")
    parts.controller.press()
    wait(lambda: len(window.transcript.all_text().split()) > 12, 30)
    wait(lambda: window.meter.level > 0.2, 3)
    shot(window, "recording")
    parts.controller.release()
    wait(lambda: parts.controller.phase.value == "idle", 30)
    shot(window, "finished")
    parts.actions.open_history()
    panel = parts.actions.panel
    assert panel is not None
    wait(lambda: panel.list.count() > 0, 5)
    shot(panel, "history")
    panel.close()
    parts.actions.open_settings()
    wait(lambda: parts.actions.dialog is not None, 10)
    dialog = parts.actions.dialog
    assert dialog is not None
    wait(lambda: False, 0.2)
    shot(dialog, "settings")
    dialog.pages.setCurrentWidget(dialog.words_page)
    dialog.words_page.vocabulary.setPlainText("Siobhan\nKubernetes")
    wait(lambda: False, 0.2)
    shot(dialog, "settings-words")
    dialog.pages.setCurrentIndex(2)
    wait(lambda: False, 0.2)
    shot(dialog, "settings-delivery")
    dialog.close()
    QTimer.singleShot(0, app.quit)
    parts.shutdown()


if __name__ == "__main__":
    main()
