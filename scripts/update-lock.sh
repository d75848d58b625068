#!/usr/bin/env bash
# Regenerate requirements.lock from pyproject.toml (the app and its test extras, every package pinned).
#   scripts/update-lock.sh            keep the versions .venv has (the tested ones) where pyproject allows
#   scripts/update-lock.sh --upgrade  the newest versions pyproject allows (then ./test.sh before committing)
# pip-tools runs from a venv of its own (.venv-tools), never in the app's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.venv-tools
[ -x "$TOOLS/bin/pip-compile" ] || { python3 -m venv "$TOOLS" && "$TOOLS/bin/pip" install -q pip-tools; }
args=(--quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links --annotation-style=line
      --output-file requirements.lock)
if [ "${1:-}" = "--upgrade" ]; then
  args+=(--upgrade)
  rm -f requirements.lock
else
  constraints="$(mktemp)"; trap 'rm -f "$constraints"' EXIT
  .venv/bin/python -m pip freeze --exclude-editable | grep -v '^#' > "$constraints"
  args+=(--constraint "$constraints")
fi
CUSTOM_COMPILE_COMMAND="scripts/update-lock.sh" "$TOOLS/bin/pip-compile" "${args[@]}" pyproject.toml
sed -i -E 's/ -c [^ ,]+(, )?/ /; s/# via *$//; s/[[:space:]]+$//' requirements.lock  # (the temporary constraints file)
