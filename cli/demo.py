"""Demo data: a realistic team, 60 days of leads with follow-ups, and a live lead stream.

Everything goes through the desk's services (team, capture path, activities), so demo
leads are deduped, scored, assigned and audited exactly like real ones.
"""

from __future__ import annotations

import heapq
import random
import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.accounts.reach import with_reach
from core.automation.policy import load_policy
from core.capture.intake import CaptureResult
from core.clock import Clock
from core.leads.normalize import normalize_email
from core.ops.demo_accounts import DEMO_ADMIN_EMAIL, DEMO_DEPARTMENTS, DEMO_PASSWORD, DEMO_USERS
from store import queries
from store.models import Access, ActivityKind, GoalMetric, RecordKind, Role, Source, UserRef

if TYPE_CHECKING:
    from core.desk import Desk

DEMO_CHANNEL = 'demo'
SEED_DAYS = 60


# ----- random leads -----------------------------------------------------------------------------

SURNAMES = (('王', 'wang'), ('李', 'li'), ('张', 'zhang'), ('刘', 'liu'), ('陈', 'chen'), ('杨', 'yang'),
            ('黄', 'huang'), ('赵', 'zhao'), ('吴', 'wu'), ('周', 'zhou'), ('徐', 'xu'), ('孙', 'sun'),
            ('马', 'ma'), ('朱', 'zhu'), ('胡', 'hu'), ('郭', 'guo'), ('何', 'he'), ('高', 'gao'),
            ('林', 'lin'), ('罗', 'luo'), ('郑', 'zheng'), ('梁', 'liang'), ('谢', 'xie'), ('宋', 'song'),
            ('唐', 'tang'), ('韩', 'han'), ('冯', 'feng'), ('邓', 'deng'), ('曹', 'cao'), ('彭', 'peng'))
GIVEN_NAMES = (('伟', 'wei'), ('芳', 'fang'), ('娜', 'na'), ('敏', 'min'), ('静', 'jing'), ('磊', 'lei'),
               ('强', 'qiang'), ('洋', 'yang'), ('艳', 'yan'), ('勇', 'yong'), ('军', 'jun'), ('杰', 'jie'),
               ('涛', 'tao'), ('明', 'ming'), ('超', 'chao'), ('秀英', 'xiuying'), ('丹', 'dan'),
               ('浩然', 'haoran'), ('子涵', 'zihan'), ('欣怡', 'xinyi'), ('宇轩', 'yuxuan'),
               ('志强', 'zhiqiang'), ('建国', 'jianguo'), ('晓东', 'xiaodong'), ('海燕', 'haiyan'),
               ('文博', 'wenbo'), ('佳怡', 'jiayi'), ('俊杰', 'junjie'), ('雪梅', 'xuemei'), ('鹏', 'peng'))
ENGLISH_FIRST = ('James', 'Emma', 'Michael', 'Olivia', 'David', 'Sophia', 'Daniel', 'Grace', 'Ryan',
                 'Chloe', 'Jason', 'Linda', 'Tom', 'Anna', 'Peter', 'Sarah')
ENGLISH_LAST = ('Smith', 'Johnson', 'Brown', 'Miller', 'Wilson', 'Taylor', 'Anderson', 'Walker',
                'Lee', 'Wong', 'Clark', 'Hall', 'Young', 'King')

CITIES: dict[str, tuple[str, ...]] = {
    '上海': ('上海',), '江苏': ('南京', '苏州', '无锡'), '浙江': ('杭州', '宁波', '温州'),
    '广东': ('广州', '深圳', '东莞', '佛山'), '福建': ('厦门', '福州'),
    '北京': ('北京',), '天津': ('天津',), '河北': ('石家庄',), '山东': ('济南', '青岛'),
    '四川': ('成都', '绵阳'), '重庆': ('重庆',), '云南': ('昆明',),
    '湖北': ('武汉',), '湖南': ('长沙',), '陕西': ('西安',), '河南': ('郑州',), '辽宁': ('沈阳', '大连'),
}
"""Province (the lead's `region`) → cities. The last five are covered by no rep's area."""
REGION_WEIGHTS: dict[str, float] = {
    '上海': 12, '江苏': 10, '浙江': 11, '广东': 14, '福建': 5, '北京': 9, '天津': 2, '河北': 2,
    '山东': 5, '四川': 7, '重庆': 4, '云南': 2, '湖北': 4, '湖南': 3, '陕西': 3, '河南': 3, '辽宁': 2,
}

