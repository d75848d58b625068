#!/usr/bin/env bash
# Make sure .venv exists with the project's dependencies at the versions in requirements.lock (the
# tested set, test tools included; scripts/update-lock.sh makes it from pyproject.toml), re-installed
# when the lock or pyproject.toml changes. Sourced by run.sh and test.sh: silent when there is nothing
# to do, a few short progress lines on stderr when it installs (the first run takes a minute or two).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
say() { echo "leaddesk: $*" >&2; }
quiet_pip() {  # pip's own output (index warnings, build notes) only when it fails
  local out
  out="$("$ROOT/.venv/bin/python" -m pip "$@" --disable-pip-version-check 2>&1)" || { echo "$out" >&2; return 1; }
}
fresh=""
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  say "creating .venv ($("$PY" --version 2>&1))"
  "$PY" -m venv "$ROOT/.venv"
  fresh=1
fi
want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)-lock"
have="$(cat "$ROOT/.venv/.deps" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  started=$SECONDS
  pinned="$(grep -cE '^[A-Za-z0-9_.-]+==' "$ROOT/requirements.lock")"
  if [ -n "$fresh" ] || [ -z "$have" ]; then
    say "installing $pinned pinned packages from requirements.lock (first run, ~1–2 min)"
  else
    say "requirements.lock or pyproject.toml changed: updating to its $pinned pinned packages"
  fi
  quiet_pip install -q --upgrade pip
  quiet_pip install -q -r "$ROOT/requirements.lock"
  say "installing LeadDesk itself (editable)"
  quiet_pip install -q --no-deps -e "$ROOT"
  echo "$want" > "$ROOT/.venv/.deps"
  say "dependencies ready ($((SECONDS - started)) s)"
fi
