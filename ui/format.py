"""How values read on screen: times in the team's zone, enum labels in the user's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from .i18n import t_opt

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