BRANDS = (('云帆', 'yunfan'), ('华信', 'huaxin'), ('天宇', 'tianyu'), ('博创', 'bochuang'),
          ('鼎盛', 'dingsheng'), ('恒通', 'hengtong'), ('瑞丰', 'ruifeng'), ('新锐', 'xinrui'),
          ('中科', 'zhongke'), ('启明', 'qiming'), ('金桥', 'jinqiao'), ('远航', 'yuanhang'),
          ('盛达', 'shengda'), ('卓越', 'zhuoyue'), ('蓝海', 'lanhai'), ('聚力', 'juli'),
          ('智联', 'zhilian'), ('九州', 'jiuzhou'), ('明德', 'mingde'), ('宏图', 'hongtu'))
INDUSTRIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # industry: (Chinese company words, English company words)
    '制造业': (('精密制造', '机械', '新材料', '电子'), ('Manufacturing', 'Machinery', 'Electronics')),
    '互联网': (('网络科技', '信息技术', '科技'), ('Technology', 'Software', 'Digital')),
    '零售': (('商贸', '贸易', '百货'), ('Trading', 'Retail')),
    '教育': (('教育科技', '培训'), ('Education',)),
    '医疗': (('医疗器械', '生物科技', '医药'), ('Medical Devices', 'Healthcare')),
    '金融': (('投资管理', '融资租赁'), ('Capital', 'Financial Services')),
    '物流': (('物流', '供应链管理'), ('Logistics', 'Supply Chain')),
    '餐饮': (('餐饮管理',), ('Food & Beverage',)),
}
ENGLISH_BRANDS = ('Acme', 'Bluewave', 'Northstar', 'Evergreen', 'Pioneer', 'Summit', 'Brightpath',
                  'Silverline', 'Oakridge', 'Redwood', 'Harbor', 'Keystone')
ENGLISH_SUFFIXES = ('Co., Ltd.', 'Ltd.', 'Inc.', 'Group', 'Limited')

DECISION_TITLES = ('总经理', '副总经理', '董事长', '老板', '创始人', 'CEO', 'CTO', '技术总监', '财务总监')
OTHER_TITLES = ('采购经理', '采购专员', '市场经理', '运营总监', 'IT经理', '行政主管', '销售经理', '项目经理',
                '产品经理', '总经理助理')
ENGLISH_DECISION_TITLES = ('General Manager', 'CEO', 'Managing Director', 'Founder')
ENGLISH_OTHER_TITLES = ('Purchasing Manager', 'Head of IT', 'Operations Director', 'Procurement Specialist')

SOURCE_WEIGHTS: dict[str, float] = {
    Source.WEBSITE: 28, Source.ADS: 18, Source.PHONE: 12, Source.SOCIAL: 12, Source.TRADE_SHOW: 11,
    Source.REFERRAL: 10, Source.THIRD_PARTY: 9,
}
"""Where demo leads come from (never demo/manual/api/import: those are channels, not sources)."""
CAMPAIGNS: dict[str, tuple[str, ...]] = {
    Source.ADS: ('百度搜索-品牌词', '百度搜索-行业词', '巨量引擎-信息流', '微信朋友圈广告'),
    Source.TRADE_SHOW: ('2025中国国际工业博览会', '深圳高交会', '广交会'),
    Source.SOCIAL: ('微信公众号', '小红书', '抖音', 'LinkedIn'),
    Source.THIRD_PARTY: ('企查查', '天眼查', '阿里巴巴1688'),
    Source.WEBSITE: ('官网-免费试用', '官网-联系我们', '官网-白皮书下载'),
}

BUDGETS = ('5万以内', '8万左右', '10万', '20万', '30-50万', '50万以上', '100万', '约15万/年', 'USD 20k')
AUTHORITY_DECIDER = ('是/决策人', '本人拍板', '决策人')
AUTHORITY_OTHER = ('参与决策', '需报总经理审批', '采购负责人，老板最终决定', '影响者')
NEEDS = ('需要CRM系统管理销售线索', '采购一批工业传感器', '寻找长期稳定的供应商', '希望了解产品报价',
         '需要定制化解决方案', '替换现有的老系统', '门店数字化改造', '扩产需要新设备', '增加线上获客渠道',
         '员工培训平台', '仓储管理系统升级', 'Looking for a supplier for our new plant')
