"""The money reports, defined once like core/reports/metrics.py: the forecast (open pipeline
weighted by stage probability against won) and channel ROI (entered costs against leads, won
deals and revenue). Pure functions of the rows the store returns; hand-checked in the tests."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

from core.reports.metrics import _nones, cents_ratio, ratio

# ----- forecast ---------------------------------------------------------------------------------------------

def months_between(first: date, last: date) -> list[str]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(f'{month:%Y-%m}')
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def forecast(rows: Iterable[tuple[date, int | None, str, int, int]], first: date, last: date,
             names: Mapping[int, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open pipeline and its probability-weighted amount (Σ amount × probability ÷ 100, floored per
    month) by expected close month, against won amounts; the same per rep."""
    frame = pd.DataFrame(list(rows), columns=['day', 'owner_id', 'kind', 'amount', 'weighted'])
    frame['month'] = [f'{d:%Y-%m}' if isinstance(d, date) else str(d)[:7] for d in frame['day']]
    is_open = frame['kind'] == 'open'
    frame['open_cents'] = frame['amount'].where(is_open, 0)
    frame['weighted_raw'] = frame['weighted'].where(is_open, 0)
    frame['won_cents'] = frame['amount'].where(~is_open, 0)

    def summed(by: str, index: list[Any]) -> pd.DataFrame:
        sums = frame.groupby(by)[['open_cents', 'weighted_raw', 'won_cents']].sum().reindex(index, fill_value=0)
        out = pd.DataFrame({by: index, 'open_cents': sums['open_cents'].astype('int64').tolist(),
                            'weighted_cents': (sums['weighted_raw'].astype('int64') // 100).tolist(),
                            'won_cents': sums['won_cents'].astype('int64').tolist()})
        return out

    by_month = summed('month', months_between(first, last))
    owners = sorted({o for o in frame['owner_id'] if o is not None and not pd.isna(o)},
                    key=lambda o: names.get(int(o), ''))
    by_rep = summed('owner_id', owners)
    by_rep.insert(1, 'rep', [names.get(int(o), str(o)) for o in by_rep['owner_id']])
    return by_month, by_rep


# ----- channel ROI ------------------------------------------------------------------------------------------

def prorated_costs(costs: Iterable[tuple[str, date, int]], first: date, last: date) -> dict[str, int]:
    """Cost per source over [first, last]: each month's cost × the share of its days in the range
    (floored to cents), so "last 30 days" pays for 30 days, not for two whole months."""
    out: dict[str, int] = {}
    for source, month, cents in costs:
        days = calendar.monthrange(month.year, month.month)[1]
        month_last = month.replace(day=days)
        overlap = (min(last, month_last) - max(first, month)).days + 1
        if overlap > 0:
            out[source] = out.get(source, 0) + cents * overlap // days
    return out


def roi(costs: Mapping[str, int], leads: Mapping[str, int], closed: Mapping[str, tuple[int, int]]) -> pd.DataFrame:
    """Per source: cost, leads, won deals, revenue (won amounts); cost per lead, cost per won deal,
    and revenue ÷ cost. `closed` maps source to (won count, won cents)."""
    sources = sorted(set(costs) | set(leads) | set(closed))
    rows = []
    for source in sources:
        cost, count = costs.get(source, 0), leads.get(source, 0)
        won, revenue = closed.get(source, (0, 0))
        rows.append({'source': source, 'cost_cents': cost, 'leads': count, 'won': won, 'revenue_cents': revenue,
                     'cost_per_lead_cents': cents_ratio(cost, count) if cost else None,
                     'cost_per_won_cents': cents_ratio(cost, won) if cost else None,
                     'return_ratio': ratio(revenue, cost)})
    return _nones(pd.DataFrame(rows, columns=['source', 'cost_cents', 'leads', 'won', 'revenue_cents',
                                              'cost_per_lead_cents', 'cost_per_won_cents', 'return_ratio']))
