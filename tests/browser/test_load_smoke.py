"""The load run's smoke (`bench/load.py --smoke`, under a minute): 20 live pages connected while
API captures arrive at 20/s — no error, every lead answered is stored once, every open inbox
that should show a new lead got it (or at least its newest), and every page is still connected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def test_load_smoke_twenty_live_pages_nothing_lost(tmp_path: Path) -> None:
    out = tmp_path / 'load.json'
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    done = subprocess.run([sys.executable, 'bench/load.py', '--smoke', '--out', str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert figures['clients'] == figures['clients_connected_at_end'] == 20
    assert figures['errors'] == 0 and figures['sent'] == figures['answered_2xx'] == figures['stored'] == 200
    assert figures['stored_twice'] == 0
    assert figures['live_converged'] == figures['live_inboxes'] >= 10  # every inbox got its newest lead
    # each inbox shows its newest 25 and coalesces refreshes: a lead may scroll off between two
    assert figures['live_pairs'] >= 380 and figures['live_missing'] <= 0.05 * figures['live_pairs']
    print(f"held {figures['hold']['held_rate']}/s, p50 {figures['hold']['p50_ms']} ms, p99 {figures['hold']['p99_ms']}"
          f" ms, live p95 {figures['live_p95_ms']} ms, wall {figures['wall_s']} s")