TIMELINES = ('一周内', '两周内', '一个月内', '本季度', '三个月内', '半年内', '年底前', '明年', 'Q3')
MESSAGES = ('请尽快联系我', '想了解一下价格', '在展会上看到你们的产品，想进一步沟通', '需要产品资料和报价单',
            '工作日下午方便接电话', '朋友推荐过来的，想约个时间详细聊聊', '能否安排一次线上演示？',
            'Please send me a quotation.', '请发一份案例介绍到邮箱', '我们在对比几家供应商')
REPEAT_MESSAGES = ('再次咨询，请尽快回复', '之前留过电话，还没人联系', '想再确认一下报价',
                   '又看到了你们的广告')
EMAIL_DOMAINS = ('163.com', '126.com', 'qq.com', 'gmail.com', 'outlook.com', 'sina.com')
PHONE_PREFIXES = ('130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152',
                  '155', '156', '157', '158', '159', '177', '180', '181', '182', '185', '186', '187',
                  '188', '189', '199')
AREA_CODES = {'上海': '021', '北京': '010', '广东': '020', '四川': '028', '浙江': '0571', '江苏': '025'}

DUPLICATE_RATE = 0.05
_HISTORY_MAX = 500
_history: weakref.WeakKeyDictionary[random.Random, list[dict[str, str]]] = weakref.WeakKeyDictionary()
"""Earlier leads of one rng sequence, so `random_lead` can send the same person again."""


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return str(rng.choices(list(weights), weights=list(weights.values()))[0])


