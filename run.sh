#!/usr/bin/env bash
# Run LeadDesk on http://localhost:8080 (SQLite in data/). Add --demo for a demo team and live leads.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-env.sh
exec .venv/bin/python run.py "$@"
