"""The authorisation matrix for actions: every core action a page button (or a crafted
websocket message) can reach, for each role and for records owned by rep A, rep B or
nobody, against a table written here. A refused action raises NotAllowed and writes
nothing; an allowed one succeeds. (Routes have their own matrix in tests/ui.)

Two more reps are collaborators on rep A's lead and deal (issue 22): `reader` with READ access,
`editor` with EDIT access; rep B's records are not shared with them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed
from store.models import Access, AuditEntry, Lead, Opportunity, RecordKind, Role, UserRef
from tests.factories import PASSWORD, admin, lead_data, make_desk, user

from .db import get, rows
from .test_conversion import make_opportunity

ROLES = ('rep_a', 'rep_b', 'marketing', 'manager', 'admin')
COLLABORATORS = ('reader', 'editor')
"""Reps sharing rep A's lead and deal (READ, EDIT); not rep B's."""
SEES_ALL = {'marketing', 'manager', 'admin'}
TEAM = {'manager', 'admin'}


@dataclass
class World:
    desk: Desk
    people: dict[str, UserRef]
    leads: dict[str, int]
    deals: dict[str, int]


def build(desk: Desk, clock: FakeClock) -> World:
    boss = admin(desk)
    people = {'admin': boss, 'manager': user(desk, Role.MANAGER), 'marketing': user(desk, Role.MARKETING),
              'rep_a': user(desk, capacity=100), 'rep_b': user(desk, capacity=100)}
    leads = {owner: desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual',
                                            actor=people[owner], keep_for_actor=True).lead_id
             for owner in ('rep_a', 'rep_b')}
    for rep in ('rep_a', 'rep_b'):
        desk.team.update_user(people['manager'], people[rep].id, {'is_on_leave': True})
    leads['nobody'] = desk.leads.capture_lead(lead_data(), channel='api', default_source='api').lead_id
    for rep in ('rep_a', 'rep_b'):
        desk.team.update_user(people['manager'], people[rep].id, {'is_on_leave': False})
    deals = {owner: make_opportunity(desk, clock, people[owner]) for owner in ('rep_a', 'rep_b')}
    for who, access in (('reader', Access.READ), ('editor', Access.EDIT)):
        people[who] = user(desk, capacity=100)
        for kind, record in ((RecordKind.LEAD, leads['rep_a']), (RecordKind.OPPORTUNITY, deals['rep_a'])):
            desk.collaborators.add(people['rep_a'], kind, record, user_id=people[who].id, access=access)
    return World(desk=desk, people=people, leads=leads, deals=deals)


def owner_or(roles: set[str]) -> Callable[[str, str], bool]:
    """Allowed for the record's owner and for `roles`."""
    return lambda role, owner: role == owner or role in roles


def roles_only(roles: set[str]) -> Callable[[str, str], bool]:
    return lambda role, owner: role in roles


Action = Callable[[World, UserRef, str], Any]


def _lead_version(w: World, owner: str) -> int:
    return get(w.desk, Lead, w.leads[owner]).version


def _deal_version(w: World, owner: str) -> int:
    return get(w.desk, Opportunity, w.deals[owner]).version


def _next_stage(w: World) -> int:
    return next(s.id for s in w.desk.pipeline.stages() if s.name_en == 'Quotation') or 0


def _first_item(w: World, step_key: str) -> int:
    return w.desk.playbooks.editor(w.people['manager'], step_key)[0][0].id or 0


def _deal_step(w: World) -> str:
    return f'stage:{next(s.id for s in w.desk.pipeline.stages() if s.name_en == "Needs confirmed")}'


