"""Installer benchmark (issue 6): build time, .deb size, and launch -> window of the installed
app. Builds with packaging/build.py, installs the .deb with dpkg (needs root), launches
/usr/bin/dictate offscreen five times, then removes the package again if it was not there.

Run: `.venv/bin/python -m bench.package`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, pct, rss_mb, table
from tests.app_log import AppLog, log_path, proc_alive

LAUNCHER = "/usr/bin/dictate"


def installed() -> bool:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "dictate"], capture_output=True, text=True, check=False
    ).stdout
    return "install ok installed" in status


def launches(runs: int = 5) -> tuple[list[float], list[float], float]:
    """Seconds from exec to the window shown, and to the local engine ready; the RSS then."""
    windows, engines, rss = [], [], float("nan")
    homes: list[str] = []
    for _ in range(runs):
        home = tempfile.mkdtemp(prefix="dictate-bench-")
        homes.append(home)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "DICTATE_HOME": home,
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
        }
        started = time.monotonic()
        proc = subprocess.Popen([LAUNCHER, "--log-level", "info"], env=env, cwd=home,
                                stdout=subprocess.DEVNULL)  # fmt: skip
        log = AppLog(log_path(Path(home)), proc_alive(proc))
        log.wait_line("window shown", 120)  # seen within the log reader's poll (20 ms)
        windows.append(time.monotonic() - started)
        log.wait_line("engine ready", 120)
        engines.append(time.monotonic() - started)
        rss = rss_mb(proc.pid)
        log.stop()
        subprocess.run([LAUNCHER, "ptt", "quit"], env=env, check=True)
        proc.wait(30)
    for home in homes:
        shutil.rmtree(home, ignore_errors=True)
    return windows, engines, rss


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench.package installs the .deb: run it as root")
    out = Path(tempfile.mkdtemp(prefix="dictate-dist-"))
    report_path = out / "report.json"
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "packaging/build.py", "--out", str(out), "--report", str(report_path)],
        cwd=ROOT,
        check=True,
    )
    build_seconds = time.monotonic() - started
    report = json.loads(report_path.read_text())
    was_installed = installed()
    started = time.monotonic()
    subprocess.run(["dpkg", "-i", report["deb"]["path"]], check=True, capture_output=True)
    install_seconds = time.monotonic() - started
    try:
        started = time.monotonic()
        subprocess.run([LAUNCHER, "--self-check"], check=True, capture_output=True)
        self_check = time.monotonic() - started
        windows, engines, rss = launches()
    finally:
        if not was_installed:
            subprocess.run(["dpkg", "-r", "dictate"], check=True, capture_output=True)
        shutil.rmtree(out, ignore_errors=True)
    deb_mb = report["deb"]["mb"]
    rows = [
        (".deb size", f"{deb_mb:.0f} MB", "<= 250 MB", str(deb_mb <= 250)),
        (".tar.gz size", f"{report['tarball']['mb']:.0f} MB", "", ""),
        ("bundle on disk (installed size)", f"{report['bundle']['mb']:.0f} MB", "", ""),
        ("build, all steps", f"{build_seconds:.0f} s", "report", ""),
        ("  PyInstaller bundle", f"{report['bundle']['seconds']:.0f} s", "", ""),
        ("  .deb (dpkg-shlibdeps, dpkg-deb zstd)", f"{report['deb']['seconds']:.0f} s", "", ""),
        ("  .tar.gz", f"{report['tarball']['seconds']:.0f} s", "", ""),
        ("dpkg -i", f"{install_seconds:.1f} s", "", ""),
        ("installed `dictate --self-check`", f"{self_check:.1f} s", "", ""),
        (
            "launch -> window shown, p50 / max (5 launches)",
            f"{pct(windows, 50) * 1000:.0f} / {max(windows) * 1000:.0f} ms",
            "report",
            "",
        ),
        ("launch -> local engine ready, p50", f"{pct(engines, 50) * 1000:.0f} ms", "", ""),
        ("installed app RSS, engine ready", f"{rss:.0f} MB", "", ""),
    ]
    print(table("Installers (Linux .deb, installed app offscreen)", rows), flush=True)


if __name__ == "__main__":
    main()
