"""Writing a digest from the records: a rep's or a manager's daily digest of one working day, and a
manager's weekly one (the week against the previous one and against the month's goals, exceptions first).

The period a daily digest covers is the working day and whatever non-working days follow it on the team
calendar (core/automation/workhours.py): Friday's digest, read on Monday, includes the weekend's arrivals;
a make-up Saturday gets its own. What a reader sees is their data scope (core/accounts/reach.py), read by
the lists' own filter (store/queries/reach_filter.py `visible`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.accounts.reach import with_reach
from core.automation.preview import TimerPreview
from core.automation.workhours import WorkCalendar
from core.context import Context
from core.digests.content import Digest, DigestKind, ExceptionKind, Line, Part, Section, deal_link, lead_link
from core.goals.board import actuals
from core.goals.pacing import month_start
from store import digest_rows as rows
from store import goals as goal_rows
from store.models import GoalMetric, Reach, StageKind, User
from store.queries.timer import user_names
from store.report_lists import user_names as all_names

WEEKLY_FIGURES: tuple[Section, ...] = (Section.LEADS_RECEIVED, Section.FIRST_CONTACTS, Section.DEALS_WON,
                                       Section.DEALS_LOST, Section.SLA_BREACHES)
"""The weekly comparison's figures (and won by amount: `won_cents`)."""


def next_workday(calendar: WorkCalendar, day: date) -> date:
    following = day + timedelta(days=1)
    for _ in range(366):
        if calendar.is_workday(following):
            return following
        following += timedelta(days=1)
    return following


