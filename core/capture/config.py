"""What captures read from the configuration: the scoring rules, the assignment rules, the
automation policy, the leads' custom fields and the tags, read together (`read_config`) and kept between
transactions by a `ConfigCache`, which the `Context` owns (core/context.py `Context.capture_config`):
one per engine, no module state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.accounts.reach import subtree
from core.assignment import pick as assignment
from core.automation.policy import Policy, load_policy
from core.capture import scoring
from core.custom_fields.values import CustomFields, definition
from core.tags.catalog import NO_TAGS, TagSet, info
from store import config_version, queries
from store.models import CustomEntity
from store.queries import departments as tree_rows


def scoring_rules(session: Session, fields: CustomFields | None = None) -> list[scoring.Rule]:
    """The scoring rules as stored, read now. A rule on a custom field that is no longer active
    (retired) is left out: it never fires, and the editor shows it as such."""
    rows = queries.scoring_rules(session)
    if fields is None and any(r.kind in scoring.CUSTOM_KINDS for r in rows):
        fields = lead_fields(session)
    return [scoring.Rule(id=r.id or 0, kind=r.kind, field=r.field, value=r.value, points=r.points,
                         label_en=r.label_en, label_zh=r.label_zh) for r in rows
            if r.kind not in scoring.CUSTOM_KINDS or (fields is not None and r.field in fields.active)]


def assignment_rules(session: Session, fields: CustomFields | None = None) -> list[assignment.RuleSpec]:
    """The assignment rules as stored, read now. A custom condition on a field no longer active
    (retired) keeps its key with no values: the rule then matches no lead (a rule narrowed to some
    leads never widens to all by an admin retiring a field)."""
    rows = queries.assignment_rules(session)
    if fields is None and any(r.match_custom_key for r in rows):
        fields = lead_fields(session)
    active = fields.active if fields is not None else None
    targets = department_targets(session) if any(r.department_id is not None for r in rows) else {}
    return [assignment.RuleSpec(id=r.id or 0, name=r.name, strategy=r.strategy,
                                match_sources=assignment.split_list(r.match_sources),
                                match_grades=assignment.split_list(r.match_grades),
                                match_regions=assignment.split_list(r.match_regions),
                                match_industries=assignment.split_list(r.match_industries),
                                min_score=r.min_score, max_score=r.max_score, rep_ids=assignment.split_ids(r.rep_ids),
                                match_tags=assignment.split_list(r.match_tags),
                                match_custom_key=r.match_custom_key,
                                match_custom_values=assignment.split_list(r.match_custom_values)
                                if active is not None and r.match_custom_key in active else frozenset(),
                                department_id=r.department_id,
                                department_ids=targets.get(r.department_id, NO_TARGET).ids,
                                department_name=targets.get(r.department_id, NO_TARGET).name)
            for r in rows]


@dataclass(frozen=True, slots=True)
class DepartmentTarget:
    """A department as a rule targeting it needs it: its subtree and its name."""
    ids: frozenset[int | None]
    """The department and all below it; None too when that holds the root (reps placed nowhere)."""
    name: str


NO_TARGET = DepartmentTarget(ids=frozenset(), name='')
"""A rule naming a removed department: nobody to pick from."""


def department_targets(session: Session) -> dict[int | None, DepartmentTarget]:
    """Every department's subtree and name (the tree is small: one query)."""
    nodes = tree_rows.tree(session)
    root_id = next((n.id for n in nodes if n.parent_id is None), None)
    out: dict[int | None, DepartmentTarget] = {}
    for n in nodes:
        ids: set[int | None] = set(subtree(nodes, [n.id]))
        if root_id in ids:
            ids.add(None)
        out[n.id] = DepartmentTarget(ids=frozenset(ids), name=n.name)
    return out


@dataclass(frozen=True, slots=True)
class Config:
    """What captures read from the configuration (all immutable, so one copy serves every thread)."""
    scoring: tuple[scoring.Rule, ...]
    rules: tuple[assignment.RuleSpec, ...]
    policy: Policy
    custom: CustomFields
    """The leads' custom fields (what a capture's `custom` values are checked against)."""
    tags: TagSet = NO_TAGS
    """The tag catalogue (what a capture's `tags` are resolved against; rules test their keys)."""


def read_config(session: Session) -> Config:
    """The configuration as this transaction sees it, read now (five queries)."""
    custom = lead_fields(session)
    return Config(scoring=tuple(scoring_rules(session, custom)), rules=tuple(assignment_rules(session, custom)),
                  policy=load_policy(session), custom=custom,
                  tags=TagSet(info(row) for row in queries.all_tags(session)))


def lead_fields(session: Session) -> CustomFields:
    """The leads' custom fields as stored, read now."""
    return CustomFields(definition(row) for row in queries.custom_fields(session, CustomEntity.LEAD))


class ConfigCache:
    """The last `Config` read, with the config token (store/config_version.py) it was read under.

    Why: reading the rules and the policy cost three queries and their objects (~1 ms of a ~10 ms
    capture); the token is one primary-key read. Held by the `Context`, so it lives and dies with
    its desk and engine (tests building a desk per test start empty). The engine is kept with it
    and compared too, so a session on another engine never gets this one's configuration."""

    def __init__(self) -> None:
        self._kept: tuple[Any, str, Config] | None = None

    def load(self, session: Session) -> Config:
        """The configuration as this transaction sees it: the copy kept while the database's token
        stays the same; read afresh when the token changed — in this process or another — or there
        is none (then nothing is kept)."""
        engine = session.get_bind()
        token = config_version.current(session)  # first: what is read below is at least this recent
        kept = self._kept
        if token is not None and kept is not None and kept[0] is engine and kept[1] == token:
            return kept[2]
        config = read_config(session)
        if token is not None:
            self._kept = (engine, token, config)  # (one assignment: threads never see half of it)
        return config

    def recent(self, engine: Any) -> Config | None:
        """The copy kept for `engine`, without reading the token (no query), or None. At most one
        capture batch behind: every batch's `load` renews it. For a check made before the batch
        that would otherwise open a transaction of its own (the API's custom-field check)."""
        kept = self._kept
        return kept[2] if kept is not None and kept[0] is engine else None
