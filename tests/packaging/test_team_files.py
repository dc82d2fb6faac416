"""The files a team runs the engine with, checked by the tools that run them (issue 11).

No container runtime or systemd runs on these machines, so each file is validated by its own
project's checker: `systemd-analyze verify`, `haproxy -c`, `kubernetes-validate` (the
Kubernetes schemas, bundled) and `hadolint`. Each check is also shown a broken copy, so a
checker that accepts anything would fail here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging/linux/dictate-serve.service"
CONTAINER = ROOT / "packaging/container"
KUBE = ROOT / "packaging/kubernetes"
BIN = Path(sys.executable).parent


def run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=60, check=False
    )


def need(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path=str(BIN))
    if path is None:
        pytest.fail(f"{tool} is not installed: run scripts/test.sh (it installs it)")
    return path


def _verify_unit(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify in a scratch root that has systemd's units and a `dictate`."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/dictate").write_text("#!/bin/sh\n")
    (root / "usr/bin/dictate").chmod(0o755)
    unit = root / "etc/systemd/system/dictate-serve.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(text)
    return run(need("systemd-analyze"), "verify", "--man=no", f"--root={root}", unit)


def test_the_systemd_unit_verifies_cleanly(tmp_path: Path) -> None:
    text = UNIT.read_text()
    result = _verify_unit(tmp_path / "good", text)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result
    assert re.search(r"^ExecStart=/usr/bin/dictate serve .*--log-format json", text, re.M)
    assert "DICTATE_TOKEN" not in re.sub(r"(?m)^#.*$", "", text), "the key belongs in a file"
    bad = _verify_unit(tmp_path / "bad", text.replace("[Service]", "[Service]\nRestartt=no"))
    assert "Unknown key" in bad.stderr


def test_the_haproxy_configuration_is_valid_and_balances_on_ready(tmp_path: Path) -> None:
    cfg = CONTAINER / "haproxy.cfg"
    result = run(need("haproxy"), "-c", "-f", cfg)
    assert result.returncode == 0 and "Configuration file is valid" in result.stdout, result
    warnings = [line for line in result.stderr.splitlines() if "[WARNING]" in line]
    # Outside the compose network the engines' names do not resolve: that warning only.
    assert all("could not resolve address 'engine" in line for line in warnings), warnings
    text = cfg.read_text()
    assert "balance leastconn" in text and "option httpchk GET /ready" in text
    broken = tmp_path / "broken.cfg"
    broken.write_text(text.replace("balance leastconn", "balance fewestconn"))
    assert run("haproxy", "-c", "-f", broken).returncode != 0


def test_compose_runs_several_engines_behind_the_checked_haproxy() -> None:
    compose = yaml.safe_load((CONTAINER / "compose.yaml").read_text())
    services = compose["services"]
    engines = sorted(name for name in services if name.startswith("engine"))
    assert len(engines) >= 2
    servers = re.findall(
        r"^\s+server (\S+) (\S+):8765", (CONTAINER / "haproxy.cfg").read_text(), re.M
    )
    assert sorted(host for _, host in servers) == engines
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["haproxy"]["volumes"]
    for name in engines:
        assert services[name]["build"]["dockerfile"] == "packaging/container/Containerfile"
        assert "DICTATE_TOKEN" in services[name]["environment"]


def test_the_containerfile_passes_hadolint_and_runs_as_a_user(tmp_path: Path) -> None:
    hadolint = need("hadolint")
    path = CONTAINER / "Containerfile"
    result = run(hadolint, path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = path.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), users
    assert "HF_HUB_OFFLINE=1" in text  # the packaged model: nothing downloads at run time
    assert re.search(r"^ENTRYPOINT .*\"serve\"", text, re.M)
    sloppy = tmp_path / "Containerfile"
    sloppy.write_text(text.replace("libportaudio2=19.6.0-1.2", "libportaudio2"))
    assert "DL3008" in run(hadolint, sloppy).stdout


def test_the_kubernetes_manifests_validate_against_the_schemas(tmp_path: Path) -> None:
    tool = need("kubernetes-validate")
    files = sorted(KUBE.glob("*.yaml"))
    assert [f.name for f in files] == ["deployment.yaml", "pdb.yaml", "service.yaml"]
    result = run(tool, "--strict", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    deployment = yaml.safe_load((KUBE / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    engine = pod["containers"][0]
    assert engine["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert engine["livenessProbe"]["httpGet"]["path"] == "/health"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] > 30  # room for the 30 s drain
    broken = tmp_path / "deployment.yaml"
    broken.write_text((KUBE / "deployment.yaml").read_text().replace("containerPort", "contPort"))
    assert run(tool, "--strict", broken).returncode != 0
