"""The admins' and managers' actions on the tag catalogue: define, rename, recolour, retire,
restore. Each is one transaction, audited like every settings change; a tag's key never changes
(the API, rules and imports may name it), its names and colour do, and retiring hides it from
pickers and refuses it on input while every record that holds it keeps it.

Saving a tag changes the capture configuration's token (store/config_version.py watches `tags`),
so the next capture in any process resolves tag names against the new catalogue."""

from __future__ import annotations

import re
from typing import Any

from core import permissions
from core.context import Context, audit, retry_conflicts
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from core.tags.catalog import NAME_LENGTH, SEPARATORS, TagInfo, TagSet, fold, info
from store import queries
from store.audit_actions import AuditAction
from store.models import Tag, TagColour, UserRef

KEY = re.compile(r'[a-z0-9][a-z0-9_-]{0,39}')


def check_names(name_zh: Any, name_en: Any) -> tuple[str, str]:
    """Both names cleaned; an English name left empty is the Chinese one."""
    zh = clean_text(name_zh if isinstance(name_zh, str) else None, max_length=NAME_LENGTH + 1)
    en = clean_text(name_en if isinstance(name_en, str) else None, max_length=NAME_LENGTH + 1) or zh
    errors: dict[str, str] = {}
    if not zh:
        errors['name_zh'] = 'required'
    elif len(zh) > NAME_LENGTH or SEPARATORS.search(zh):
        errors['name_zh'] = 'invalid_tag_name'
    if en and (len(en) > NAME_LENGTH or SEPARATORS.search(en)):
        errors['name_en'] = 'invalid_tag_name'
    if errors:
        raise ValidationFailed(errors)
    assert zh is not None and en is not None
    return zh, en


def _key_from(name_en: str, taken: set[str]) -> str:
    """A key from the English name (`vip-client`), else `tag-<n>`: never one already taken."""
    base = re.sub(r'[^a-z0-9]+', '-', name_en.casefold()).strip('-')[:32] or 'tag'
    key, n = base, 1
    while key in taken or not KEY.fullmatch(key) or key == 'tag':
        n += 1
        key = f'{base}-{n}'
    return key


class TagService:
    """The tag catalogue (`desk.tags`). Reads are open to every signed-in user (chips and pickers);
    changes to admins and managers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def tag_set(self) -> TagSet:
        """Every tag now (the capture configuration's copy while its token holds)."""
        with self.ctx.read() as session:
            return self.ctx.capture_config.load(session).tags

    def _allow(self, actor: UserRef | None) -> None:
        if actor is not None and not permissions.can_define_tags(actor):
            raise NotAllowed()

    @staticmethod
    def _check_unique(session: Any, zh: str, en: str, *, own_id: int | None = None) -> None:
        """No two tags share a name in either language: an import cell or an API call names one tag."""
        for row in queries.all_tags(session):
            if row.id == own_id:
                continue
            names = {fold(row.name_zh), fold(row.name_en), fold(row.key)}
            if fold(zh) in names:
                raise ValidationFailed({'name_zh': 'taken'})
            if fold(en) in names:
                raise ValidationFailed({'name_en': 'taken'})

    @retry_conflicts
    def define_tag(self, actor: UserRef | None, *, name_zh: str, name_en: str = '', colour: str = TagColour.GREY,
                   key: str = '') -> TagInfo:
        """A new tag, last in the order. `key` (`[a-z0-9][a-z0-9_-]*`, unique, final) may be left
        empty: then it comes from the English name."""
        self._allow(actor)
        zh, en = check_names(name_zh, name_en)
        if colour not in TagColour.__members__.values():
            raise ValidationFailed({'colour': 'invalid'})
        if key and (not isinstance(key, str) or not KEY.fullmatch(key)):
            raise ValidationFailed({'key': 'invalid_key'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            rows = queries.all_tags(session)
            taken = {r.key for r in rows}
            if key and key in taken:
                raise ValidationFailed({'key': 'taken'})
            self._check_unique(session, zh, en)
            row = Tag(key=key or _key_from(en, taken), name_zh=zh, name_en=en, colour=colour,
                      position=max((r.position for r in rows), default=-1) + 1, created_at=now)
            session.add(row)
            audit(session, AuditAction.TAG_DEFINED, now=now, actor_id=actor.id if actor else None,
                  reason_key='reason.tag_defined', key=row.key, tag=zh)
            session.flush()
            result = info(row)
        self.ctx.events.publish(self.ctx.events.tags_changed)
        return result

    @retry_conflicts
    def change_tag(self, actor: UserRef | None, tag_id: int, *, name_zh: str, name_en: str = '',
                   colour: str | None = None) -> TagInfo:
        """New names (rename) and, if given, a new colour (recolour); the key stays."""
        self._allow(actor)
        zh, en = check_names(name_zh, name_en)
        if colour is not None and colour not in TagColour.__members__.values():
            raise ValidationFailed({'colour': 'invalid'})
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = self._row(session, tag_id)
            self._check_unique(session, zh, en, own_id=row.id)
            if (row.name_zh, row.name_en, row.colour) != (zh, en, colour or row.colour):
                row.name_zh, row.name_en, row.colour = zh, en, colour or row.colour
                session.add(row)
                audit(session, AuditAction.TAG_CHANGED, now=now, actor_id=actor.id if actor else None,
                      reason_key='reason.tag_changed', key=row.key, tag=zh)
            result = info(row)
        self.ctx.events.publish(self.ctx.events.tags_changed)
        return result

    def retire_tag(self, actor: UserRef | None, tag_id: int) -> TagInfo:
        """Hidden from pickers and refused on input from now on; records that hold it keep it."""
        return self._set_retired(actor, tag_id, retired=True)

    def restore_tag(self, actor: UserRef | None, tag_id: int) -> TagInfo:
        return self._set_retired(actor, tag_id, retired=False)

    @retry_conflicts
    def _set_retired(self, actor: UserRef | None, tag_id: int, *, retired: bool) -> TagInfo:
        self._allow(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            row = self._row(session, tag_id)
            if row.is_retired != retired:
                if not retired:  # back in use: its names must not clash with a tag defined since
                    self._check_unique(session, row.name_zh, row.name_en, own_id=row.id)
                row.is_retired = retired
                session.add(row)
                action = AuditAction.TAG_RETIRED if retired else AuditAction.TAG_RESTORED
                audit(session, action, now=now, actor_id=actor.id if actor else None,
                      reason_key=f'reason.{action.value}', key=row.key, tag=row.name_zh)
            result = info(row)
        self.ctx.events.publish(self.ctx.events.tags_changed)
        return result

    @staticmethod
    def _row(session: Any, tag_id: int) -> Tag:
        row = session.get(Tag, tag_id) if isinstance(tag_id, int) and 0 < tag_id < 2**31 else None
        if row is None:
            raise NotFound()
        return row