# action → (records it applies to, who may, the call)
LEAD_ACTIONS: dict[str, tuple[Callable[[str, str], bool], Action]] = {
    'view lead': (owner_or(SEES_ALL), lambda w, a, o: w.desk.leads.lead_view(a, w.leads[o])),
    'edit lead': (owner_or(TEAM), lambda w, a, o: w.desk.leads.update_lead(
        a, w.leads[o], version=_lead_version(w, o), changes={'title': 'Changed'})),
    'log lead activity': (owner_or(TEAM), lambda w, a, o: w.desk.leads.log_activity(a, w.leads[o], kind='call')),
    'disqualify lead': (owner_or(TEAM), lambda w, a, o: w.desk.leads.disqualify_lead(a, w.leads[o], reason='spam')),
    'assign lead': (roles_only(TEAM), lambda w, a, o: w.desk.leads.assign_lead(
        a, w.leads[o], rep_id=w.people['rep_b' if o == 'rep_a' else 'rep_a'].id)),
    'opportunity of lead': (owner_or(SEES_ALL), lambda w, a, o: w.desk.pipeline.opportunity_for_lead(a, w.leads[o])),
    'view lead playbook': (owner_or(SEES_ALL), lambda w, a, o: w.desk.playbooks.for_lead(a, w.leads[o])),
    'add lead collaborator': (owner_or(TEAM), lambda w, a, o: w.desk.collaborators.add(
        a, RecordKind.LEAD, w.leads[o], user_id=w.people['rep_b' if o == 'rep_a' else 'rep_a'].id, access='read')),
    'remove lead collaborator': (owner_or(TEAM), lambda w, a, o: w.desk.collaborators.remove(
        a, RecordKind.LEAD, w.leads[o], user_id=w.people['reader'].id)),
}
OWNED_LEAD_ACTIONS: dict[str, tuple[Callable[[str, str], bool], Action]] = {  # leads in a playbook step
    'tick lead checklist': (owner_or(TEAM), lambda w, a, o: w.desk.playbooks.tick(
        a, _first_item(w, 'lead:assigned'), done=True, lead_id=w.leads[o])),
}
POOL_ACTIONS: dict[str, tuple[Callable[[str, str], bool], Action]] = {
    'claim from pool': (roles_only({'rep_a', 'rep_b'}), lambda w, a, o: w.desk.pool.claim_lead(a, w.leads[o])),
    'assign from pool': (roles_only(TEAM), lambda w, a, o: w.desk.pool.assign_from_pool(
        a, [w.leads[o]], rep_id=w.people['rep_a'].id)),
}
DEAL_ACTIONS: dict[str, tuple[Callable[[str, str], bool], Action]] = {
    'view deal': (owner_or(SEES_ALL), lambda w, a, o: w.desk.pipeline.opportunity_view(a, w.deals[o])),
    'edit deal': (owner_or(TEAM), lambda w, a, o: w.desk.pipeline.update_opportunity(
        a, w.deals[o], version=_deal_version(w, o), changes={'name': 'Renamed'})),
    'log deal activity': (owner_or(TEAM), lambda w, a, o: w.desk.pipeline.log_activity(a, w.deals[o], kind='call')),
    'move deal': (owner_or(TEAM), lambda w, a, o: w.desk.pipeline.move_opportunity(
        a, w.deals[o], to_stage_id=_next_stage(w), version=_deal_version(w, o))),
    'view deal playbook': (owner_or(SEES_ALL), lambda w, a, o: w.desk.playbooks.for_opportunity(a, w.deals[o])),
    'tick deal checklist': (owner_or(TEAM), lambda w, a, o: w.desk.playbooks.tick(
        a, _first_item(w, _deal_step(w)), done=True, opportunity_id=w.deals[o])),
    'add deal collaborator': (owner_or(TEAM), lambda w, a, o: w.desk.collaborators.add(
        a, RecordKind.OPPORTUNITY, w.deals[o], user_id=w.people['rep_b' if o == 'rep_a' else 'rep_a'].id,
        access='edit')),
}
TEAM_ACTIONS: dict[str, tuple[Callable[[str, str], bool], Action]] = {
    'list users': (roles_only(TEAM), lambda w, a, o: w.desk.team.users(a)),
    'create user': (roles_only({'admin'}), lambda w, a, o: w.desk.team.create_user(
        a, email='new@example.com', name='New', password='long-enough-1', role=Role.REP)),
    'make someone admin': (roles_only({'admin'}), lambda w, a, o: w.desk.team.update_user(
        a, w.people['rep_b'].id, {'role': Role.ADMIN})),
    'set rep capacity': (roles_only(TEAM), lambda w, a, o: w.desk.team.update_user(
        a, w.people['rep_b'].id, {'capacity': 7})),
    'team workload': (roles_only(TEAM), lambda w, a, o: w.desk.workload.team(a)),
    'review queue': (roles_only(TEAM), lambda w, a, o: w.desk.pool.pool(a, review=True)),
    'automation numbers': (roles_only(TEAM), lambda w, a, o: w.desk.set_policy(a, None)),
    'preview timer': (roles_only(TEAM), lambda w, a, o: w.desk.preview_timer(a)),
    'run timer now': (roles_only({'admin'}), lambda w, a, o: w.desk.run_timer(a)),
    'demo stream': (roles_only(TEAM), lambda w, a, o: w.desk.set_demo_stream(a, False)),
    'assignment rules': (roles_only(TEAM), lambda w, a, o: w.desk.rules.rules(a)),
    'tier rules': (roles_only(TEAM), lambda w, a, o: w.desk.customers.set_tier_rules(a, {})),
    'stages': (roles_only({'admin'}), lambda w, a, o: w.desk.pipeline.all_stages(a)),
    'lost reasons': (roles_only({'admin'}), lambda w, a, o: w.desk.pipeline.all_lost_reasons(a)),
    'create API key': (roles_only({'admin', 'marketing'}), lambda w, a, o: w.desk.access.create_api_key(
        a, name='k')),
    'list API keys': (roles_only({'admin', 'marketing'}), lambda w, a, o: w.desk.access.api_keys(a)),
    'create web form': (roles_only({'admin', 'marketing', 'manager'}), lambda w, a, o: w.desk.access.create_web_form(
        a, name='f')),
    'list web forms': (roles_only({'admin', 'marketing', 'manager'}), lambda w, a, o: w.desk.access.web_forms(a)),
    'edit web form': (roles_only({'admin', 'marketing', 'manager'}), lambda w, a, o: w.desk.access.update_web_form(
        a, 1, {'name': 'Contact', 'language': 'en', 'fields': ['name', 'email']})),
    'list webhooks': (roles_only({'admin'}), lambda w, a, o: w.desk.webhooks.webhooks(a)),
    'create webhook': (roles_only({'admin'}), lambda w, a, o: w.desk.webhooks.save(
        a, None, {'name': 'h', 'url': 'https://hooks.example.com/x', 'events': ['lead.captured']})),
    'capture a lead': (roles_only(set(ROLES)), lambda w, a, o: w.desk.leads.capture_lead(
        lead_data(), channel='manual', default_source='manual', actor=a)),
    'define custom field': (roles_only({'admin'}), lambda w, a, o: w.desk.custom_fields.define_field(
        a, entity='lead', key='stores', type='number', label_zh='门店数')),
    'list custom fields': (roles_only({'admin'}), lambda w, a, o: w.desk.custom_fields.fields(a)),
    'playbook editor': (roles_only(TEAM), lambda w, a, o: w.desk.playbooks.editor(a, 'lead:assigned')),
    'edit playbook': (roles_only(TEAM), lambda w, a, o: w.desk.playbooks.save_item(
        a, None, step_key='lead:assigned', text_en='Check', text_zh='检查')),
}

