#!/usr/bin/env bash
# Run every test: lint, unit + UI (NiceGUI User fixture), then the real-browser suite
# (Playwright driving Debian's Chromium) as a second pytest invocation.
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test source scripts/ensure-env.sh
if [ ! -x /usr/bin/chromium ] || ! command -v wrk >/dev/null; then
  echo "installing Debian chromium (browser tests) and wrk (API benchmark)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium wrk >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -m "not browser" -q "$@"
.venv/bin/python -m pytest -m browser tests/browser -q "$@"
.venv/bin/python bench/run.py --quick  # the benchmarks at small size: they must run, they assert no times
