"""Digest settings: the team's (an app setting) and each user's over them (`digest_prefs`): which
kinds, through which channels, at what local time. The schedule and the settings page read one
resolved `DigestSettings` per user.

Defaults: no digests until a manager turns them on for the team (the kinds: daily for everyone,
weekly for those who steer the team; a user may turn their own on or off), in the app only (email
and the group robots need SMTP or a robot set up first), at 08:30 team time; the rep's own two lines
are taken until then. Off by default so an upgrade does not start mailing a team unasked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import time
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.digests.content import DigestKind
from store import queries
from store.models import DigestPrefs

SETTINGS_KEY = 'digest_settings'
OWN_LINES = 2
"""How many lines of their own a rep may add to a digest."""
OWN_LINE_LENGTH = 200


class Channel(StrEnum):
    APP = 'app'
    """The Digest page (always kept there: the row is the history)."""
    EMAIL = 'email'
    ROBOT = 'robot'
    """The WeCom / DingTalk group robots subscribed to `digest.sent` (the webhook outbox)."""


@dataclass(frozen=True, slots=True)
class DigestSettings:
    kinds: frozenset[DigestKind] = frozenset()
    channels: frozenset[Channel] = frozenset({Channel.APP})
    send_time: time = time(8, 30)

    def to_dict(self) -> dict[str, Any]:
        return {'kinds': sorted(self.kinds), 'channels': sorted(self.channels),
                'send_time': self.send_time.strftime('%H:%M')}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestSettings:
        """Raises ValueError on anything malformed (the service names the field)."""
        base = cls()
        kinds = frozenset(DigestKind(k) for k in data['kinds']) if data.get('kinds') is not None else base.kinds
        channels = frozenset(Channel(c) for c in data['channels']) if data.get('channels') is not None \
            else base.channels
        send_time = parse_time(data['send_time']) if data.get('send_time') else base.send_time
        return cls(kinds, channels | {Channel.APP}, send_time)


def parse_time(value: str) -> time:
    hour, _, minute = str(value).partition(':')
    return time(int(hour), int(minute))


def team_settings(session: Session) -> DigestSettings:
    raw = queries.setting(session, SETTINGS_KEY)
    try:
        return DigestSettings.from_dict(json.loads(raw)) if raw else DigestSettings()
    except (ValueError, TypeError, KeyError):
        return DigestSettings()


def for_user(team: DigestSettings, prefs: DigestPrefs | None) -> DigestSettings:
    """The team's settings with the user's own choices over them."""
    if prefs is None:
        return team
    out = team
    if prefs.kinds is not None:
        out = replace(out, kinds=frozenset(DigestKind(k) for k in prefs.kinds if k in DigestKind.__members__.values()))
    if prefs.channels is not None:
        out = replace(out, channels=frozenset(Channel(c) for c in prefs.channels
                                              if c in Channel.__members__.values()) | {Channel.APP})
    if prefs.send_time:
        try:
            out = replace(out, send_time=parse_time(prefs.send_time))
        except ValueError:
            pass
    return out
