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

# The stages run as jobs on two workers, one per core (each job is one process that mostly keeps one
# core busy): each worker takes the next job nobody has taken, longest first, so both finish at about
# the same time whatever each job's share of the ~85 min of work is today (docs/BENCHMARKS.md, the
# test-suite rows). The UI suite (User fixture, ~35 min alone: the long pole when it was one job) goes
# round-robin into UI_SHARDS jobs of whole files, the other test files (tests/unit, a folder added
# later included) into SHARDS jobs, so module fixtures stay whole.
# Each job's output is printed once it is done; any job failing fails the run.
SHARDS=3
UI_SHARDS=2
jobs_dir="$(mktemp -d)"
trap 'rm -rf "$jobs_dir"' EXIT
mapfile -t test_files < <(find tests -name 'test_*.py' -not -path 'tests/pg/*' -not -path 'tests/browser/*' \
  -not -path 'tests/ui/*' | sort)
mapfile -t ui_files < <(find tests/ui -name 'test_*.py' | sort)
job_names=(browser)
for ((k = 0; k < UI_SHARDS; k++)); do job_names+=("ui-$((k + 1))-of-$UI_SHARDS"); done
job_names+=(pg bench)
for ((k = 0; k < SHARDS; k++)); do job_names+=("unit-$((k + 1))-of-$SHARDS"); done
shard() {  # shard K-of-N FILE…: every Nth file from the Kth (the paths hold no spaces)
  local spec="$1" k n i
  shift
  k=$((${spec%-of-*} - 1))
  n=${spec#*-of-}
  local files=("$@")
  for ((i = k; i < ${#files[@]}; i += n)); do echo "${files[i]}"; done
}
run_job() {  # run_job NAME [pytest arguments…]
  local name="$1"
  shift
  case "$name" in
    # A failed browser test runs once more (pytest-rerunfailures) and is listed as RERUN in the summary:
    # a real browser on a loaded two-core box misses a beat now and then; a defect fails both times.
    browser) .venv/bin/python -m pytest -m browser tests/browser -q --reruns 1 --reruns-delay 2 -rR "$@" ;;
    pg) .venv/bin/python -m pytest -m "pg and not browser" tests/pg -q "$@" ;;
    ui-*) .venv/bin/python -m pytest -m "not browser and not pg" $(shard "${name#ui-}" "${ui_files[@]}") -q "$@" ;;
    bench) .venv/bin/python bench/run.py --quick ;;  # the benchmarks at small size: they must run, they assert no times
    unit-*) .venv/bin/python -m pytest -m "not browser and not pg" $(shard "${name#unit-}" "${test_files[@]}") -q "$@" ;;
  esac
}
worker() {  # take the jobs in order; mkdir is the atomic "this one is mine"
  local i name started
  for i in "${!job_names[@]}"; do
    name="${job_names[i]}"
    mkdir "$jobs_dir/$i.taken" 2>/dev/null || continue
    started=$SECONDS
    run_job "$name" "$@" >"$jobs_dir/$i.out" 2>&1 || echo "$name" >>"$jobs_dir/failed"
    {
      flock 9
      echo "---- $name ($((SECONDS - started)) s) ----"
      cat "$jobs_dir/$i.out"
    } 9>"$jobs_dir/print.lock"
  done
}
worker "$@" &
other_worker=$!
worker "$@"
wait "$other_worker" || echo "a worker (exit $?)" >>"$jobs_dir/failed"
if [ -s "$jobs_dir/failed" ]; then
  echo "FAILED: $(tr '\n' ' ' <"$jobs_dir/failed")" >&2
  exit 1
fi
