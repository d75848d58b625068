#!/usr/bin/env bash
# Make sure .venv exists with the project's dependencies (re-installed when pyproject.toml changes).
# Sourced by run.sh and test.sh; EXTRAS selects optional dependency groups (e.g. "test").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
EXTRAS="${EXTRAS:-}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PY" -m venv "$ROOT/.venv"
fi
hash="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
want="$hash-$EXTRAS"
have="$(cat "$ROOT/.venv/.deps" 2>/dev/null || true)"
# Installed with the test extras already satisfies a plain run.
if [ "$want" != "$have" ] && ! { [ -z "$EXTRAS" ] && [ "$have" = "$hash-test" ]; }; then
  spec="$ROOT"; [ -n "$EXTRAS" ] && spec="$ROOT[$EXTRAS]"
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$spec"
  echo "$want" > "$ROOT/.venv/.deps"
fi
