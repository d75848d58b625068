"""Writing a full run's figures: bench/results/<name>-<date>.json with the machine they came from
(kernel, cores, load average at start and end: the box is shared) and the commit measured."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """Read at the start of a run."""
    return {'kernel': os.uname().release, 'cores': os.cpu_count(),
            'load_average_start': [round(x, 2) for x in os.getloadavg()]}


def write(name: str, box: dict[str, Any], results: Any) -> Path:
    commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    out = ROOT / 'bench' / 'results' / f'{name}-{datetime.now(UTC):%Y-%m-%d}.json'
    payload = {'machine': {**box, 'load_average_end': [round(x, 2) for x in os.getloadavg()]}, 'commit': commit,
               'results': results}
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + '\n')
    print(f'written {out}')
    return out
