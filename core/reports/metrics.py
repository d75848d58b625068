"""Every report metric, defined once, as pure functions from the rows the store returns to
pandas frames. No session, no clock: the tests feed hand-made rows and check hand-worked answers.

Conventions: rates are fractions 0–1 rounded to 4 places; a rate or a median over nothing is
None (shown as "—"), never a division by zero; money stays in integer cents; p90 is pandas'
linear-interpolation quantile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from store.reporting import Durations

SECONDS_PER_MINUTE = 60
SECONDS_PER_DAY = 86_400


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator ÷ denominator, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def cents_ratio(cents: int, count: int) -> int | None:
    """Cents per item (floored), or None for no items."""
    return cents // count if count else None


def _nones(frame: pd.DataFrame) -> pd.DataFrame:
    """NaN → None in every column (object dtype), so callers see None, not NaN."""
    return frame.astype(object).where(frame.notna(), None)


def _round(value: Any, places: int = 1) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), places)


# ----- funnel and conversion --------------------------------------------------------------------------

def funnel(counts: Mapping[str, int], steps: Sequence[str]) -> pd.DataFrame:
    """Each step's count, its share of the previous step and the drop-off (1 − that share)."""
    rows, previous = [], None
    for step in steps:
        count = int(counts.get(step, 0))
        kept: float | None = None if previous is None else ratio(count, previous)
        rows.append({'step': step, 'count': count, 'from_previous': kept,
                     'drop_off': None if kept is None else round(1 - kept, 4),
                     'of_first': ratio(count, int(counts.get(steps[0], 0)))})
        previous = count
    return _nones(pd.DataFrame(rows, columns=['step', 'count', 'from_previous', 'drop_off', 'of_first']))


_NONE_KEY = '\x00none'
"""Stands for a missing dimension value while frames are merged (None never equals None there)."""


