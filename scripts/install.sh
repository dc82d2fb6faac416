#!/usr/bin/env bash
# Installs Dictate into ./.venv (system packages too) — `scripts/install.sh --dev` adds the tools.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=""
kind=runtime
if [ "${1:-}" = "--dev" ]; then extra="[dev]"; kind=test; fi
scripts/system-packages.sh "$kind"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extra}"
