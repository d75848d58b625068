"""Digest content against hand-built days: what a rep's and a manager's daily digest list (each line
linking its record, in the reader's scope), an empty day, a holiday and a make-up workday on the team
calendar, a rep on leave, the manager's weekly digest (exceptions first, the week against the one
before, goals), and the Markdown in both languages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from core.clock import FakeClock
from core.desk import Desk
from core.digests.content import Digest, DigestKind, ExceptionKind, Section
from core.digests.render import markdown
from store.audit_actions import AuditAction
from store.models import Activity, AuditEntry, GoalMetric, Lead, Role, User, UserRef
from tests.factories import user
from tests.unit.test_reports import add_deal
from ui.i18n import translate

MON, FRI, SAT, NEXT_MON = date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 9)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant on the team's wall clock (Asia/Shanghai, UTC+8) as UTC."""
    return datetime.fromisoformat(f'{day.isoformat()}T{hour:02d}:{minute:02d}:00+08:00')


def add_lead(desk: Desk, owner: UserRef | None, assigned: datetime, *, name: str, response: int | None = None,
             **fields: Any) -> int:
    """A lead assigned to `owner` at `assigned`, first contacted `response` minutes later."""
    fields.setdefault('status', 'assigned')
    with desk.ctx.write() as s:
        lead = Lead(name=name, owner_id=owner.id if owner else None, created_at=assigned, assigned_at=assigned,
                    first_contact_at=assigned + timedelta(minutes=response) if response is not None else None,
                    **fields)
        s.add(lead)
        s.flush()
        return lead.id or 0


def daily(desk: Desk, who: object, day: date) -> Digest:
    return desk.digests.compose(who, DigestKind.DAILY, day)  # type: ignore[arg-type]


def names(digest: Digest, section: Section) -> list[str]:
    return [line.name for line in digest.part(section).lines]


def test_a_reps_daily_digest_lists_the_days_records_with_links(desk: Desk) -> None:
    li, zhao = user(desk, name='Li'), user(desk, name='Zhao')
    new = add_lead(desk, li, local(MON, 10), name='Wang', response=45)
    followed = add_lead(desk, li, local(MON - timedelta(days=7), 10), name='Sun', status='contacted',
                        next_follow_up_at=local(MON, 9))
    add_lead(desk, zhao, local(MON, 11), name='Not mine')
    breached = add_lead(desk, li, local(MON - timedelta(days=1), 20), name='Late')
    deal_lead = add_lead(desk, li, local(MON - timedelta(days=20), 10), name='Zhou', status='converted')
    deal = add_deal(desk, deal_lead, li, created=local(MON - timedelta(days=10), 10),
                    moves=[('Won', local(MON, 15))], amount_cents=1_250_000, expected_close=MON)
    with desk.ctx.write() as s:
        s.add(Activity(lead_id=followed, user_id=li.id, kind='call', created_at=local(MON, 16)))
        s.add(AuditEntry(lead_id=breached, action=AuditAction.SLA_BREACHED, created_at=local(MON, 12)))
    digest = daily(desk, li, MON)
    assert (digest.day, digest.last) == (MON, MON)
    assert names(digest, Section.LEADS_RECEIVED) == ['Wang']  # Late was assigned on Sunday, Zhao's is not hers
    first = digest.part(Section.FIRST_CONTACTS).lines
    assert [(ln.name, ln.minutes, ln.link) for ln in first] == [('Wang', 45, f'/leads/{new}')]
    assert digest.median_response_minutes == 45
    assert names(digest, Section.FOLLOW_UPS_DONE) == ['Sun']
    assert names(digest, Section.FOLLOW_UPS_OVERDUE) == ['Sun']  # its next follow-up was due at 09:00
    won = digest.part(Section.DEALS_WON)
    assert [(ln.link, ln.amount_cents) for ln in won.lines] == [(f'/opportunities/{deal}', 1_250_000)]
    assert won.total_cents == 1_250_000
    assert [ln.link for ln in digest.part(Section.SLA_BREACHES).lines] == [f'/leads/{breached}']


def test_a_managers_daily_digest_covers_the_team(desk: Desk) -> None:
    manager, li, zhao = user(desk, Role.MANAGER), user(desk, name='Li'), user(desk, name='Zhao')
    add_lead(desk, li, local(MON, 10), name='Wang')
    add_lead(desk, zhao, local(MON, 11), name='Qian')
    digest = daily(desk, manager, MON)
    assert names(digest, Section.LEADS_RECEIVED) == ['Wang', 'Qian']
    assert [ln.owner for ln in digest.part(Section.LEADS_RECEIVED).lines] == ['Li', 'Zhao']


def test_an_empty_day_says_so_in_both_languages(desk: Desk) -> None:
    li = user(desk)
    digest = daily(desk, li, MON)
    assert digest.is_empty and digest.median_response_minutes is None
    assert '这段时间没有动态' in markdown(digest, 'zh-CN', translate)
    assert 'Nothing happened' in markdown(digest, 'en', translate)


