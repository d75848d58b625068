#!/usr/bin/env bash
# Make sure .venv exists with the project's dependencies at the versions in requirements.lock (the
# tested set, test tools included; scripts/update-lock.sh makes it from pyproject.toml), re-installed
# when the lock or pyproject.toml changes. Sourced by run.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PY" -m venv "$ROOT/.venv"
fi
want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)-lock"
have="$(cat "$ROOT/.venv/.deps" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.lock"
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
  echo "$want" > "$ROOT/.venv/.deps"
fi