def cohort(figures: Iterable[tuple[Any, ...]], deals: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    """One row per (source, region, industry, owner) of the cohort with every funnel step counted:
    captured, contacted, qualified (from the leads), opportunity and won (from their deals)."""
    keys = ['source', 'region', 'industry', 'owner_id']
    leads = pd.DataFrame(list(figures), columns=[*keys, 'captured', 'contacted', 'qualified'], dtype=object)
    won = pd.DataFrame(list(deals), columns=[*keys, 'opportunity', 'won'], dtype=object)
    for frame in (leads, won):
        frame[keys] = frame[keys].astype(object).where(frame[keys].notna(), _NONE_KEY)
    out = leads.merge(won, on=keys, how='left')
    counts = ['captured', 'contacted', 'qualified', 'opportunity', 'won']
    out[counts] = out[counts].fillna(0).astype('int64')
    out[keys] = out[keys].where(out[keys] != _NONE_KEY, None)
    return out


def step_counts(table: pd.DataFrame, steps: Sequence[str]) -> dict[str, int]:
    return {step: int(table[step].sum()) if len(table) else 0 for step in steps}


def dimension_rows(table: pd.DataFrame, dimension: str) -> list[tuple[Any, int, int]]:
    """(value, captured, converted) per value of one dimension of the cohort table."""
    if table.empty:
        return []
    keyed = table.assign(_key=table[dimension].astype(object).where(table[dimension].notna(), _NONE_KEY))
    sums = keyed.groupby('_key', sort=False)[['captured', 'opportunity']].sum()
    return [(None if k == _NONE_KEY else (int(k) if dimension == 'owner_id' else k), int(n), int(c))
            for k, (n, c) in zip(sums.index, sums.to_numpy().tolist(), strict=True)]


def closed_rows(figures: Iterable[tuple[Any, ...]], dimension: str) -> list[tuple[Any, int, int, int]]:
    """(value, won, lost, won cents) per value of one dimension of the closed-deals figures."""
    index = {'source': 0, 'region': 1, 'industry': 2, 'owner_id': 3}[dimension]
    sums: dict[Any, list[int]] = {}
    for row in figures:
        key = row[index]
        total = sums.setdefault(_NONE_KEY if key is None else key, [0, 0, 0])
        for i in range(3):
            total[i] += int(row[4 + i])
    return [(None if k == _NONE_KEY else k, w, lo, c) for k, (w, lo, c) in sums.items()]


def by_day(captured: Iterable[tuple[Any, int]], converted: Iterable[tuple[Any, int]]) -> list[tuple[Any, int, int]]:
    done = {str(d): n for d, n in converted}
    return [(d, n, done.get(str(d), 0)) for d, n in captured]


NAMED_DIMENSIONS = ('owner_id', 'department')
"""Dimensions keyed by an id whose label comes from `names` (a user's, a department's)."""


def _label(dimension: str, key: Any, names: Mapping[int, str]) -> str:
    if key is None:
        return ''
    return names.get(key, str(key)) if dimension in NAMED_DIMENSIONS else str(key)


def conversion(rows: Iterable[tuple[Any, int, int]], dimension: str, names: Mapping[int, str]) -> pd.DataFrame:
    """Lead conversion rate per dimension value = converted ÷ captured; the largest groups first."""
    rows = list(rows)
    frame = pd.DataFrame(rows, columns=['key', 'captured', 'converted'])
    frame['key'] = pd.Series([r[0] for r in rows], dtype=object)
    frame['label'] = [_label(dimension, k, names) for k in frame['key']]
    frame['rate'] = [ratio(c, n) for c, n in zip(frame['converted'], frame['captured'], strict=True)]
    frame = frame.sort_values(['captured', 'label'], ascending=[False, True], kind='stable')
    return _nones(frame[['key', 'label', 'captured', 'converted', 'rate']].reset_index(drop=True))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_conversion(rows: Iterable[tuple[Any, int, int]], first: date, last: date) -> pd.DataFrame:
    """Captured and converted leads per week (weeks start on Monday, every week of the range
    present, empty ones with rate None)."""
    frame = pd.DataFrame(list(rows), columns=['day', 'captured', 'converted'])
    frame['week'] = [week_start(d if isinstance(d, date) else date.fromisoformat(str(d))) for d in frame['day']]
    sums = frame.groupby('week')[['captured', 'converted']].sum()
    weeks = []
    week = week_start(first)
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    sums = sums.reindex(weeks, fill_value=0)
    out = pd.DataFrame({'week': [w.isoformat() for w in weeks], 'captured': sums['captured'].astype(int).tolist(),
                        'converted': sums['converted'].astype(int).tolist()})
    out['rate'] = [ratio(c, n) for c, n in zip(out['converted'], out['captured'], strict=True)]
    return _nones(out)


# ----- win rate, cycle, lost reasons -----------------------------------------------------------------------

def win_rate(rows: Iterable[tuple[Any, int, int, int]], dimension: str, names: Mapping[int, str]) -> pd.DataFrame:
    """Win rate per dimension value = won ÷ (won + lost) of deals closed in the range."""
    rows = list(rows)
    frame = pd.DataFrame(rows, columns=['key', 'won', 'lost', 'won_cents'])
    frame['key'] = pd.Series([r[0] for r in rows], dtype=object)
    frame['label'] = [_label(dimension, k, names) for k in frame['key']]
    frame['closed'] = frame['won'] + frame['lost']
    frame['rate'] = [ratio(w, n) for w, n in zip(frame['won'], frame['closed'], strict=True)]
    frame = frame.sort_values(['closed', 'label'], ascending=[False, True], kind='stable')
    return _nones(frame[['key', 'label', 'won', 'lost', 'closed', 'rate', 'won_cents']].reset_index(drop=True))


def sales_cycle(rows: Iterable[tuple[Any, float]], by: str = 'source') -> pd.DataFrame:
    """Median days from capture to win, per lead source (or per value of what `by` names: a custom
    field's breakdown passes `key`, its rows keyed by option, yes / no, or None)."""
    frame = pd.DataFrame(list(rows), columns=[by, 'seconds']).astype({'seconds': float})
    grouped = frame.groupby(by, dropna=False, sort=False)['seconds']
    out = pd.DataFrame({'won': grouped.size(), 'median_days': grouped.median() / SECONDS_PER_DAY}).reset_index()
    out['median_days'] = [_round(v) for v in out['median_days']]
    out['_order'] = [str(v) for v in out[by]]  # None, True and option keys together: sort by their text
    out = out.sort_values(['won', '_order'], ascending=[False, True], kind='stable').drop(columns='_order')
    return _nones(out.reset_index(drop=True))


def stage_time(rows: Iterable[tuple[int, float]], stages: Mapping[int, tuple[str, str, int, str]]) -> pd.DataFrame:
    """Median and mean days a deal stays in each stage (stays that ended in the range), board order."""
    frame = pd.DataFrame(list(rows), columns=['stage_id', 'seconds']).astype({'seconds': float})
    grouped = frame.groupby('stage_id')['seconds']
    out = pd.DataFrame({'stays': grouped.size(), 'median_days': grouped.median() / SECONDS_PER_DAY,
                        'mean_days': grouped.mean() / SECONDS_PER_DAY}).reset_index()
    out['stage_en'] = [stages.get(s, ('', '', 0, ''))[0] for s in out['stage_id']]
    out['stage_zh'] = [stages.get(s, ('', '', 0, ''))[1] for s in out['stage_id']]
    out['position'] = [stages.get(s, ('', '', 10**6, ''))[2] for s in out['stage_id']]
    out['median_days'] = [_round(v) for v in out['median_days']]
    out['mean_days'] = [_round(v) for v in out['mean_days']]
    out = out.sort_values(['position', 'stage_id'], kind='stable')
    return _nones(out[['stage_id', 'stage_en', 'stage_zh', 'stays', 'median_days', 'mean_days']].reset_index(drop=True))


def lost_reasons(rows: Iterable[tuple[str | None, int | None, int]]) -> pd.DataFrame:
    """Each (reason, stage lost from) with its count and its share of all deals lost in the range."""
    frame = pd.DataFrame(list(rows), columns=['reason', 'from_stage_id', 'count'])
    total = int(frame['count'].sum())
    frame['share'] = [ratio(n, total) for n in frame['count']]
    frame = frame.sort_values(['count', 'reason'], ascending=[False, True], kind='stable', na_position='last')
    return _nones(frame.reset_index(drop=True))


def reason_totals(lost: pd.DataFrame) -> pd.DataFrame:
    """Lost reasons summed over the stages they were lost from (the pie)."""
    if lost.empty:
        return pd.DataFrame(columns=['reason', 'count', 'share'])
    totals = lost.assign(reason=lost['reason'].fillna('')).groupby('reason', as_index=False)['count'].sum()
    total = int(totals['count'].sum())
    totals['share'] = [ratio(n, total) for n in totals['count']]
    return _nones(totals.sort_values(['count', 'reason'], ascending=[False, True], kind='stable')
                  .reset_index(drop=True))


# ----- first response --------------------------------------------------------------------------------------

def _response_times(rows: Iterable[tuple[int, float]]) -> pd.DataFrame:
    """(owner_id, seconds) as two columns: straight from the store's arrays (`Durations`), or read
    with `np.fromiter` from pairs (a frame built from a list of ~700k tuples took ~0.3 s)."""
    if isinstance(rows, Durations):
        return pd.DataFrame({'owner_id': rows.owners, 'seconds': rows.seconds})
    pairs = rows if isinstance(rows, list) else list(rows)
    return pd.DataFrame({'owner_id': np.fromiter((r[0] for r in pairs), dtype=np.int64, count=len(pairs)),
                         'seconds': np.fromiter((r[1] for r in pairs), dtype=float, count=len(pairs))})


def first_response(rows: Iterable[tuple[int, float]], sla: Iterable[tuple[int, int, int]],
                   names: Mapping[int, str]) -> pd.DataFrame:
    """Per rep: median and p90 minutes from assignment to first contact, and the share of decided
    first responses that met the SLA (met ÷ (met + missed)). Fastest median first; reps with no
    response yet last."""
    times = _response_times(rows)
    grouped = times.groupby('owner_id')['seconds']
    stats = pd.DataFrame({'responses': grouped.size(), 'median_minutes': grouped.median() / SECONDS_PER_MINUTE,
                          'p90_minutes': grouped.quantile(0.9) / SECONDS_PER_MINUTE})
    outcomes = pd.DataFrame(list(sla), columns=['owner_id', 'sla_met', 'sla_missed']).set_index('owner_id')
    out = stats.join(outcomes, how='outer').reset_index()
    out[['responses', 'sla_met', 'sla_missed']] = out[['responses', 'sla_met', 'sla_missed']].fillna(0).astype(int)
    out['rep'] = [names.get(o, str(o)) for o in out['owner_id']]
    out['sla_share'] = [ratio(m, m + x) for m, x in zip(out['sla_met'], out['sla_missed'], strict=True)]
    out['median_minutes'] = [_round(v) for v in out['median_minutes']]
    out['p90_minutes'] = [_round(v) for v in out['p90_minutes']]
    out = out.sort_values(['median_minutes', 'rep'], na_position='last', kind='stable')
    return _nones(out[['owner_id', 'rep', 'responses', 'median_minutes', 'p90_minutes', 'sla_met', 'sla_missed',
                       'sla_share']].reset_index(drop=True))


def response_summary(rows: Sequence[tuple[int, float]], sla: Sequence[tuple[int, int, int]]) -> dict[str, Any]:
    """The team's median and p90 minutes and SLA share over every response (not a mean of reps)."""
    seconds = _response_times(rows)['seconds']
    met, missed = sum(m for _, m, _ in sla), sum(x for _, _, x in sla)
    return {'responses': len(seconds),
            'median_minutes': _round(seconds.median() / SECONDS_PER_MINUTE) if len(seconds) else None,
            'p90_minutes': _round(seconds.quantile(0.9) / SECONDS_PER_MINUTE) if len(seconds) else None,
            'sla_met': met, 'sla_missed': missed, 'sla_share': ratio(met, met + missed)}


# ----- automation -------------------------------------------------------------------------------------------

AUTOMATION_METRICS = ('auto_assigned', 'sla_breached', 'sla_reassigned', 'recycled', 'claimed', 'sent_to_review')


def automation_metric(action: str, reason_key: str | None, by_system: bool) -> str | None:
    """Which automation figure an audit line counts towards (None: not one of them).
    auto_assigned: the rules placed the lead (at capture or by the timer), no person involved."""
    if action == 'assigned':
        if reason_key == 'reason.claimed':
            return 'claimed'
        if reason_key == 'reason.sla_reassigned':
            return 'sla_reassigned'
        return 'auto_assigned' if by_system else None
    return action if action in AUTOMATION_METRICS else None


def automation(rows: Iterable[tuple[str, str | None, bool, int | None, int]],
               names: Mapping[int, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals per automation figure, and the same per rep concerned (the audit line's subject)."""
    counted = [(automation_metric(a, r, b), u, n) for a, r, b, u, n in rows]
    frame = pd.DataFrame([c for c in counted if c[0] is not None], columns=['metric', 'owner_id', 'count'])
    totals = frame.groupby('metric')['count'].sum().reindex(list(AUTOMATION_METRICS), fill_value=0)
    total_frame = pd.DataFrame({'metric': list(AUTOMATION_METRICS), 'count': totals.astype(int).tolist()})
    per_rep = (frame.dropna(subset=['owner_id']).pivot_table(index='owner_id', columns='metric', values='count',
                                                             aggfunc='sum', fill_value=0)
               .reindex(columns=list(AUTOMATION_METRICS), fill_value=0))
    per_rep = per_rep.reset_index()
    per_rep.insert(1, 'rep', [names.get(int(o), str(o)) for o in per_rep['owner_id']])
    per_rep = per_rep.sort_values('rep', kind='stable').reset_index(drop=True)
    per_rep.columns.name = None
    return total_frame, per_rep
