#!/usr/bin/env bash
# Run every test: lint, unit + UI (NiceGUI User fixture), then the real-browser suite
# (Playwright driving Debian's Chromium) as a second pytest invocation.
set -euo pipefail
cd "$(dirname "$0")"
EXTRAS=test source scripts/ensure-env.sh
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian chromium for the browser tests"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -m "not browser" -q "$@"
.venv/bin/python -m pytest -m browser tests/browser -q "$@"
