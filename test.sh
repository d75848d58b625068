#!/usr/bin/env bash
# Run every test: lint, unit + UI (NiceGUI User fixture), the unit/core suite again on PostgreSQL
# (tests/pg, a server started if none answers — it fails, never skips), then the real-browser
# suite (Playwright driving Debian's Chromium), each its own pytest invocation.
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test source scripts/ensure-env.sh
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian chromium for the browser tests"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
LEADDESK_TEST_PG_URL="$(scripts/ensure-postgres.sh)"
export LEADDESK_TEST_PG_URL
.venv/bin/python -m pytest -m "not browser and not pg" -q "$@"
.venv/bin/python -m pytest -m "pg and not browser" tests/pg -q "$@"
.venv/bin/python -m pytest -m browser tests/browser -q "$@"