def _mobile(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + ''.join(rng.choice('0123456789') for _ in range(8))


def format_phone(rng: random.Random, digits: str) -> str:
    """An 11-digit CN mobile written the way people type it."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return rng.choices(
        (digits, f'{a} {b} {c}', f'{a}-{b}-{c}', f'+86 {a} {b} {c}', f'+86{digits}', f'(+86) {a}-{b}-{c}'),
        weights=(50, 15, 12, 12, 7, 4))[0]


def _person(rng: random.Random) -> tuple[str, str, bool]:
    """(display name, ascii handle for emails, is_english)."""
    roll = rng.random()
    if roll < 0.15:
        first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
        return f'{first} {last}', f'{first}.{last}'.lower(), True
    (sur, sur_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    if roll < 0.22:  # only the surname was caught on the phone
        return sur + rng.choice(('先生', '女士', '总')), sur_py + str(rng.randint(10, 99)), False
    if roll < 0.27:  # an English name with a Chinese surname
        first = rng.choice(ENGLISH_FIRST)
        return f'{first} {sur_py.title()}', f'{first.lower()}.{sur_py}', True
    return sur + given, sur_py + given_py, False


def _company(rng: random.Random, industry: str, city: str, english: bool) -> tuple[str, str]:
    """(company name, email domain)."""
    zh_words, en_words = INDUSTRIES[industry]
    if english or rng.random() < 0.08:
        brand, word = rng.choice(ENGLISH_BRANDS), rng.choice(en_words)
        domain = f'{brand.lower()}-{word.split()[0].lower().strip("&")}.com'
        return f'{brand} {word} {rng.choice(ENGLISH_SUFFIXES)}', domain
    brand, brand_py = rng.choice(BRANDS)
    prefix = city if rng.random() < 0.75 else ''
    suffix = rng.choices(('有限公司', '股份有限公司', '集团有限公司', ''), weights=(70, 10, 5, 15))[0]
    domain = f'{brand_py}{rng.choice(("", "tech", "group"))}.com'
    return f'{prefix}{brand}{rng.choice(zh_words)}{suffix}', domain


def _duplicate(rng: random.Random, earlier: dict[str, str]) -> dict[str, Any]:
    """The same person arriving again through another channel: same phone, written differently."""
    source = _pick(rng, SOURCE_WEIGHTS)
    data: dict[str, Any] = {'name': earlier['name'], 'phone': format_phone(rng, earlier['digits']),
                            'source': source, 'message': rng.choice(REPEAT_MESSAGES)}
    if rng.random() < 0.4:
        data['budget'] = rng.choice(BUDGETS)
    if rng.random() < 0.4:
        data['timeline'] = rng.choice(TIMELINES)
    if source in CAMPAIGNS:
        data['campaign'] = rng.choice(CAMPAIGNS[source])
    return data


def random_lead(rng: random.Random) -> dict[str, Any]:
    """A realistic raw lead for `desk.leads.capture_lead`; about 5% repeat an earlier phone of
    the same `rng` sequence, so dedupe shows."""
    history = _history.setdefault(rng, [])
    if history and rng.random() < DUPLICATE_RATE:
        return _duplicate(rng, rng.choice(history))

    name, handle, english = _person(rng)
    source = _pick(rng, SOURCE_WEIGHTS)
    region = _pick(rng, REGION_WEIGHTS)
    city = rng.choice(CITIES[region])
    industry = rng.choice(list(INDUSTRIES))
    company, domain = _company(rng, industry, city, english and rng.random() < 0.6)
    intent = rng.choices((0.85, 0.5, 0.15), weights=(14, 36, 50))[0]  # hot, warm, cold prospects
    if source in (Source.REFERRAL, Source.TRADE_SHOW):
        intent = min(0.95, intent + 0.15)

    data: dict[str, Any] = {'name': name, 'source': source, 'industry': industry}
    digits = ''
    if rng.random() < 0.95:
        if rng.random() < 0.03 and region in AREA_CODES:  # a company switchboard
            data['phone'] = f'{AREA_CODES[region]}-{rng.randint(5000, 8999)} {rng.randint(1000, 9999)}'
        else:
            digits = _mobile(rng)
            data['phone'] = format_phone(rng, digits)
    if 'phone' not in data or rng.random() < 0.5:
        at = domain if rng.random() < 0.45 else rng.choice(EMAIL_DOMAINS)
        user = str(rng.randint(10_000_000, 2_999_999_999)) if at == 'qq.com' else \
            f'{handle}{rng.choice(("", str(rng.randint(1, 999))))}'
        data['email'] = f'{user}@{at}'
    if rng.random() < 0.88:
        data['company'] = company
    if rng.random() < 0.9:
        data['region'] = region
    if rng.random() < 0.85:
        data['city'] = city
    decider = rng.random() < 0.35
    if rng.random() < 0.7:
        if english and rng.random() < 0.5:
            titles: tuple[str, ...] = ENGLISH_DECISION_TITLES if decider else ENGLISH_OTHER_TITLES
        else:
            titles = DECISION_TITLES if decider else OTHER_TITLES
        data['title'] = rng.choice(titles)
    if rng.random() < 0.2:
        data['wechat'] = f'wx_{handle.replace(".", "_")}' if rng.random() < 0.6 else \
            digits or f'{handle}_{rng.randint(1, 99)}'
    if source in CAMPAIGNS and rng.random() < 0.7:
        data['campaign'] = rng.choice(CAMPAIGNS[source])
    if rng.random() < intent:
        data['budget'] = rng.choice(BUDGETS)
    if rng.random() < intent:
        data['authority'] = rng.choice(AUTHORITY_DECIDER if decider else AUTHORITY_OTHER)
    if rng.random() < intent:
        data['need'] = rng.choice(NEEDS)
    if rng.random() < intent * 0.9:
        data['timeline'] = rng.choice(TIMELINES)
    if rng.random() < 0.4:
        data['message'] = rng.choice(MESSAGES)

    if digits:
        history.append({'name': name, 'digits': digits})
        del history[:-_HISTORY_MAX]
    return data


# ----- seeding ----------------------------------------------------------------------------------

class _PinnedClock(Clock):
    """Replayed time: the seed moves it forward while it writes the past."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


ACTIVITY_PLANS: dict[str, tuple[str, ...]] = {
    ActivityKind.CALL: ('已接通，有兴趣', '未接通', '已接通，约了下次沟通', '客户在开会，稍后回电',
                        '电话沟通需求'),
    ActivityKind.WECHAT: ('已加微信，发送了资料', '微信沟通报价', '客户微信回复：再考虑一下'),
    ActivityKind.EMAIL: ('发送了产品介绍', '发送了报价单', 'Sent a quotation'),
    ActivityKind.MEETING: ('线上演示完成', '约了面谈'),
    ActivityKind.VISIT: ('上门拜访，见到了决策人', '参观了客户工厂'),
    ActivityKind.NOTE: ('客户对价格比较敏感', '竞品也在接触', '需要等下季度预算'),
}
TRADE_SHOW_SHARE = 0.12
TRADE_SHOW_CAMPAIGN = '2026 华东国际工业博览会'
DISQUALIFY_REASONS = ('空号/号码无效', '暂无预算', '已选择竞争对手', '需求不匹配', '同行调研，非真实需求',
                      '联系多次无人接听', 'Not a decision maker, no follow-up possible')


def _has_demo_admin(desk: Desk) -> bool:
    with desk.ctx.read() as session:
        return queries.user_by_email(session, normalize_email(DEMO_ADMIN_EMAIL) or '') is not None


def _capture_times(rng: random.Random, now: datetime, count: int,
                   tz: ZoneInfo) -> list[tuple[datetime, bool]]:
    """`count` (moment, at_trade_show) in the last `SEED_DAYS` days, busier on weekdays, in office
    hours and lately, with one trade-show day about three weeks ago (a burst of leads)."""
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=d) for d in range(SEED_DAYS)]
    weights = [(1.0 if day.weekday() < 5 else 0.35) * (0.7 + 0.6 * (1 - d / SEED_DAYS))
               for d, day in enumerate(days)]
    show_day = next(day for day in days[20:] if day.weekday() == 2)
    earliest = now - timedelta(days=SEED_DAYS)
    burst = round(count * TRADE_SHOW_SHARE)
    times: list[tuple[datetime, bool]] = []
    while len(times) < count:
        at_show = len(times) < burst
        day = show_day if at_show else rng.choices(days, weights=weights)[0]
        hour = rng.uniform(9.5, 17) if at_show else rng.gauss(14, 3.5) if rng.random() < 0.85 else \
            rng.uniform(0, 24)
        moment = (day + timedelta(hours=min(max(hour, 0.0), 23.99))).astimezone(UTC)
        if earliest < moment < now - timedelta(minutes=5):
            times.append((moment, at_show))
    return sorted(times)


