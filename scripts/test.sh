#!/usr/bin/env bash
# Sets up what the tests need (the venv, the bundle, Chromium from Debian) and runs the whole
# suite: lint, type checks, JS tests, Python tests (also on 3.10; an import on 3.12 and 3.13),
# every notebook, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if ! command -v chromium >/dev/null; then
  echo "test: installing Chromium from Debian's packages"
  apt-get update -qq && apt-get install -y -qq chromium fonts-liberation
fi

echo "== ruff"
.venv/bin/ruff check chatkit_jupyter tests bench
.venv/bin/ruff format --check chatkit_jupyter tests bench
echo "== mypy"
.venv/bin/mypy
echo "== tsc"
(cd js && npx tsc --noEmit -p .)
echo "== biome"
(cd js && npx biome ci src tests)
echo "== vitest"
(cd js && npx vitest run)
# Unit tests on 3.10 (the oldest we support), an import on 3.12 and 3.13: ~40 s once their venvs
# exist, ~2 min the first time.
echo "== other Pythons"
bash scripts/check-pythons.sh
echo "== pytest (unit, server, notebooks, browser)"
.venv/bin/python -m pytest "$@"
