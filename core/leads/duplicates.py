"""Near-duplicates: leads that are probably one person or company although capture's exact
dedupe let them both in. Pure matching over plain tuples: same email domain (free-mail
excluded), fuzzy company name (rapidfuzz, legal forms folded), same name with a phone that
differs only by formatting. A probe that matches too many leads (a shared switchboard, a big
corporate domain) is set aside and reported, never turned into a giant group."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

FREE_MAIL = frozenset({
    'qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sina.cn', 'sohu.com', 'aliyun.com',
    '139.com', '189.cn', 'wo.cn', 'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com',
    'msn.com', 'yahoo.com', 'yahoo.com.cn', 'icloud.com', 'me.com', 'mail.com', 'gmx.com', 'proton.me',
    'protonmail.com', 'aol.com', 'yandex.com', 'tom.com', '21cn.com', 'vip.qq.com', 'vip.163.com',
})
PROBE_LIMIT = 10
"""A domain, phone or company matching more leads than this is ignored (not a duplicate signal)."""
COMPANY_SCORE = 90.0
"""rapidfuzz ratio (0–100) of the folded company names at or above which they match."""
MIN_COMPANY = 3
_EXTRA_FOLDS = re.compile(r'股份|有限|责任|集团|控股')


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    name: str
    email: str | None
    phone: str | None
    phone_norm: str | None
    company_norm: str | None


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str
    """email_domain, company or name_phone (`dup.reason.<kind>`)."""
    detail: str
    score: int = 100


@dataclass(slots=True)
class Group:
    lead_ids: list[int]
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ignored:
    kind: str
    probe: str
    matches: int


def phone_digits(phone: str | None) -> str | None:
    """Digits only, without a +86 / 0086 / trunk 0 prefix: `+86 (138) 0013-8000` → `13800138000`."""
    if not phone:
        return None
    digits = re.sub(r'\D', '', phone)
    for prefix in ('0086', '86'):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix):]
            break
    digits = digits.lstrip('0')
    return digits if len(digits) >= 7 else None


def fold_company(company_norm: str | None) -> str | None:
    """The normalised company with the legal-form words capture's folding leaves inside."""
    if not company_norm:
        return None
    folded = _EXTRA_FOLDS.sub('', company_norm)
    return folded if len(folded) >= MIN_COMPANY else None


def _probes(candidates: Sequence[Candidate]) -> Iterable[tuple[str, str, list[int]]]:
    """(kind, probe, lead ids) for every exact key two or more leads share."""
    domains: dict[str, list[int]] = defaultdict(list)
    name_phones: dict[tuple[str, str], list[int]] = defaultdict(list)
    for c in candidates:
        if c.email and '@' in c.email:
            domain = c.email.rsplit('@', 1)[1].lower()
            if domain not in FREE_MAIL:
                domains[domain].append(c.id)
        digits = phone_digits(c.phone) or phone_digits(c.phone_norm)
        if digits and c.name:
            name_phones[(c.name.strip().casefold(), digits)].append(c.id)
    for domain, ids in domains.items():
        yield 'email_domain', domain, ids
    for (name, digits), ids in name_phones.items():
        yield 'name_phone', f'{name} {digits}', ids


def _company_clusters(candidates: Sequence[Candidate]) -> Iterable[tuple[str, list[int], int]]:
    """Leads whose folded companies are equal or close: blocked by first character, compared with
    rapidfuzz within a block (a block of one company name is one cluster)."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for c in candidates:
        folded = fold_company(c.company_norm)
        if folded:
            by_name[folded].append(c.id)
    blocks: dict[str, list[str]] = defaultdict(list)
    for name in by_name:
        blocks[name[0]].append(name)
    for names in blocks.values():
        seen: set[str] = set()
        for name in names:
            if name in seen:
                continue
            close = process.extract(name, names, scorer=fuzz.ratio, score_cutoff=COMPANY_SCORE, limit=None)
            cluster = [n for n, _, _ in close]
            seen.update(cluster)
            ids = [i for n in cluster for i in by_name[n]]
            score = int(min((s for _, s, _ in close), default=100))
            yield ' ≈ '.join(cluster) if len(cluster) > 1 else name, ids, score


def find_groups(candidates: Sequence[Candidate], *,
                probe_limit: int = PROBE_LIMIT) -> tuple[list[Group], list[Ignored]]:
    """Suggested groups (each with why it matched) and the probes set aside for matching too many."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reasons: list[tuple[list[int], Reason]] = []
    ignored: list[Ignored] = []
    matches = [(kind, probe, ids, 100) for kind, probe, ids in _probes(candidates)]
    matches += [('company', probe, ids, score) for probe, ids, score in _company_clusters(candidates)]
    for kind, probe, ids, score in matches:
        if len(ids) < 2:
            continue
        if len(ids) > probe_limit:
            ignored.append(Ignored(kind=kind, probe=probe, matches=len(ids)))
            continue
        for other in ids[1:]:
            parent[root(other)] = root(ids[0])
        reasons.append((ids, Reason(kind=kind, detail=probe, score=score)))
    members: dict[int, list[int]] = defaultdict(list)
    for i in parent:
        members[root(i)].append(i)
    groups: dict[int, Group] = {r: Group(lead_ids=sorted(ids)) for r, ids in members.items() if len(ids) > 1}
    for ids, reason in reasons:
        groups[root(ids[0])].reasons.append(reason)
    ordered = sorted((g for g in groups.values() if len(g.lead_ids) <= probe_limit), key=lambda g: -max(g.lead_ids))
    return ordered, ignored
