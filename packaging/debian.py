"""Wrap the PyInstaller bundle into a .deb, and into a .tar.gz of the same bundle.

The package puts the program under /opt/dictate, a `dictate` symlink in /usr/bin, the desktop
entry, the icons in the hicolor sizes and the AppStream metainfo under /usr/share, the IBus
component of the input-method engine in /usr/share/ibus/component (its `exec` is the engine in
the bundle, run by the system python3, as the app runs it), and the systemd unit for
`dictate serve` in /usr/lib/systemd/system (not enabled: a team server is a choice). The bundle
carries its Python, Qt and engine; the libraries of the distribution (X11/xcb, fontconfig,
OpenSSL, ...) are left out of it (see the spec) and named in `Depends`, which
`dpkg-shlibdeps` computes from the bundle's ELF files, with the minimum versions their symbols
need. Debian's file triggers refresh the icon cache and the desktop database, so the package
needs no maintainer scripts and `dpkg -r` leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

PACKAGE = "dictate"
INSTALL_DIR = Path("opt") / PACKAGE
APP_ID = "org.dictate.Dictate"
ENGINE_ID = f"{APP_ID}.Engine"
HERE = Path(__file__).resolve().parent / "linux"

# Loaded at run time by name, so no ELF file names them.
EXTRA_DEPENDS = ("libportaudio2",)  # sounddevice opens PortAudio with ctypes
RECOMMENDS = (
    "libasound2-plugins",  # ALSA's route to PulseAudio / PipeWire, where the microphone is
    "fonts-dejavu-core",  # Qt needs at least one font through fontconfig
)
DESCRIPTION = """\
Live dictation: the words appear while you speak
 Hold a key, speak, and let go: your words appear while you talk and are final a
 moment after you release the key, copied to the clipboard and, if you like,
 typed into the application you were working in.
 .
 Works offline with a built-in speech engine (Whisper tiny.en on the CPU), or
 with Together AI's realtime transcription and your own API key."""


def _is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def stage(bundle: Path, icons: Path, root: Path) -> Path:
    """Lays out the package's files under `root`; returns the program's directory in it."""
    if root.exists():
        shutil.rmtree(root)
    program = root / INSTALL_DIR
    shutil.copytree(bundle, program, symlinks=True)
    usr_bin = root / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / PACKAGE).symlink_to(Path("/") / INSTALL_DIR / PACKAGE)
    share = root / "usr" / "share"
    for source, target in (
        (HERE / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop"),
        (HERE / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml"),
        (HERE / "copyright", share / "doc" / PACKAGE / "copyright"),
        (HERE / f"{ENGINE_ID}.xml", share / "ibus" / "component" / f"{ENGINE_ID}.xml"),
        (HERE / "dictate-serve.service", root / "usr/lib/systemd/system/dictate-serve.service"),
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copytree(icons / "hicolor", share / "icons" / "hicolor")
    for path in root.rglob("*"):  # dpkg keeps the modes it is given
        if path.is_symlink():
            continue
        executable = path.is_dir() or os.access(path, os.X_OK) or _is_elf(path)
        path.chmod(0o755 if executable else 0o644)
    return program


def shlib_depends(root: Path, work: Path) -> str:
    """The `Depends` that the bundle's ELF files need from the distribution."""
    program = root / INSTALL_DIR
    elves = sorted(p for p in program.rglob("*") if _is_elf(p))
    private = sorted({str(p.parent) for p in elves})  # the bundle's own libraries
    (work / "debian").mkdir(parents=True, exist_ok=True)
    (work / "debian" / "control").write_text(
        f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"
    )
    result = subprocess.run(
        [
            "dpkg-shlibdeps",
            "-O",
            "--ignore-missing-info",
            *(f"-l{d}" for d in private),
            *(f"-e{p}" for p in elves),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dpkg-shlibdeps failed:\n{result.stderr[-4000:]}")
    for line in result.stdout.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1]
    raise RuntimeError(f"dpkg-shlibdeps printed no Depends:\n{result.stdout}")


def installed_size_kib(root: Path) -> int:
    return sum((p.lstat().st_size + 1023) // 1024 for p in root.rglob("*") if not p.is_dir())


def control(version: str, depends: str, size_kib: int) -> str:
    all_depends = ", ".join([d for d in (depends, *EXTRA_DEPENDS) if d])
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {architecture()}\n"
        "Maintainer: The Dictate developers <dictate@users.noreply.github.com>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {all_depends}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: sound\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )


def build_deb(bundle: Path, icons: Path, version: str, out: Path, work: Path) -> Path:
    """Makes `dictate_VERSION_ARCH.deb` in `out` from the bundle; returns its path."""
    root = work / "root"
    stage(bundle, icons, root)
    depends = shlib_depends(root, work)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(control(version, depends, installed_size_kib(root)))
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{architecture()}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "-z6", "--build", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(root)  # a second copy of the bundle: keep the disk for the next build
    return deb


def build_tarball(bundle: Path, version: str, out: Path) -> Path:
    """The same bundle as a .tar.gz, for distributions without dpkg: unpack and run."""
    out.mkdir(parents=True, exist_ok=True)
    machine = os.uname().machine
    tarball = out / f"{PACKAGE}-{version}-linux-{machine}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{PACKAGE}-{version}")
    return tarball