CASES = ([(name, role, owner) for name in LEAD_ACTIONS for role in ROLES for owner in ('rep_a', 'rep_b', 'nobody')]
         + [(name, role, 'nobody') for name in POOL_ACTIONS for role in ROLES]
         + [(name, role, owner) for name in DEAL_ACTIONS for role in ROLES for owner in ('rep_a', 'rep_b')]
         + [(name, role, owner) for name in OWNED_LEAD_ACTIONS for role in ROLES for owner in ('rep_a', 'rep_b')]
         + [(name, role, '-') for name in TEAM_ACTIONS for role in ROLES]
         + [(name, role, owner) for name in LEAD_ACTIONS | DEAL_ACTIONS | OWNED_LEAD_ACTIONS
            for role in COLLABORATORS for owner in ('rep_a', 'rep_b')])
COLLABORATOR_MAY: dict[str, set[str]] = {
    # on rep A's shared lead and deal: READ sees and logs, EDIT also edits; neither assigns nor shares
    'view lead': {'reader', 'editor'}, 'edit lead': {'editor'}, 'log lead activity': {'reader', 'editor'},
    'disqualify lead': {'editor'}, 'assign lead': set(), 'opportunity of lead': {'reader', 'editor'},
    'view lead playbook': {'reader', 'editor'}, 'add lead collaborator': set(),
    'remove lead collaborator': set(), 'tick lead checklist': {'editor'},
    'view deal': {'reader', 'editor'}, 'edit deal': {'editor'}, 'log deal activity': {'reader', 'editor'},
    'move deal': {'editor'}, 'view deal playbook': {'reader', 'editor'}, 'tick deal checklist': {'editor'},
    'add deal collaborator': set(),
}
ALL = LEAD_ACTIONS | POOL_ACTIONS | DEAL_ACTIONS | OWNED_LEAD_ACTIONS | TEAM_ACTIONS


def footprint(desk: Desk) -> tuple[int, list[int]]:
    """What a refused action must leave alone: the audit trail and every record's version."""
    return (len(rows(desk, AuditEntry)),
            [r.version for r in rows(desk, Lead)] + [r.version for r in rows(desk, Opportunity)])


@pytest.fixture(scope='module')
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    """The team and records, built once; each test works on a copy of the file."""
    path = tmp_path_factory.mktemp('matrix') / 'template.db'
    desk = make_desk(path, FakeClock())
    world = build(desk, FakeClock())
    desk.ctx.engine.dispose()
    return path, world


@pytest.mark.parametrize(('action', 'role', 'owner'), CASES)
def test_action_by_role(tmp_path: Path, template: tuple[Path, World], action: str, role: str, owner: str) -> None:
    source, built = template
    shutil.copyfile(source, tmp_path / 'copy.db')
    desk = make_desk(tmp_path / 'copy.db', FakeClock())
    world = World(desk=desk, people=built.people, leads=built.leads, deals=built.deals)
    may, call = ALL[action]
    actor = world.people[role]
    if role in COLLABORATORS:  # the ref a session gives: carrying the reach with what is shared
        actor = desk.team.login(actor.email, PASSWORD)[0]
    before = footprint(desk)
    if may(role, owner) if role in ROLES else (owner == 'rep_a' and role in COLLABORATOR_MAY[action]):
        call(world, actor, owner)
    else:
        with pytest.raises(NotAllowed):
            call(world, actor, owner)
        assert footprint(desk) == before, 'a refused action wrote something'


def test_the_table_is_whole() -> None:
    assert len(CASES) == len(set(CASES))
    assert set(ALL) == (set(LEAD_ACTIONS) | set(POOL_ACTIONS) | set(DEAL_ACTIONS) | set(OWNED_LEAD_ACTIONS)
                        | set(TEAM_ACTIONS))
    assert set(COLLABORATOR_MAY) == set(LEAD_ACTIONS) | set(DEAL_ACTIONS) | set(OWNED_LEAD_ACTIONS)
