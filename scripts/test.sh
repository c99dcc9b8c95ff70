#!/usr/bin/env bash
# Sets up what the tests need (the venv, the bundle, Chromium from Debian) and runs the whole
# suite: lint, type checks, JS tests, Python tests (the unit tests on 3.10 too), every notebook,
# browser tests.
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
# The unit tests on 3.10, the oldest Python we support: ~35 s once .venv-py3.10 exists, ~90 s on a
# fresh clone. The import check on 3.12 and 3.13 (`bash scripts/check-pythons.sh`) would add ~2 min
# more there, too much for CI's limit, so it is a command of its own.
echo "== Python 3.10"
bash scripts/check-pythons.sh 3.10
echo "== pytest (unit, server, notebooks, browser)"
.venv/bin/python -m pytest "$@"
