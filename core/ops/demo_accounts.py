"""The demo team's accounts: who they are and the published password. In core (not beside the
seeding in cli/demo.py) because the login page lists them and the start-up exposure check looks for
them still accepting that password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.models import Role

DEMO_PASSWORD = 'demo1234'
DEMO_ADMIN_EMAIL = 'admin@demo.leaddesk'


# ----- the team ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    role: str
    area: str = ''
    """The sales area a rep covers (华东 …); its provinces are `regions`."""
    regions: str = ''
    capacity: int | None = None
    daily_quota: int | None = None
    seniority: int | None = None

    def fields(self) -> dict[str, Any]:
        """Extra keyword arguments for `TeamService.create_user`."""
        extra = {'capacity': self.capacity, 'daily_quota': self.daily_quota, 'seniority': self.seniority,
                 'regions': self.regions or None}
        return {k: v for k, v in extra.items() if v is not None}


AREAS: dict[str, tuple[str, ...]] = {
    '华东': ('上海', '江苏', '浙江'),
    '华南': ('广东', '福建'),
    '华北': ('北京', '天津', '河北', '山东'),
    '西南': ('四川', '重庆', '云南'),
}
"""Sales areas and the provinces (lead `region` values) each covers."""

# Capacities are larger than a textbook 15–30 on purpose: the seed replays 60 days without
# recycling, so with 300 leads smaller capacities would leave most leads in the pool.
DEMO_USERS: list[DemoUser] = [
    DemoUser(DEMO_ADMIN_EMAIL, 'Admin 管理员', Role.ADMIN),
    DemoUser('manager@demo.leaddesk', '王经理', Role.MANAGER),
    DemoUser('lina@demo.leaddesk', '李娜', Role.REP, '华东', ','.join(AREAS['华东']),
             capacity=90, daily_quota=50, seniority=3),
    DemoUser('kevin@demo.leaddesk', 'Kevin Chen', Role.REP, '华南', ','.join(AREAS['华南']),
             capacity=60, daily_quota=40, seniority=2),
    DemoUser('zhangwei@demo.leaddesk', '张伟', Role.REP, '华北', ','.join(AREAS['华北']),
             capacity=70, daily_quota=40, seniority=3),
    DemoUser('emily@demo.leaddesk', 'Emily Liu', Role.REP, '西南', ','.join(AREAS['西南']),
             capacity=50, daily_quota=30, seniority=1),
    DemoUser('marketing@demo.leaddesk', '赵敏', Role.MARKETING),
    DemoUser('chen@demo.leaddesk', '陈主管', Role.MANAGER),
]

DEMO_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    '北区销售部': ('chen@demo.leaddesk', 'lina@demo.leaddesk', 'zhangwei@demo.leaddesk'),
    '南区销售部': ('kevin@demo.leaddesk', 'emily@demo.leaddesk'),
}
"""Two departments under the company, the reps split between them (emails); the first one listed
heads it. 王经理 stays in the company's root department; managers' data scope is "their department
and below", so 王经理 sees everything and 陈主管 the north only."""


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, password) of every demo account, for the login page."""
    return [(u.email, u.role, DEMO_PASSWORD) for u in DEMO_USERS]