def _office_hours(moment: datetime, tz: ZoneInfo, rng: random.Random) -> datetime:
    """Move a rep's action to the next working moment (Mon–Fri, 9–19 local)."""
    local = moment.astimezone(tz)
    if local.hour >= 19:
        local = (local + timedelta(days=1)).replace(hour=9, minute=rng.randint(0, 59))
    elif local.hour < 9:
        local = local.replace(hour=9, minute=rng.randint(0, 59))
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(hour=9, minute=rng.randint(0, 59))
    return local.astimezone(UTC)


@dataclass(order=True)
class _Step:
    """One planned rep action; ordered by time, then by when it was planned."""

    at: datetime
    seq: int
    lead_id: int = field(default=0, compare=False)
    owner: UserRef | None = field(default=None, compare=False)
    number: int = field(default=0, compare=False)
    """0 is the first contact, then follow-ups."""
    disqualify: bool = field(default=False, compare=False)


def seed(desk: Desk, *, now: datetime, leads: int = 300, rng: random.Random | None = None) -> dict[str, Any]:
    """Create the demo team and replay `leads` leads over the last 60 days, with follow-ups.

    Skips (returns ``{'skipped': True}``) when the demo admin exists, or when the database
    already has other users (demo data never mixes with a real team). While it runs, the
    desk's clock is replaced by a replayed one, so call it before the UI and timer start."""
    rng = rng or random.Random()
    if _has_demo_admin(desk):
        return {'skipped': True}
    if not desk.team.needs_setup():
        return {'skipped': True, 'reason': 'existing_users'}
    tz = ZoneInfo(desk.ctx.settings.timezone)
    times = _capture_times(rng, now, leads, tz)
    clock = _PinnedClock((times[0][0] if times else now) - timedelta(days=1))
    real_clock, desk.ctx.clock = desk.ctx.clock, clock
    try:
        reps = _create_team(desk)
        summary: dict[str, Any] = dict(_replay(desk, clock, times, reps, now=now, rng=rng, tz=tz))
        summary['deals'] = _seed_deals(desk, clock, reps, now=now, rng=rng)
        # what the timer would have done over the replayed days (deadlines missed, protection ended)
        # happens here, so it is history too, and the app's first tick does not bring it as news
        clock.at = now
        summary['caught_up'] = {str(step): n for step, n in desk.automation.tick(now).summary().items()}
        summary['collaborators'] = _seed_collaborator(desk, reps)
        summary['goals'] = _seed_goals(desk, reps, rng=rng)
        summary['digests'] = _seed_digests(desk, now=now, tz=tz)
        with desk.ctx.write() as session:  # the replayed past is history: nobody starts with ~140 unread
            queries.mark_all_notifications_read(session, before=now + timedelta(seconds=1))
    finally:
        desk.ctx.clock = real_clock
    return {'users': len(DEMO_USERS), **summary}


def _seed_collaborator(desk: Desk, reps: dict[int, UserRef]) -> int:
    """Kevin helps on one of Lina's open leads (read access): it shows in his inbox, and its page says
    "shared with you"."""
    by_email = {r.email: r for r in reps.values()}
    lina, kevin = by_email.get('lina@demo.leaddesk'), by_email.get('kevin@demo.leaddesk')
    if lina is None or kevin is None:
        return 0
    rows, _ = desk.leads.inbox(lina, page_size=1)
    if not rows:
        return 0
    desk.collaborators.add(lina, RecordKind.LEAD, rows[0].id, user_id=kevin.id, access=Access.READ)
    return 1