def test_the_digest_before_a_holiday_covers_the_weekend_and_the_holiday(desk: Desk) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk, name='Li')
    desk.set_policy(manager, {'calendar': {'holidays': [NEXT_MON.isoformat()]}})
    add_lead(desk, li, local(FRI, 10), name='Friday')
    add_lead(desk, li, local(SAT, 10), name='Saturday')
    add_lead(desk, li, local(NEXT_MON, 10), name='Holiday')
    add_lead(desk, li, local(NEXT_MON + timedelta(days=1), 10), name='Tuesday')
    digest = daily(desk, li, FRI)
    assert (digest.day, digest.last) == (FRI, NEXT_MON)
    assert names(digest, Section.LEADS_RECEIVED) == ['Friday', 'Saturday', 'Holiday']
    assert names(daily(desk, li, NEXT_MON + timedelta(days=1)), Section.LEADS_RECEIVED) == ['Tuesday']


def test_a_make_up_saturday_has_its_own_digest(desk: Desk) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk, name='Li')
    desk.set_policy(manager, {'calendar': {'extra_workdays': [SAT.isoformat()]}})
    add_lead(desk, li, local(FRI, 10), name='Friday')
    add_lead(desk, li, local(SAT, 10), name='Saturday')
    add_lead(desk, li, local(SAT + timedelta(days=1), 10), name='Sunday')
    friday = daily(desk, li, FRI)
    assert (friday.last, names(friday, Section.LEADS_RECEIVED)) == (FRI, ['Friday'])
    saturday = daily(desk, li, SAT)
    assert (saturday.last, names(saturday, Section.LEADS_RECEIVED)) == (SAT + timedelta(days=1),
                                                                         ['Saturday', 'Sunday'])


def test_a_rep_on_leave_is_marked(desk: Desk) -> None:
    li = user(desk, name='Li')
    with desk.ctx.write() as s:
        row = s.get(User, li.id)
        assert row is not None
        row.is_on_leave = True
    digest = daily(desk, li, MON)
    assert digest.on_leave
    assert '休假中' in markdown(digest, 'zh-CN', translate)
    assert 'On leave' in markdown(digest, 'en', translate)


def test_a_lead_losing_its_protection_tomorrow_is_listed(desk: Desk) -> None:
    li = user(desk, name='Li')
    lead = add_lead(desk, li, local(MON - timedelta(days=8), 10), name='Expiring', status='contacted',
                    protected_until=local(MON + timedelta(days=1), 11))
    add_lead(desk, li, local(MON - timedelta(days=8), 10), name='Safe', status='contacted',
             protected_until=local(MON + timedelta(days=5), 11))
    assert [ln.link for ln in daily(desk, li, MON).part(Section.POOL_TOMORROW).lines] == [f'/leads/{lead}']


def test_the_weekly_digest_puts_exceptions_first_and_compares_weeks(desk: Desk, clock: FakeClock) -> None:
    manager, li = user(desk, Role.MANAGER), user(desk, name='Li')
    with desk.ctx.write() as s:
        row = s.get(User, li.id)
        assert row is not None
        row.capacity = 2  # the three leads below make three open: one over
    add_lead(desk, li, local(MON - timedelta(days=7), 10), name='Last week', response=30)
    add_lead(desk, li, local(MON, 10), name='This week', response=90)
    add_lead(desk, li, local(MON + timedelta(days=1), 10), name='Also this week')
    desk.goals.set_goals(manager, MON, [{'user_id': li.id, 'metric': GoalMetric.CONTACTED, 'target': 10}])
    digest = desk.digests.compose(manager, DigestKind.WEEKLY, MON + timedelta(days=2))
    assert (digest.day, digest.last) == (MON, MON + timedelta(days=6))
    assert digest.parts[0].section == Section.EXCEPTIONS
    kinds = [ln.key for ln in digest.parts[0].lines]
    assert kinds == [ExceptionKind.OVER_CAPACITY, ExceptionKind.SLOWER_RESPONSE]
    received = next(ln for ln in digest.part(Section.COMPARISON).lines if ln.key == Section.LEADS_RECEIVED)
    assert (received.value, received.before) == (2, 1)
    goal = digest.part(Section.GOALS).lines[0]
    assert (goal.name, goal.key, goal.before) == ('Li', GoalMetric.CONTACTED, 10)
    text = markdown(digest, 'zh-CN', translate)
    assert text.index('需要关注') < text.index('本周对比上周')
    assert '超出容量：[Li](/team) 持有 3 条未结线索（容量 2）' in text
    assert '首次响应变慢：[Li](/team) 90 分钟（上周 30 分钟）' in text


def test_the_markdown_links_records_in_the_readers_language(desk: Desk) -> None:
    li = user(desk, name='Li')
    lead = add_lead(desk, li, local(MON, 10), name='Wang', response=5)
    digest = daily(desk, li, MON)
    en = markdown(digest, 'en', translate, base='https://crm.example.com/')
    zh = markdown(digest, 'zh-CN', translate, base='https://crm.example.com')
    assert f'[Wang](https://crm.example.com/leads/{lead})' in en and 'Daily digest 2026-03-02' in en
    assert 'First contacts (1)' in en and '5 min' in en
    assert '日报 2026-03-02' in zh and '首次联系（1）' in zh and '5 分钟' in zh


def test_a_stored_digest_reads_back_the_same(desk: Desk) -> None:
    li = user(desk, name='Li')
    add_lead(desk, li, local(MON, 10), name='Wang', response=5)
    digest = daily(desk, li, MON)
    assert Digest.from_json(digest.to_json()) == digest
