"""Report panels as ECharts options and the numbers printed beside them: data in, dicts out.
The metrics themselves are core's (core/reports/metrics.py); this only draws and words them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.reports.panels import Report

from ..format import label, money
from ..i18n import current_language, t

NONE = '—'
"""How an empty rate, median or ratio reads (never a division by zero)."""
BLUE, GREEN, ORANGE, GREY = '#1f5fbf', '#43a047', '#fb8c00', '#9e9e9e'


def pct(value: float | None) -> str:
    return NONE if value is None else f'{value * 100:.1f}%'


def num(value: float | None, unit: str = '') -> str:
    return NONE if value is None else f'{value:g}{unit}'


def minutes(value: float | None) -> str:
    return NONE if value is None else t('report.minutes', n=f'{value:g}')


def days(value: float | None) -> str:
    return NONE if value is None else t('report.days', n=f'{value:g}')


def dim_label(dimension: str, key: Any, text: str | None = None) -> str:
    """A dimension value as a reader sees it: translated sources, rep names, "(none)"."""
    if key is None or (not isinstance(key, str) and pd.isna(key)) or key == '':
        return t('report.none')
    if dimension == 'source':
        return label('source', str(key))
    if dimension == 'department' and not text:
        return t('dept.root_default')  # the root under its default name (core/reports/departments.py)
    return text or str(key)


def stage_label(report: Report, stage_id: Any) -> str:
    if stage_id is None or pd.isna(stage_id):
        return t('report.none')
    en, zh, _, _ = report.stages.get(int(stage_id), (str(stage_id), str(stage_id), 0, ''))
    return zh if current_language() == 'zh-CN' else en


def _bar(categories: list[str], series: list[dict[str, Any]], *, horizontal: bool = False,
         percent: bool = False) -> dict[str, Any]:
    value_axis: dict[str, Any] = {'type': 'value'}
    if percent:
        value_axis |= {'max': 100, 'axisLabel': {'formatter': '{value}%'}}
    category_axis = {'type': 'category', 'data': categories, 'axisLabel': {'interval': 0, 'hideOverlap': True}}
    return {'tooltip': {'trigger': 'axis'}, 'legend': {'show': len(series) > 1, 'top': 0},
            'grid': {'left': 8, 'right': 16, 'top': 28, 'bottom': 8, 'containLabel': True},
            'xAxis': value_axis if horizontal else category_axis, 'yAxis': category_axis if horizontal else value_axis,
            'series': series, 'animation': False}


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


# ----- one function per panel: (chart options, keys in chart order for clicks, numbers text) ---------------

def funnel(report: Report) -> tuple[dict[str, Any], list[str], list[str]]:
    rows = report.funnel.to_dict('records')
    steps = [r['step'] for r in rows]
    data = [{'name': t(f'report.step.{r["step"]}'), 'value': r['count']} for r in rows]
    options = {'tooltip': {'trigger': 'item', 'formatter': '{b}: {c}'}, 'animation': False,
               'series': [{'type': 'funnel', 'sort': 'none', 'left': '5%', 'width': '90%', 'minSize': '8%',
                           'label': {'show': True, 'position': 'inside', 'formatter': '{b}: {c}'}, 'data': data}]}
    lines = [t('report.funnel_line', step=t(f'report.step.{r["step"]}'), count=r['count'],
               kept=pct(r['from_previous']), drop=pct(r['drop_off'])) if r['from_previous'] is not None or i
             else f'{t("report.step." + r["step"])}: {r["count"]}' for i, r in enumerate(rows)]
    return options, steps, lines


def by_dimension(frame: pd.DataFrame, dimension: str, *, rate_name: str, count_columns: tuple[str, str]
                 ) -> tuple[dict[str, Any], list[Any], list[dict[str, Any]]]:
    """A rate per dimension value as bars (in %), and the table rows beside it."""
    rows = frame.head(15).to_dict('records')
    names = [dim_label(dimension, r['key'], r['label']) for r in rows]
    options = _bar(names, [{'type': 'bar', 'name': rate_name, 'color': BLUE,
                            'data': [_rate(r['rate']) for r in rows]}], percent=True)
    table = [{'key': n, count_columns[0]: r[count_columns[0]], count_columns[1]: r[count_columns[1]],
              'rate': pct(r['rate'])} for n, r in zip(names, frame.to_dict('records'), strict=False)]
    return options, [r['key'] for r in rows], table


def weekly(report: Report) -> dict[str, Any]:
    rows = report.weekly.to_dict('records')
    return {'tooltip': {'trigger': 'axis'}, 'animation': False, 'legend': {'top': 0},
            'grid': {'left': 8, 'right': 16, 'top': 28, 'bottom': 8, 'containLabel': True},
            'xAxis': {'type': 'category', 'data': [r['week'][5:] for r in rows]},
            'yAxis': [{'type': 'value'}, {'type': 'value', 'max': 100, 'axisLabel': {'formatter': '{value}%'}}],
            'series': [{'type': 'bar', 'name': t('report.captured'), 'color': GREY,
                        'data': [r['captured'] for r in rows]},
                       {'type': 'line', 'name': t('report.conversion_rate'), 'yAxisIndex': 1, 'color': BLUE,
                        'connectNulls': False, 'data': [_rate(r['rate']) for r in rows]}]}


def response(report: Report) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = report.response.to_dict('records')
    names = [r['rep'] for r in rows]
    options = _bar(names, [{'type': 'bar', 'name': t('report.median'), 'color': BLUE,
                            'data': [r['median_minutes'] for r in rows]},
                           {'type': 'bar', 'name': 'p90', 'color': ORANGE, 'data': [r['p90_minutes'] for r in rows]}],
                   horizontal=True)
    options['yAxis']['inverse'] = True  # the fastest on top
    table = [{'rep': r['rep'], 'responses': r['responses'], 'median': minutes(r['median_minutes']),
              'p90': minutes(r['p90_minutes']), 'sla': pct(r['sla_share'])} for r in rows]
    return options, table


def cycle_label(dimension: str, row: dict[str, Any]) -> str:
    """A sales-cycle row's name: its source, or a custom field's value as the breakdown labelled it."""
    if dimension == 'source':
        return dim_label('source', row['source'])
    return dim_label(dimension, row['key'], row['label'])


def cycle(report: Report, custom: pd.DataFrame | None = None, dimension: str = 'source'
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The median days to win per source (or per value of the custom field `custom` breaks down),
    and the time in each stage."""
    rows = (report.cycle if custom is None else custom).to_dict('records')
    by_value = _bar([cycle_label(dimension, r) for r in rows],
                    [{'type': 'bar', 'name': t('report.median_days'), 'color': GREEN,
                      'data': [r['median_days'] for r in rows]}])
    stays = report.stage_time.to_dict('records')
    name = 'stage_zh' if current_language() == 'zh-CN' else 'stage_en'
    by_stage = _bar([r[name] for r in stays], [{'type': 'bar', 'name': t('report.median_days'), 'color': BLUE,
                                                'data': [r['median_days'] for r in stays]},
                                               {'type': 'bar', 'name': t('report.mean_days'), 'color': GREY,
                                                'data': [r['mean_days'] for r in stays]}])
    return by_value, by_stage


