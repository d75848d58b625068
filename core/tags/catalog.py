"""The tag catalogue as read: `TagSet` (pure: which tags exist, found by key or by a name in either
language, as the API, imports, exports and rules name them). The capture configuration holds one
(core/capture/config.py); the admins' and managers' actions on it are in `admin.py`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.errors import ValidationFailed
from store.models import Tag

NAME_LENGTH = 40
SEPARATORS = re.compile(r'[,，、;；]')
"""What separates tag names in one spreadsheet cell (comma, full-width comma, 、 and semicolons)."""


@dataclass(frozen=True, slots=True)
class TagInfo:
    """One tag as the rest of the app reads it (no ORM object leaves core)."""
    id: int
    key: str
    name_zh: str
    name_en: str
    colour: str
    is_retired: bool

    def name(self, language: str) -> str:
        return self.name_en if language == 'en' else self.name_zh


def info(row: Tag) -> TagInfo:
    return TagInfo(id=row.id or 0, key=row.key, name_zh=row.name_zh, name_en=row.name_en, colour=row.colour,
                   is_retired=row.is_retired)


def fold(text: str) -> str:
    return text.strip().casefold()


class TagSet:
    """The catalogue at one moment: by id (retired ones too, for chips on records that keep them) and
    the active ones by key and by either name (case-insensitive), for what users and channels type."""

    def __init__(self, tags: Iterable[TagInfo]) -> None:
        self.all = tuple(tags)
        self.by_id = {t.id: t for t in self.all}
        self.active = tuple(t for t in self.all if not t.is_retired)
        self._named: dict[str, TagInfo] = {}
        for t in self.all:  # retired first, active over them: a retired name never hides an active one
            for word in (t.name_zh, t.name_en, t.key):
                if t.is_retired and fold(word) in self._named:
                    continue
                self._named[fold(word)] = t

    def find(self, word: str) -> TagInfo | None:
        """The tag a key or a name (either language) names, retired or not; None: no such tag."""
        return self._named.get(fold(word)) if isinstance(word, str) else None

    def resolve(self, words: Any, *, field: str = 'tags') -> tuple[int, ...]:
        """Active tags' ids for a list of keys or names (the API's `tags`, an import cell split), in
        order, each once; ValidationFailed `{field: 'unknown_tag' | 'retired_tag' | 'invalid'}` whose
        `detail` is the first bad word (the API's 422 names it)."""
        if words is None:
            return ()
        if not isinstance(words, list | tuple) or not all(isinstance(w, str) for w in words):
            raise ValidationFailed({field: 'invalid'})
        ids: list[int] = []
        for word in words:
            if not word.strip():
                continue
            tag = self.find(word)
            if tag is None or tag.is_retired:
                raise ValidationFailed({field: 'retired_tag' if tag else 'unknown_tag'},
                                       detail=word.strip()[:NAME_LENGTH])
            if tag.id not in ids:
                ids.append(tag.id)
        return tuple(ids)

    def resolve_cell(self, cell: Any, *, field: str = 'tags') -> tuple[int, ...]:
        """An import cell: names or keys separated by commas (either width), 、 or semicolons."""
        if cell is None:
            return ()
        return self.resolve([w for w in SEPARATORS.split(str(cell)) if w.strip()], field=field)

    def keys(self, ids: Iterable[int]) -> frozenset[str]:
        """The keys of these tags (what rules test)."""
        return frozenset(self.by_id[i].key for i in ids if i in self.by_id)

    def cell(self, ids: Iterable[int], language: str) -> str:
        """An export cell: the tags' names in the reader's language, separated as typed in it."""
        sep = ', ' if language == 'en' else '、'
        return sep.join(self.by_id[i].name(language) for i in ids if i in self.by_id)


NO_TAGS = TagSet(())
