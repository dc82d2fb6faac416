"""Build Dictate's installable artifacts: `python packaging/build.py [--out DIR]`.

Everywhere: the icons, then the PyInstaller one-folder bundle (`OUT/bundle/dictate`). On
Linux also the .deb and the .tar.gz (see debian.py). Windows and macOS wrap the bundle with
Inno Setup and a .dmg in the release workflow. Prints what it made, its sizes and how long
each step took; `--report FILE` also writes them as JSON (bench/package.py reads it).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import debian
import icons

ROOT = Path(__file__).resolve().parent.parent


def version() -> str:
    text = (ROOT / "app" / "__init__.py").read_text()
    found = re.search(r'__version__ = "([^"]+)"', text)
    if not found:
        raise RuntimeError("no __version__ in app/__init__.py")
    return found.group(1)


def bundle(out: Path, work: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            "--distpath",
            str(out),
            "--workpath",
            str(work),
            str(ROOT / "packaging" / "dictate.spec"),
        ],
        check=True,
    )
    return out / "dictate"


def unsatisfied_requirements() -> list[str]:
    """Installed packages that `pyproject.toml` excludes, e.g. a Qt for Python release that
    leaks references and crashes the app: the bundle must never ship one."""
    from importlib import metadata

    from packaging.requirements import Requirement

    wrong = []
    for text in metadata.requires("dictate") or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # a dev-only tool
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{requirement.name} is not installed")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            wrong.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
    return wrong


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where artifacts go")
    parser.add_argument("--report", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    wrong = unsatisfied_requirements()
    if wrong:
        print("refusing to bundle: " + "; ".join(wrong), file=sys.stderr)
        return 1
    out: Path = args.out.resolve()
    work = ROOT / "build"
    report: dict[str, dict[str, float | str]] = {}

    def step(name: str, make: Callable[[], Path]) -> Path:
        started = time.monotonic()
        path = make()
        seconds, mb = round(time.monotonic() - started, 1), round(size_mb(path), 1)
        report[name] = {"path": str(path), "seconds": seconds, "mb": mb}
        print(f"{name:<8} {seconds:>6} s {mb:>7} MB  {path}")
        return path

    def make_icons() -> Path:
        icons.render(work / "icons")
        return work / "icons"

    icon_dir = step("icons", make_icons)
    program = step("bundle", lambda: bundle(out / "bundle", work / "pyinstaller"))
    if sys.platform.startswith("linux"):
        if shutil.which("dpkg-deb") and shutil.which("dpkg-shlibdeps"):
            step("deb", lambda: debian.build_deb(program, icon_dir, version(), out, work / "deb"))
        else:
            print("no .deb: dpkg-deb and dpkg-shlibdeps are missing (apt-get install dpkg-dev)")
        step("tarball", lambda: debian.build_tarball(program, version(), out))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
