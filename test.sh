#!/usr/bin/env bash
# Run every test: lint and types, unit + UI (NiceGUI User fixture), the unit/core suite again on
# PostgreSQL (tests/pg, a server started if none answers — it fails, never skips), the real-browser
# suite (Playwright driving Debian's Chromium) and the benchmarks at small size, each its own
# process; the PostgreSQL and browser suites run beside the others (two lanes, two cores).
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
.venv/bin/mypy  # core/, store/, cli/ (pyproject.toml [tool.mypy]): clean, no typing-debt list
LEADDESK_TEST_PG_URL="$(scripts/ensure-postgres.sh)"
export LEADDESK_TEST_PG_URL

# Two lanes side by side, one per core (each stage is one process that mostly keeps one core busy),
# balanced by the stages' times in docs/BENCHMARKS.md (the test-suite rows): unit, then PostgreSQL,
# in this shell (~21 + ~7 min); UI (User fixture), then the real browser, then the benchmark smoke in
# the other (~11 + ~12 + ~4 min), its output kept in a file and printed when both are done. Unit and
# UI used to be one lane of ~32 min against the other's ~24. Either lane failing fails the run.
other="$(mktemp)"
trap 'rm -f "$other"' EXIT
(
  .venv/bin/python -m pytest -m "not browser and not pg" tests/ui -q "$@" &&
    .venv/bin/python -m pytest -m browser tests/browser -q "$@" &&
    .venv/bin/python bench/run.py --quick  # the benchmarks at small size: they must run, they assert no times
) >"$other" 2>&1 &
other_lane=$!
status=0
# Everything unmarked outside tests/ui (tests/unit, and any folder added later), then PostgreSQL.
.venv/bin/python -m pytest -m "not browser and not pg" --ignore=tests/ui -q "$@" || status=$?
.venv/bin/python -m pytest -m "pg and not browser" tests/pg -q "$@" || status=$?
other_status=0
wait "$other_lane" || other_status=$?
echo "---- tests/ui, tests/browser, then bench/run.py --quick (run beside the above) ----"
cat "$other"
if [ "$status" != 0 ] || [ "$other_status" != 0 ]; then
  echo "FAILED: unit and PostgreSQL exit $status; UI, browser and benchmark lane exit $other_status" >&2
  exit 1
fi
