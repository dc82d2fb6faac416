#!/usr/bin/env bash
# The whole suite, as CI runs it: installs what it needs, then lint, format, types, import
# contracts and every test, on three workers (pytest-xdist; tests/workers.py says which
# tests share a worker). Three on two cores: the suite waits on real time (speech paced at
# real time, desktops and engines starting) more than it computes; with two workers the
# cores were 44 % busy. Extra arguments go to pytest (`-n 0`: one process).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff (lint)";          ruff check .
echo "== ruff (format)";        ruff format --check .
echo "== mypy";                 mypy
echo "== import contracts";     lint-imports
echo "== pytest"
set +e
pytest -n 3 "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi
exit "$code"
