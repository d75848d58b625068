"""How values read on screen: times in the team's zone, enum labels in the user's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from store.models import Stage

from .i18n import current_language, t_opt

_zone: ZoneInfo = ZoneInfo('Asia/Shanghai')


def set_zone(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def when(value: datetime | None) -> str:
    return value.astimezone(_zone).strftime('%Y-%m-%d %H:%M') if value else ''


def label(prefix: str, value: str | None) -> str:
    return t_opt(prefix, value)


def money(cents: int) -> str:
    """¥12,500.00 from integer cents (no float on the way)."""
    sign = '-' if cents < 0 else ''
    cents = abs(cents)
    return f'{sign}¥{cents // 100:,}.{cents % 100:02d}'


def amount_text(cents: int) -> str:
    """The editable form of an amount: 12500.00."""
    return f'{cents // 100}.{cents % 100:02d}'


def stage_name(stage: Stage | None) -> str:
    if stage is None:
        return ''
    return stage.name_zh if current_language() == 'zh-CN' else stage.name_en
