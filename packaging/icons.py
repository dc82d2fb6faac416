"""Render the app icon (resources/icons/dictate.svg) for every installer.

Linux wants PNGs in the hicolor sizes beside the SVG, Windows an .ico, macOS an .icns. Qt
(already a dependency) draws the SVG and writes all three, so building needs no image tool.

Run: `python packaging/icons.py OUT_DIR`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "dictate.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(out: Path) -> dict[str, Path]:
    """Writes `hicolor/SIZExSIZE/apps/dictate.png`, `dictate.ico` and `dictate.icns`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["icons"])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise RuntimeError(f"cannot read {SVG}")

    def image(size: int) -> QImage:
        picture = QImage(size, size, QImage.Format.Format_ARGB32)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        return picture

    written: dict[str, Path] = {}
    for size in HICOLOR_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / "dictate.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image(size).save(str(path)):  # the format follows the suffix
            raise RuntimeError(f"could not write {path}")
        written[f"{size}"] = path
    scalable = out / "hicolor" / "scalable" / "apps" / "dictate.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    # Qt's ICO and ICNS writers store one image; the 256 px one scales down well.
    for kind, size in (("ico", 256), ("icns", 512)):
        path = out / f"dictate.{kind}"
        if not image(size).save(str(path)):
            raise RuntimeError(f"could not write {path} (Qt image plugin for {kind} missing?)")
        written[kind] = path
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    for name, path in render(target).items():
        print(f"{name:>5}  {path}")
