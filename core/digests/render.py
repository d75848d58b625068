"""A digest as Markdown in its reader's language: the email's text, the group robots' card and the
history page all read it. The words come from the UI's catalog through the `Translate` the UI hands
in (as email_render and the robots' formats do), so both languages live beside the page's strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.digests.content import Digest, DigestKind, ExceptionKind, Line, Part, Section

if TYPE_CHECKING:  # formats renders digests for the robots: a runtime import would be a cycle
    from core.integrations.formats import Translate

_MAX_LINES = 10
"""Lines listed per section; the count says how many there are (a card stays readable)."""


def money(cents: int) -> str:
    return f'¥{cents / 100:,.0f}'


def _url(base: str, link: str) -> str:
    return f'{base.rstrip("/")}{link}' if link else ''


def _record(line: Line, base: str) -> str:
    url = _url(base, line.link)
    return f'[{line.name}]({url})' if url else line.name


def line_text(lang: str, t: Translate, section: Section, line: Line, base: str = '') -> str:
    """One line as the reader sees it (no bullet)."""
    name = _record(line, base)
    if section == Section.EXCEPTIONS:
        timed = line.key == ExceptionKind.SLOWER_RESPONSE
        value = duration(lang, t, int(line.value or 0)) if timed else _n(line.value)
        before = duration(lang, t, int(line.before or 0)) if timed else _n(line.before)
        return t(lang, f'digest.exception.{line.key}', {'name': name, 'value': value, 'before': before,
                                                         'amount': money(line.amount_cents or 0)})
    if section == Section.COMPARISON:
        figure = money(int(line.value or 0)) if line.key == 'won_cents' else _n(line.value)
        was = money(int(line.before or 0)) if line.key == 'won_cents' else _n(line.before)
        return t(lang, 'digest.comparison.line', {'figure': t(lang, f'digest.figure.{line.key}', {}),
                                                  'value': figure, 'before': was})
    if section == Section.GOALS:
        value = money(int(line.value or 0)) if line.key == 'won_cents' else _n(line.value)
        goal = money(int(line.before or 0)) if line.key == 'won_cents' else _n(line.before)
        who = line.name or t(lang, 'digest.goals.team', {})
        return t(lang, 'digest.goals.line', {'who': who, 'metric': t(lang, f'goals.metric.{line.key}', {}),
                                             'value': value, 'goal': goal})
    parts = [name]
    if line.owner:
        parts.append(f'({line.owner})')
    if line.minutes is not None:
        parts.append(duration(lang, t, line.minutes))
    if line.amount_cents is not None:
        parts.append(money(line.amount_cents))
    return ' '.join(parts)


def _n(value: float | None) -> str:
    return '' if value is None else f'{value:g}'


def title(digest: Digest, lang: str, t: Translate) -> str:
    key = 'digest.title.weekly' if digest.kind == DigestKind.WEEKLY else 'digest.title.daily'
    return t(lang, key, {'day': digest.day.isoformat(), 'last': digest.last.isoformat()})


def heading(part: Part, lang: str, t: Translate) -> str:
    text = t(lang, f'digest.section.{part.section}', {'n': part.count})
    if part.total_cents:
        text += f' · {money(part.total_cents)}'
    return text


def markdown(digest: Digest, lang: str, t: Translate, *, base: str = '', name: str = '') -> str:
    """The whole digest as Markdown: a title, the rep's own lines, then each section with lines. Blocks
    are apart by a blank line (a list right under a paragraph is no list to every renderer)."""
    blocks = [f'### {title(digest, lang, t)}' + (f' · {name}' if name else '')]
    if digest.on_leave:
        blocks.append(t(lang, 'digest.on_leave', {}))
    if digest.own_lines:
        blocks.append('\n'.join(f'> {own}' for own in digest.own_lines))
    if digest.is_empty:
        blocks.append(t(lang, 'digest.empty', {}))
    if digest.median_response_minutes is not None:
        blocks.append(t(lang, 'digest.median_response', {'n': duration(lang, t, digest.median_response_minutes)}))
    for part in digest.parts:
        if not part.lines:
            continue
        items = [f'- {line_text(lang, t, part.section, line, base)}' for line in part.lines[:_MAX_LINES]]
        if part.count > _MAX_LINES:
            items.append(f'- {t(lang, "digest.more", {"n": part.count - _MAX_LINES})}')
        blocks.append(f'**{heading(part, lang, t)}**\n\n' + '\n'.join(items))
    return '\n\n'.join(blocks)


def duration(lang: str, t: Translate, minutes: int) -> str:
    """Minutes under two hours, else hours (a first response over a night reads as hours)."""
    if minutes < 120:
        return t(lang, 'digest.minutes', {'n': minutes})
    return t(lang, 'digest.hours', {'n': f'{minutes / 60:.0f}'})
