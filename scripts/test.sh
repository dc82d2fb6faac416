#!/usr/bin/env bash
# The whole suite, as CI runs it: installs what it needs, then lint, format, types, import
# contracts and every test. Extra arguments go to pytest.
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
pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi
exit "$code"
