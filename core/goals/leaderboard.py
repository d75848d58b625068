"""The goals leaderboard, normalised for lead volume and grade mix (issue 23).

A raw count ranks whoever was handed the most A-leads first. Here each rep's month is set against
what the group's own rates per grade predict for the leads that rep holds:

    rate(step, grade)     = Σ reps' step count in grade ÷ Σ reps' leads captured in grade
    expected(rep, step)   = Σ over grades of the rep's leads captured in grade × rate(step, grade)
    index(rep, step)      = actual(rep, step) ÷ expected(rep, step)          (1.00 = as the group does)

Steps: contacted, converted (became an opportunity), won — the cohort figure's own steps (leads
captured in the month, "by now"), read from the daily roll-up's `grade` dimension per owner
(store/report_days.py `cohort_by_owner_grade`, declared as the `cohort_grade` figure). The group is
the reps on the board (the manager's reach), so over the group Σ actual = Σ expected for each step.

The rank is by the converted index (opportunities are the goal metric the rep's work decides most
and still count enough in a month; won is shown, too few in a month to rank on). Reps with fewer
than `MIN_LEADS` leads are listed but not ranked: one lead converted out of one is no standing.

Pure functions; the tests feed hand-built figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MIN_LEADS = 5
"""Fewer leads in the month than this: shown, not ranked."""

GradeFigures = Mapping[str | None, tuple[int, int, int, int, int]]
"""grade → (captured, contacted, qualified, opportunity, won), as the roll-up gives it."""


class Step(StrEnum):
    CONTACTED = 'contacted'
    CONVERTED = 'converted'
    WON = 'won'


RANKED_BY = Step.CONVERTED
_COLUMN = {Step.CONTACTED: 1, Step.CONVERTED: 3, Step.WON: 4}
"""Where each step sits in the roll-up's cohort tuple."""


@dataclass(frozen=True, slots=True)
class StepScore:
    actual: int
    expected: float
    index: float | None
    """actual ÷ expected; None when nothing was expected (no leads, or the group did none of it)."""


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    leads: int
    scores: Mapping[Step, StepScore]
    rank: int | None
    """1 = best by the converted index; None: too few leads to rank."""
    raw_rank: int
    """Where a raw count of conversions would put the rep (ties share the better place)."""


def group_rates(per_rep: Mapping[int, GradeFigures]) -> dict[str | None, dict[Step, float]]:
    """grade → step → the group's rate: the step's count over leads captured in the grade."""
    totals: dict[str | None, list[int]] = {}
    for grades in per_rep.values():
        for grade, figures in grades.items():
            acc = totals.setdefault(grade, [0] * 5)
            for i, n in enumerate(figures):
                acc[i] += n
    return {grade: {step: (t[_COLUMN[step]] / t[0] if t[0] else 0.0) for step in Step}
            for grade, t in totals.items()}


def standings(per_rep: Mapping[int, GradeFigures], names: Mapping[int, str]) -> tuple[Standing, ...]:
    """Every rep in `names` with their scores; ranked first by the converted index (then more
    leads, then name), the unranked after by name."""
    rates = group_rates(per_rep)
    rows: list[tuple[int, str, int, dict[Step, StepScore]]] = []
    for user_id, name in names.items():
        grades = per_rep.get(user_id, {})
        leads = sum(f[0] for f in grades.values())
        scores = {}
        for step in Step:
            actual = sum(f[_COLUMN[step]] for f in grades.values())
            expected = sum(f[0] * rates[g][step] for g, f in grades.items())
            scores[step] = StepScore(actual, round(expected, 4), round(actual / expected, 4) if expected > 0 else None)
        rows.append((user_id, name, leads, scores))
    raw_counts = sorted((s[RANKED_BY].actual for _, _, _, s in rows), reverse=True)
    ranked = sorted((r for r in rows if r[2] >= MIN_LEADS and r[3][RANKED_BY].index is not None),
                    key=lambda r: (-(r[3][RANKED_BY].index or 0.0), -r[2], r[1]))
    ranks = {r[0]: i + 1 for i, r in enumerate(ranked)}
    order = [*ranked, *sorted((r for r in rows if r[0] not in ranks), key=lambda r: r[1])]
    return tuple(Standing(user_id, name, leads, scores, ranks.get(user_id),
                          raw_counts.index(scores[RANKED_BY].actual) + 1)
                 for user_id, name, leads, scores in order)
