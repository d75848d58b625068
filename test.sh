#!/usr/bin/env bash
# Run every test: lint, unit + UI (NiceGUI User fixture), the unit/core suite again on PostgreSQL
# (tests/pg, a server started if none answers — it fails, never skips), then the real-browser
# suite (Playwright driving Debian's Chromium), each its own pytest invocation.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-env.sh
# A CJK font, or Chinese pages show boxes in the browser tests and their screenshots (grep without -q
# reads all of fc-list's output: with pipefail an early exit would count as "missing").
has_cjk_font() {
  fc-list 2>/dev/null | grep -i cjk >/dev/null ||
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep 'install ok installed' >/dev/null
}
if [ ! -x /usr/bin/chromium ] || ! command -v wrk >/dev/null || ! has_cjk_font; then
  echo "installing Debian chromium (browser tests), wrk (API benchmark) and fonts-noto-cjk (Chinese in the browser)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium wrk fonts-noto-cjk \
    >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/mypy  # core/, store/, cli/: see [tool.mypy] in pyproject.toml (its typing-debt list may only shrink)
LEADDESK_TEST_PG_URL="$(scripts/ensure-postgres.sh)"
export LEADDESK_TEST_PG_URL
.venv/bin/python -m pytest -m "not browser and not pg" -q "$@"
.venv/bin/python -m pytest -m "pg and not browser" tests/pg -q "$@"
.venv/bin/python -m pytest -m browser tests/browser -q "$@"
.venv/bin/python bench/run.py --quick  # the benchmarks at small size: they must run, they assert no times