def _create_team(desk: Desk) -> dict[int, UserRef]:
    admin_user = DEMO_USERS[0]
    admin = desk.team.create_first_admin(email=admin_user.email, name=admin_user.name, password=DEMO_PASSWORD)
    reps: dict[int, UserRef] = {}
    for user in DEMO_USERS[1:]:
        ref = desk.team.create_user(admin, email=user.email, name=user.name, password=DEMO_PASSWORD,
                                    role=user.role, **user.fields())
        if user.role == Role.REP:
            reps[ref.id] = ref
    _seed_departments(desk, admin)
    return reps


def _seed_departments(desk: Desk, admin: UserRef) -> None:
    """DEMO_DEPARTMENTS under the root, a head each, and the managers' scope: their department and below."""
    ids = {u.email: u.id or 0 for u in desk.team.users(admin)}
    for name, emails in DEMO_DEPARTMENTS.items():
        department = desk.departments.add(admin, name)
        for email in emails:
            desk.departments.place_user(admin, ids[email], department)
        desk.departments.set_head(admin, department, ids[emails[0]])
        if name in DEMO_POOLS:  # before the replay: the north's recycled leads drop into its own pool
            desk.pools.save(admin, None, {**DEMO_POOLS[name], 'department_ids': [department]})
    desk.departments.set_scopes(admin, {Role.MANAGER: 'department_tree'})


DEMO_POOLS: dict[str, dict[str, Any]] = {'北区销售部': {'name': '北区公海', 'claim_limit': 3, 'hold_limit': 30}}
"""A second pool beside the default (10 claims a day): the north department's, stricter (3 a day)."""


