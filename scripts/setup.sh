#!/usr/bin/env bash
# Sets up everything in .venv/ at the repo root: the Python package (editable) with its test and
# lab extras, and the front-end bundle built from js/. Safe to run again; it only does what's missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt+=(python3-venv)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip

# The front end first, so the Python build finds the bundle it ships.
(cd js && { [ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build --silent)

.venv/bin/python -m pip install -q -e ".[test]"
echo "setup: ready (.venv, js/node_modules, chatkit_jupyter/static)"
