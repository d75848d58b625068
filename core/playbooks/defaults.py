"""The playbooks a new database starts with, from common B2B practice: prepare and open for
an assigned lead, BANT discovery (need, budget, authority, timeline) once contacted, the next step
agreed once qualified; for the default stages, needs, solution, quotation and negotiation steps.
Managers change them on /playbooks; they are seeded once (an `AppSetting` remembers it), so a
manager who deletes them all does not get them back on the next start."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store import playbooks as store
from store import queries
from store.models import AppSetting, LeadStatus, PlaybookItem, TalkTrack

SEEDED = 'playbooks_seeded'

Item = tuple[str, str, int | None]
"""English text, Chinese text, deadline in working hours (None: none)."""
Track = tuple[str, str, str, str]
"""kind (opening | question), grade ('' = every grade), English text, Chinese text."""

LEAD_ITEMS: dict[str, tuple[Item, ...]] = {
    LeadStatus.ASSIGNED: (
        ('Read the inquiry and where it came from', '阅读询盘内容及线索来源', 1),
        ('Look up the company (website, industry, size)', '查询客户公司（官网、行业、规模）', 2),
        ('Prepare an opening that fits the inquiry', '准备与询盘相关的开场白', 2),
    ),
    LeadStatus.CONTACTED: (
        ('Need: confirm the problem to solve and why now', '需求（Need）：确认要解决的问题及紧迫原因', 8),
        ('Budget: confirm a budget exists and its range', '预算（Budget）：确认是否有预算及大致范围', 16),
        ('Authority: identify the decision maker and who signs', '决策人（Authority）：确认决策人及签约人', 16),
        ('Timeline: confirm when they want to buy and go live', '时间（Timeline）：确认采购及上线时间', 16),
    ),
    LeadStatus.QUALIFIED: (
        ('Summarise the requirement in writing and send it', '书面总结需求并发送给客户', 8),
        ('Agree the next step (demo or visit) with a date', '约定下一步（演示或拜访）及具体日期', 16),
        ('Confirm the buying process and approval steps', '确认采购流程与审批环节', 24),
    ),
}

STAGE_ITEMS: dict[str, tuple[Item, ...]] = {
    'Needs confirmed': (
        ('Map the stakeholders: user, buyer, decision maker', '梳理干系人：使用者、采购方、决策人', 16),
        ('Write down pain points and success criteria', '记录痛点与成功标准', 16),
    ),
    'Solution': (
        ('Give a demo or presentation fitted to the needs', '完成针对需求的产品演示或方案讲解', 24),
        ('Send a written proposal', '发送书面方案', 24),
        ('Get the decision maker\'s feedback on the proposal', '获得决策人对方案的反馈', 40),
    ),
    'Quotation': (
        ('Send the formal quotation', '发送正式报价单', 16),
        ('Confirm the customer received and reviewed it', '确认客户已收到并审阅报价', 24),
        ('Find out which competitors are in play', '了解参与竞争的对手', None),
    ),
    'Negotiation': (
        ('Agree price, payment and delivery terms', '谈妥价格、付款及交付条款', 40),
        ('Send the contract for review', '发送合同供客户审阅', 24),
        ('Confirm the signing date and the signer', '确认签约日期及签约人', 40),
    ),
}

LEAD_TRACKS: dict[str, tuple[Track, ...]] = {
    LeadStatus.ASSIGNED: (
        ('opening', '', 'Hello, this is [name] from [company]. You asked us about [topic] recently — do you have two '
                        'minutes now?', '您好，我是[公司]的[姓名]。您最近咨询了[产品/需求]，现在方便聊两分钟吗？'),
        ('opening', 'A', 'Thank you for reaching out. I would like to set up a short call with our solution expert '
                         'this week — which day suits you?',
         '感谢您的咨询！我想本周为您安排一次与我们方案专家的简短沟通，您哪天方便？'),
        ('question', '', 'What made you look into this now?', '是什么让您现在开始关注这个问题？'),
    ),
    LeadStatus.CONTACTED: (
        ('question', '', 'Need: what problem should this solve, and what does it cost you today?',
         '需求：您希望解决什么问题？这个问题目前给您带来了哪些影响？'),
        ('question', '', 'Budget: has a budget been set aside for this, and roughly in what range?',
         '预算：这个项目是否已有预算？大概在什么范围？'),
        ('question', '', 'Authority: besides you, who is involved in the decision, and who signs off?',
         '决策：除了您，还有谁参与决策？最终由谁拍板？'),
        ('question', '', 'Timeline: by when do you need this in place, and why then?',
         '时间：您希望什么时候落地？为什么是这个时间点？'),
    ),
    LeadStatus.QUALIFIED: (
        ('opening', '', 'To make sure our proposal fits, could we meet with [decision maker] next week?',
         '为了让方案更贴合您的需求，下周能否约[决策人]一起沟通？'),
        ('question', '', 'What does your approval process look like once you decide?',
         '确定后，贵司的审批流程是怎样的？'),
    ),
}

STAGE_TRACKS: dict[str, tuple[Track, ...]] = {
    'Needs confirmed': (
        ('question', '', 'How will you measure whether this project succeeded?',
         '您会用什么标准衡量这个项目是否成功？'),
    ),
    'Solution': (
        ('question', '', 'Which of these results matters most to you, and why?',
         '这些效果中，哪一项对您最重要？为什么？'),
        ('question', '', 'Is there anything in the proposal that would not work for your team?',
         '方案中有没有不适合贵司团队的地方？'),
    ),
    'Quotation': (
        ('question', '', 'Does this quotation fit the budget you planned? What would have to change to move ahead?',
         '这份报价符合您的预算吗？需要做哪些调整才能推进？'),
    ),
    'Negotiation': (
        ('question', '', 'If we agree on these terms, is anything else standing between us and signing?',
         '如果这些条款达成一致，签约前还有其他障碍吗？'),
        ('opening', 'A', 'We can reserve an implementation slot for you this month if we sign by [date].',
         '如果[日期]前签约，我们可以为您预留本月的实施排期。'),
    ),
}


def seed(session: Session, now: datetime) -> None:
    """The default playbooks, once, on a database that has none (stages matched by their default
    English names, so stages an admin renamed before the first start get none)."""
    if queries.setting(session, SEEDED) is not None:
        return
    if not store.any_playbook(session):
        session.flush()  # the default stages added just before need their ids
        steps: list[tuple[str | None, int | None, tuple[Item, ...], tuple[Track, ...]]] = [
            (status, None, items, LEAD_TRACKS.get(status, ())) for status, items in LEAD_ITEMS.items()]
        for stage in queries.stages(session):
            if stage.name_en in STAGE_ITEMS:
                steps.append((None, stage.id, STAGE_ITEMS[stage.name_en], STAGE_TRACKS.get(stage.name_en, ())))
        for status, stage_id, items, tracks in steps:
            for i, (en, zh, hours) in enumerate(items):
                session.add(PlaybookItem(lead_status=status, stage_id=stage_id, position=i, text_en=en, text_zh=zh,
                                         deadline_hours=hours, created_at=now, updated_at=now))
            for i, (kind, grade, en, zh) in enumerate(tracks):
                session.add(TalkTrack(lead_status=status, stage_id=stage_id, position=i, kind=kind, grade=grade,
                                      text_en=en, text_zh=zh, created_at=now, updated_at=now))
    session.add(AppSetting(key=SEEDED, value='1'))
