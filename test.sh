#!/usr/bin/env bash
# Run every test: lint, unit + UI (NiceGUI User fixture), the unit/core suite again on PostgreSQL
# (tests/pg, a server started if none answers — it fails, never skips), then the real-browser
# suite (Playwright driving Debian's Chromium), each its own pytest invocation.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-env.sh
if [ ! -x /usr/bin/chromium ] || ! command -v wrk >/dev/null; then
  echo "installing Debian chromium (browser tests) and wrk (API benchmark)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium wrk >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/mypy  # core/, store/, cli/: see [tool.mypy] in pyproject.toml (its typing-debt list may only shrink)
LEADDESK_TEST_PG_URL="$(scripts/ensure-postgres.sh)"
export LEADDESK_TEST_PG_URL
.venv/bin/python -m pytest -m "not browser and not pg" -q "$@"
.venv/bin/python -m pytest -m "pg and not browser" tests/pg -q "$@"
.venv/bin/python -m pytest -m browser tests/browser -q "$@"
.venv/bin/python bench/run.py --quick  # the benchmarks at small size: they must run, they assert no times