def _seed_goals(desk: Desk, reps: dict[int, UserRef], *, rng: random.Random) -> int:
    """Monthly goals for this month and the two before (a quarter to roll up): per rep and for the
    team, near what the replayed team does, so the team page's pacing shows some reps ahead and some behind."""
    with desk.ctx.read() as session:
        found = queries.user_by_email(session, DEMO_ADMIN_EMAIL)
        assert found is not None  # (created above)
        admin = with_reach(session, found)
    month = desk.goals.this_month()
    months = [month]
    for _ in range(2):
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    set_count = 0
    for first in months:
        values: list[dict[str, Any]] = []
        for rep_id in reps:
            contacted, opportunities = rng.randint(12, 22), rng.randint(2, 5)
            won = rng.randint(30, 90) * 1_000_000  # ¥300,000 – ¥900,000
            values += [{'user_id': rep_id, 'metric': GoalMetric.CONTACTED, 'target': contacted},
                       {'user_id': rep_id, 'metric': GoalMetric.OPPORTUNITIES, 'target': opportunities},
                       {'user_id': rep_id, 'metric': GoalMetric.WON_CENTS, 'target': won, 'stretch': won * 3 // 2}]
        for metric in GoalMetric:
            total = sum(int(v['target']) for v in values if v['metric'] == metric)
            values.append({'user_id': None, 'metric': metric, 'target': total})
        set_count += desk.goals.set_goals(admin, first, values)
    return set_count


def _seed_digests(desk: Desk, *, now: datetime, tz: ZoneInfo, days: int = 5) -> int:
    """Digests on for the team, and their history: what the timer would have sent at 08:30 on each of
    the last `days` working days (each user's daily, the managers' weekly), sent through the timer's
    own schedule at those instants."""
    with desk.ctx.read() as session:
        found = queries.user_by_email(session, DEMO_ADMIN_EMAIL)
        assert found is not None  # (created above)
        admin = with_reach(session, found)
        calendar = load_policy(session).calendar
    desk.digests.set_team_settings(admin, {'kinds': ['daily', 'weekly'], 'channels': ['app']})
    send_days: list[date] = []
    day = now.astimezone(tz).date()
    while len(send_days) < days:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            send_days.insert(0, day)
    schedule, sent = desk.automation.digests, 0
    for send_day in send_days:
        at = datetime.combine(send_day, time(8, 30), tzinfo=tz)
        sent += sum(schedule.send(item, at) for item in schedule.due(at))
    return sent


CLOSE_OUT = 0.6
"""Share of leads whose follow-ups have ended that their rep disqualifies: without it the first tick
after seeding sends every open lead captured over 30 days ago (the protection limit) to the pool."""


def _replay(desk: Desk, clock: _PinnedClock, times: list[tuple[datetime, bool]], reps: dict[int, UserRef], *,
            now: datetime, rng: random.Random, tz: ZoneInfo) -> dict[str, int]:
    created = duplicates = pooled = activities = disqualified = 0
    closed: set[int] = set()
    steps: list[_Step] = []
    seq = 0

    def plan(step: _Step) -> None:
        nonlocal seq
        step.at = _office_hours(step.at, tz, rng)
        if step.at < now:
            seq += 1
            step.seq = seq
            heapq.heappush(steps, step)

    for capture_at, at_show in [*times, (None, False)]:
        while steps and (capture_at is None or steps[0].at <= capture_at):
            step = heapq.heappop(steps)
            if step.lead_id in closed or step.owner is None:
                continue
            clock.at = step.at
            if step.disqualify:
                desk.leads.disqualify_lead(step.owner, step.lead_id, reason=rng.choice(DISQUALIFY_REASONS))
                closed.add(step.lead_id)
                disqualified += 1
                continue
            kind = rng.choices((ActivityKind.CALL, ActivityKind.WECHAT, ActivityKind.EMAIL),
                               weights=(55, 30, 15))[0] if step.number == 0 else \
                rng.choices(list(ACTIVITY_PLANS), weights=(35, 25, 10, 12, 6, 12))[0]
            follow_up = step.at + timedelta(days=rng.randint(1, 7))
            again = step.number < 4 and rng.random() < (0.75 if step.number == 0 else 0.45)
            ticks = _chosen(rng, desk.playbooks.for_lead(step.owner, step.lead_id).items,
                            0.7 if step.number == 0 else 0.35)
            desk.leads.log_activity(step.owner, step.lead_id, kind=kind,
                                    outcome=rng.choice(ACTIVITY_PLANS[kind]),
                                    next_follow_up_at=follow_up if again or rng.random() < 0.4 else None,
                                    ticks=ticks)
            activities += 1
            if rng.random() < (0.15 if step.number == 0 else 0.08):
                plan(_Step(step.at + timedelta(hours=rng.uniform(1, 96)), 0, step.lead_id, step.owner,
                           disqualify=True))
            elif again:  # usually on the planned day, sometimes late
                late = timedelta(hours=rng.uniform(0, 6) if rng.random() < 0.7 else rng.uniform(24, 96))
                plan(_Step(follow_up + late, 0, step.lead_id, step.owner, step.number + 1))
            elif rng.random() < CLOSE_OUT:  # the chase ends: most reps close the lead out rather than let
                plan(_Step(step.at + timedelta(days=rng.uniform(1, 10)), 0, step.lead_id, step.owner,  # it lapse
                           disqualify=True))
        if capture_at is None:
            break
        clock.at = capture_at
        data = random_lead(rng)
        if at_show:
            data.update(source=Source.TRADE_SHOW.value, campaign=TRADE_SHOW_CAMPAIGN)
        result = desk.leads.capture_lead(data, channel=DEMO_CHANNEL, default_source=Source.WEBSITE,
                                         now=capture_at)
        if not result.created:
            duplicates += 1
            continue
        created += 1
        owner = reps.get(result.owner_id or 0)
        if owner is None:
            pooled += 1
            continue
        if rng.random() < 0.88:  # most leads get a first contact, the better ones sooner
            hours = {'A': (0.2, 12), 'B': (0.5, 48)}.get(result.grade, (1, 120))
            delay = rng.uniform(*hours) if rng.random() < 0.85 else rng.uniform(48, 240)
            plan(_Step(capture_at + timedelta(hours=delay), 0, result.lead_id, owner))
        elif rng.random() < 0.35:
            plan(_Step(capture_at + timedelta(hours=rng.uniform(2, 72)), 0, result.lead_id, owner,
                       disqualify=True))
    return {'leads_created': created, 'duplicates': duplicates, 'pooled': pooled, 'activities': activities,
            'disqualified': disqualified}


DEAL_NEEDS = ('CRM 系统', '销售管理软件', 'Marketing automation', '客服工单系统', 'Data platform', '渠道管理')


def _seed_deals(desk: Desk, clock: _PinnedClock, reps: dict[int, UserRef], *, now: datetime,
                rng: random.Random, count: int = 45) -> int:
    """Qualify and convert some contacted leads over the last month and move them along the
    pipeline (a few won, a few lost), so the board and customers have something to show."""
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    boss, _ = desk.team.login(manager.email, DEMO_PASSWORD)
    rows, _total = desk.leads.inbox(boss, status='contacted', page_size=200)
    stages = desk.pipeline.stages()
    open_stages = [s for s in stages if s.kind == 'open']
    won = next(s for s in stages if s.kind == 'won')
    lost = next(s for s in stages if s.kind == 'lost')
    reasons = [key for key, _en, _zh in desk.pipeline.lost_reasons()]
    made = 0
    for row in rng.sample(rows, min(count, len(rows))):
        owner = reps.get(row.owner_id or 0)
        if owner is None:
            continue
        lead = desk.leads.lead_view(owner, row.id).lead
        contacted = lead.first_contact_at or lead.created_at or now
        # a deal starts after its lead was contacted, or the reports' sales cycle would run backwards
        clock.at = min(now - timedelta(minutes=10),
                       max(now - timedelta(days=rng.uniform(12, 35)), contacted + timedelta(hours=rng.uniform(2, 48))))
        bant = {'need': lead.need or rng.choice(DEAL_NEEDS), 'budget': lead.budget or f'{rng.randint(5, 80)}万',
                'authority': lead.authority or '总经理', 'timeline': lead.timeline or '三个月内'}
        fate = rng.random()
        diligence = 0.85 if fate < 0.22 else 0.55  # deals that were worked by the book win more often
        version = desk.leads.update_lead(owner, row.id, version=lead.version, changes=bant)
        _tick_some(desk, owner, rng, diligence, lead_id=row.id)
        version = desk.leads.lead_view(owner, row.id).lead.version
        desk.leads.qualify_lead(owner, row.id, version=version)
        _tick_some(desk, owner, rng, diligence, lead_id=row.id)
        amount = rng.randint(2, 80) * 10_000
        close = (now + timedelta(days=rng.randint(-5, 90))).date()
        opportunity_id = desk.pipeline.convert_lead(owner, row.id, amount=amount, expected_close=close)
        made += 1
        steps = rng.randint(0, len(open_stages) - 1)
        latest = now - timedelta(minutes=5)
        for stage in open_stages[1:steps + 1]:
            clock.at = min(latest, clock.at + timedelta(days=rng.uniform(1, 6)))
            _tick_some(desk, owner, rng, diligence, opportunity_id=opportunity_id)
            version = desk.pipeline.opportunity_view(owner, opportunity_id).opportunity.version
            version = desk.pipeline.move_opportunity(owner, opportunity_id, to_stage_id=stage.id or 0,
                                                     version=version)
        clock.at = min(latest, clock.at + timedelta(days=rng.uniform(1, 4)))
        _tick_some(desk, owner, rng, diligence, opportunity_id=opportunity_id)
        version = desk.pipeline.opportunity_view(owner, opportunity_id).opportunity.version
        if fate < 0.22:
            desk.pipeline.move_opportunity(owner, opportunity_id, to_stage_id=won.id or 0, version=version,
                                           won_amount=amount, close_date=clock.at.date())
        elif fate < 0.36:
            desk.pipeline.move_opportunity(owner, opportunity_id, to_stage_id=lost.id or 0, version=version,
                                           lost_reason=rng.choice(reasons), lost_note='')
    return made


def _chosen(rng: random.Random, items: list[Any], share: float) -> list[int]:
    """Some of a step's open checklist items, as a rep working through the playbook ticks them."""
    return [state.item.id for state in items if not state.done and state.item.id and rng.random() < share]


def _tick_some(desk: Desk, owner: UserRef, rng: random.Random, share: float, *, lead_id: int | None = None,
               opportunity_id: int | None = None) -> None:
    """Tick a share of the current step's checklist, so the demo's checklist report has both
    skipped and done items (and diligent deals that win more often)."""
    view = (desk.playbooks.for_opportunity(owner, opportunity_id) if opportunity_id is not None
            else desk.playbooks.for_lead(owner, lead_id or 0))
    for item_id in _chosen(rng, view.items, share):
        desk.playbooks.tick(owner, item_id, done=True, lead_id=None if opportunity_id else lead_id,
                            opportunity_id=opportunity_id)


def stream_one(desk: Desk, rng: random.Random) -> CaptureResult:
    """One new random lead arriving now (the live demo stream)."""
    return desk.leads.capture_lead(random_lead(rng), channel=DEMO_CHANNEL, default_source=Source.WEBSITE)