def previous_workday(calendar: WorkCalendar, day: date) -> date:
    before = day - timedelta(days=1)
    for _ in range(366):
        if calendar.is_workday(before):
            return before
        before -= timedelta(days=1)
    return before


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _minutes(a: datetime | None, b: datetime | None) -> int | None:
    if a is None or b is None:
        return None
    return max(int((_utc(b) - _utc(a)).total_seconds() // 60), 0)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class DigestWriter:
    """Composes digests in a caller's session (the schedule's, the page's)."""

    def __init__(self, ctx: Context, preview: TimerPreview) -> None:
        self.ctx = ctx
        self.preview = preview

    def daily(self, session: Session, user: User, day: date, calendar: WorkCalendar) -> Digest:
        """The digest of working day `day` for `user` (a holiday or weekend `day`: its own calendar day only)."""
        zone = ZoneInfo(calendar.tz)
        last = next_workday(calendar, day) - timedelta(days=1) if calendar.is_workday(day) else day
        start, end = _midnight(day, zone), _midnight(last + timedelta(days=1), zone)
        reach = self._reach(session, user)
        names = self._names(session)
        received = rows.leads_received(session, reach, start, end)
        contacts = rows.first_contacts(session, reach, start, end)
        responses = [m for f in contacts if (m := _minutes(f.since, f.at)) is not None]
        deals = rows.deals_moved(session, reach, start, end)
        drops = self.preview.drops_for(session, reach, end)

        def lead_line(f: rows.LeadFact, minutes: int | None = None) -> Line:
            return Line(name=f.name, link=lead_link(f.lead_id), owner=names.get(f.owner_id or 0, ''), minutes=minutes)

        def deal_line(f: rows.DealFact) -> Line:
            return Line(name=f.name, link=deal_link(f.opportunity_id), owner=names.get(f.owner_id or 0, ''),
                        amount_cents=f.amount_cents, stage_id=f.stage_id)

        def deal_part(section: Section, kind: StageKind) -> Part:
            lines = tuple(deal_line(f) for f in deals if f.stage_kind == kind)
            return Part(section, lines, sum(ln.amount_cents or 0 for ln in lines))

        parts = (
            Part(Section.LEADS_RECEIVED, tuple(lead_line(f) for f in received)),
            Part(Section.FIRST_CONTACTS, tuple(lead_line(f, _minutes(f.since, f.at)) for f in contacts)),
            Part(Section.FOLLOW_UPS_DONE, tuple(map(lead_line, rows.follow_ups_done(session, reach, start, end)))),
            Part(Section.FOLLOW_UPS_OVERDUE, tuple(map(lead_line, rows.follow_ups_overdue(session, reach, end)))),
            Part(Section.POOL_TOMORROW, tuple(Line(name=p.lead_name, link=lead_link(p.lead_id),
                                                   owner=names.get(owner or 0, '')) for p, owner in drops)),
            deal_part(Section.DEALS_MOVED, StageKind.OPEN),
            deal_part(Section.DEALS_WON, StageKind.WON),
            deal_part(Section.DEALS_LOST, StageKind.LOST),
            Part(Section.SLA_BREACHES, tuple(lead_line(f) for f in rows.sla_breaches(session, reach, start, end))),
        )
        return Digest(kind=DigestKind.DAILY, user_id=user.id or 0, day=day, last=last, on_leave=user.is_on_leave,
                      parts=parts, median_response_minutes=round(median(responses)) if responses else None)

    def weekly(self, session: Session, user: User, monday: date, calendar: WorkCalendar) -> Digest:
        """The week from `monday` against the week before and the month's goals; exceptions first."""
        zone = ZoneInfo(calendar.tz)
        monday = monday - timedelta(days=monday.weekday())
        reach = self._reach(session, user)
        names = self._names(session)
        now_start, now_end = _midnight(monday, zone), _midnight(monday + timedelta(days=7), zone)
        before_start = _midnight(monday - timedelta(days=7), zone)
        this_week, last_week = self._figures(session, reach, now_start, now_end), \
            self._figures(session, reach, before_start, now_start)
        exceptions: list[Line] = []
        for f in rows.rotting_deals(session, reach, now_end):
            exceptions.append(Line(name=f.name, link=deal_link(f.opportunity_id), owner=names.get(f.owner_id or 0, ''),
                                   amount_cents=f.amount_cents, stage_id=f.stage_id, key=ExceptionKind.ROTTING_DEAL))
        for _uid, name, open_leads, capacity in rows.over_capacity(session, reach):
            exceptions.append(Line(name=name, link='/team', key=ExceptionKind.OVER_CAPACITY,
                                   value=open_leads, before=capacity))
        slower = self._slower_reps(session, reach, (before_start, now_start), (now_start, now_end), names)
        exceptions.extend(slower)
        pooled_now, pooled_before = rows.pooled(session, now_start, now_end), rows.pooled(session, before_start,
                                                                                           now_start)
        if reach.everyone and pooled_now > pooled_before:
            exceptions.append(Line(link='/pool', key=ExceptionKind.POOL_GROWTH, value=pooled_now, before=pooled_before))
        comparison = tuple(Line(key=str(s), value=this_week[s], before=last_week[s])
                           for s in (*WEEKLY_FIGURES, 'won_cents'))
        parts = (Part(Section.EXCEPTIONS, tuple(exceptions)), Part(Section.COMPARISON, comparison),
                 Part(Section.GOALS, self._goals(session, user, reach, monday + timedelta(days=6))))
        return Digest(kind=DigestKind.WEEKLY, user_id=user.id or 0, day=monday, last=monday + timedelta(days=6),
                      on_leave=user.is_on_leave, parts=parts)

    # ---- parts ------------------------------------------------------------------------------------------

    def _reach(self, session: Session, user: User) -> Reach:
        ref = with_reach(session, user)
        return ref.reach or Reach(everyone=False, owner_ids=frozenset({user.id or 0}))

    def _names(self, session: Session) -> dict[int, str]:
        return all_names(session)

    def _figures(self, session: Session, reach: Reach, start: datetime, end: datetime) -> dict[str, float]:
        deals = rows.deals_moved(session, reach, start, end)
        won = [d for d in deals if d.stage_kind == StageKind.WON]
        return {Section.LEADS_RECEIVED: len(rows.leads_received(session, reach, start, end)),
                Section.FIRST_CONTACTS: len(rows.first_contacts(session, reach, start, end)),
                Section.DEALS_WON: len(won),
                Section.DEALS_LOST: sum(d.stage_kind == StageKind.LOST for d in deals),
                Section.SLA_BREACHES: len(rows.sla_breaches(session, reach, start, end)),
                'won_cents': sum(d.amount_cents for d in won)}

    def _slower_reps(self, session: Session, reach: Reach, before: tuple[datetime, datetime],
                     now: tuple[datetime, datetime], names: dict[int, str]) -> list[Line]:
        """Reps whose median first response rose against the week before."""
        def medians(start: datetime, end: datetime) -> dict[int, float]:
            by_owner: dict[int, list[int]] = {}
            for f in rows.first_contacts(session, reach, start, end):
                m = _minutes(f.since, f.at)
                if m is not None and f.owner_id is not None:
                    by_owner.setdefault(f.owner_id, []).append(m)
            return {o: median(ms) for o, ms in by_owner.items()}
        was, is_now = medians(*before), medians(*now)
        return [Line(name=names.get(o, ''), link='/team', key=ExceptionKind.SLOWER_RESPONSE,
                     value=round(is_now[o]), before=round(was[o]))
                for o in sorted(is_now) if o in was and is_now[o] > was[o]]

    def _goals(self, session: Session, user: User, reach: Reach, day: date) -> tuple[Line, ...]:
        """The month's goals against the month's figures so far (core/goals: the reports' own figures)."""
        first = month_start(day)
        figures = actuals(session, first, day)
        goals = goal_rows.for_months(session, [first])
        mine = [g for g in goals if (g.user_id is None and reach.everyone) or
                (g.user_id is not None and reach.covers(g.user_id))]
        names = user_names(session, {g.user_id for g in mine if g.user_id})
        out = []
        for g in sorted(mine, key=lambda g: (g.user_id is not None, names.get(g.user_id or 0, ''), g.metric)):
            metric = GoalMetric(g.metric)
            actual = sum(v[metric] for v in figures.values()) if g.user_id is None else \
                figures.get(g.user_id, {}).get(metric, 0)
            out.append(Line(name=names.get(g.user_id or 0, ''), link='/team', key=str(metric), value=actual,
                            before=g.target))
        return tuple(out)

