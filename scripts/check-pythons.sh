#!/usr/bin/env bash
# Checks the Python versions we claim (requires-python >= 3.10) beyond the 3.11 of .venv/:
# the unit tests (no browser, no notebooks) on 3.10, the oldest, and an import of the package
# with its agents-heavy names on 3.12 and 3.13. Each version gets its own venv, .venv-py3.X/
# (gitignored), made once (~2 min with pip's cache warm) and reinstalled only when pyproject.toml
# or the version changes.
# A version this machine lacks is reported and skipped; set PYTHONS_REQUIRED=1 to fail instead.
# Usage: bash scripts/check-pythons.sh [pytest args for the 3.10 run]
set -euo pipefail
cd "$(dirname "$0")/.."

# `python3.10` may be a pyenv shim that refuses to run outside its version, so try the
# interpreters pyenv keeps as well.
find_python() {
  local v=$1 c
  for c in "python$v" "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$v".*/bin/"python$v"; do
    if "$c" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$v')" \
      >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# Makes .venv-py$v/ with the package installed editable (plus `extras`); pip's chatter goes to
# a log shown only when the install fails.
venv_for() {
  local v=$1 extras=$2 py dir=".venv-py$1" log stamp
  if ! py=$(find_python "$v"); then
    if [ "${PYTHONS_REQUIRED:-0}" = 1 ]; then
      echo "check-pythons: Python $v not found (install it, e.g. pyenv install $v)" >&2
      exit 1
    fi
    echo "check-pythons: Python $v not found on this machine; skipped" >&2
    return 1
  fi
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  # The install is editable, so only a change of dependencies or version needs pip again (an
  # unchanged reinstall still costs ~30 s: pip builds the editable wheel every time).
  stamp="$extras $(cat pyproject.toml chatkit_jupyter/_version.py | sha256sum)"
  [ "$(cat "$dir/.installed" 2>/dev/null)" = "$stamp" ] && return 0
  log=$(mktemp)
  if ! { "$dir/bin/python" -m pip install -q --upgrade pip &&
    "$dir/bin/python" -m pip install -q -e ".$extras"; } >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2 || true
    rm -f "$log"
    echo "check-pythons: installing into $dir failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$stamp" >"$dir/.installed"
}

if venv_for 3.10 "[test]"; then
  echo "== Python 3.10: unit tests"
  .venv-py3.10/bin/python -m pytest -m "not browser and not notebooks" -q -p no:cacheprovider "$@"
fi

for v in 3.12 3.13; do
  if venv_for "$v" ""; then
    echo "== Python $v: import"
    # The lazy names import the agents SDK and the server, so this loads every module's deps.
    ".venv-py$v/bin/python" -c "
import chatkit_jupyter as ck
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore, notebook_tools
import chatkit_jupyter.bridge, chatkit_jupyter.notebook, chatkit_jupyter.server
import chatkit_jupyter.store, chatkit_jupyter.widget
print(f'chatkit_jupyter {ck.__version__} imports on Python $v')
"
  fi
done
