"""The checklist report, as one pure function over the store's rows (like core/reports/metrics.py).

Per checklist item:
- exits: times a lead or deal moved forward out of the item's step in the range; skipped: those
  where the item was still open; skip rate = skipped ÷ exits.
- win rate with / without: over the deals closed (won or lost) in the range that went through
  the item's step — every deal for a lead-status item (a deal is a converted lead, which was
  assigned, contacted and qualified), the deals ever moved into the stage for a stage item —
  won ÷ closed among those with the item ticked done, and among those without.
Rates are None over nothing. Archived items are listed only while they still have exits or ticks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from store.models import PLAYBOOK_LEAD_STATUSES, PlaybookItem, Stage

COLUMNS = ('item_id', 'lead_status', 'stage_id', 'stage_en', 'stage_zh', 'text_en', 'text_zh', 'required',
           'exits', 'skipped', 'skip_rate', 'with_done', 'won_with', 'win_rate_with', 'without_done',
           'won_without', 'win_rate_without')


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def checklist_table(items: Iterable[PlaybookItem], stages: Mapping[int, Stage], *,
                    exits: Iterable[tuple[list[int], list[int], int]], deals: tuple[int, int],
                    entered: Mapping[int, tuple[int, int]], done: Mapping[int, tuple[int, int]]) -> pd.DataFrame:
    """`exits`: (done ids, open ids, how many exits); `deals`: (closed, won) of every closed deal;
    `entered`: stage → (closed, won) of those ever moved into it; `done`: item → (closed, won) of
    those, in the item's population, with it ticked done on their lead."""
    left: Counter[int] = Counter()
    skipped: Counter[int] = Counter()
    for done_ids, open_ids, n in exits:
        for item_id in set(done_ids) | set(open_ids):
            left[item_id] += n
        for item_id in set(open_ids):
            skipped[item_id] += n
    rows: list[dict[str, Any]] = []
    for item in items:
        item_id = item.id or 0
        closed, won = deals if item.stage_id is None else entered.get(item.stage_id, (0, 0))
        with_done, won_with = done.get(item_id, (0, 0))
        without, won_without = closed - with_done, won - won_with
        if item.is_archived and not left[item_id] and not with_done:
            continue
        stage = stages.get(item.stage_id) if item.stage_id is not None else None
        rows.append({
            'item_id': item_id, 'lead_status': item.lead_status, 'stage_id': item.stage_id,
            'stage_en': stage.name_en if stage else None, 'stage_zh': stage.name_zh if stage else None,
            'text_en': item.text_en, 'text_zh': item.text_zh, 'required': item.is_required,
            'exits': left[item_id], 'skipped': skipped[item_id], 'skip_rate': rate(skipped[item_id], left[item_id]),
            'with_done': with_done, 'won_with': won_with, 'win_rate_with': rate(won_with, with_done),
            'without_done': without, 'won_without': won_without, 'win_rate_without': rate(won_without, without),
            '_order': _order(item, stage),
        })
    rows.sort(key=lambda r: r.pop('_order'))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _order(item: PlaybookItem, stage: Stage | None) -> tuple[int, int, int, int]:
    """Lead statuses first (assigned, contacted, qualified), then stages in board order."""
    if item.stage_id is None:
        step = PLAYBOOK_LEAD_STATUSES.index(item.lead_status) if item.lead_status in PLAYBOOK_LEAD_STATUSES else 9
        return 0, step, item.position, item.id or 0
    return 1, stage.position if stage else 999, item.position, item.id or 0