def lost(report: Report, reason_names: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    totals = report.lost_totals.to_dict('records')
    options = {'tooltip': {'trigger': 'item', 'formatter': '{b}: {c} ({d}%)'}, 'animation': False,
               'series': [{'type': 'pie', 'radius': ['35%', '70%'],
                           'data': [{'name': reason_names.get(r['reason'], r['reason'] or t('report.none')),
                                     'value': r['count']} for r in totals]}]}
    table = [{'reason': reason_names.get(r['reason'] or '', r['reason'] or t('report.none')),
              'stage': stage_label(report, r['from_stage_id']), 'count': r['count'], 'share': pct(r['share'])}
             for r in report.lost.to_dict('records')]
    return options, table


def forecast(report: Report) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = report.forecast_month.to_dict('records')
    series = [(t('report.open_pipeline'), GREY, 'open_cents'), (t('report.weighted'), BLUE, 'weighted_cents'),
              (t('report.won'), GREEN, 'won_cents')]
    options = _bar([r['month'] for r in rows], [{'type': 'bar', 'name': name, 'color': color,
                                                 'data': [r[column] / 100 for r in rows]}
                                                for name, color, column in series])
    table = [{'rep': r['rep'], 'open': money(r['open_cents']), 'weighted': money(r['weighted_cents']),
              'won': money(r['won_cents'])} for r in report.forecast_rep.to_dict('records')]
    return options, table


def roi(report: Report) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = [] if report.roi is None else report.roi.to_dict('records')
    options = _bar([dim_label('source', r['source']) for r in rows], [
        {'type': 'bar', 'name': t('report.cost'), 'color': ORANGE, 'data': [r['cost_cents'] / 100 for r in rows]},
        {'type': 'bar', 'name': t('report.revenue'), 'color': GREEN, 'data': [r['revenue_cents'] / 100 for r in rows]}])

    def cents(value: int | None) -> str:
        return NONE if value is None else money(value)

    table = [{'source': dim_label('source', r['source']), 'cost': money(r['cost_cents']), 'leads': r['leads'],
              'won': r['won'], 'per_lead': cents(r['cost_per_lead_cents']), 'per_won': cents(r['cost_per_won_cents']),
              'return': num(r['return_ratio'], '×')} for r in rows]
    return options, table


def automation(report: Report) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = report.automation.to_dict('records')
    options = _bar([t(f'report.auto.{r["metric"]}') for r in rows],
                   [{'type': 'bar', 'name': t('report.count'), 'color': BLUE, 'data': [r['count'] for r in rows]}],
                   horizontal=True)
    options['yAxis']['inverse'] = True
    table = [{'rep': r['rep'], **{m: int(r[m]) for m in report.automation.metric}}
             for r in report.automation_rep.to_dict('records')]
    return options, table
