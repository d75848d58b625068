"""The authorisation matrix: every route the app registers, for every role and for records
owned by rep A, rep B or nobody, against a table written here.

The routes are read from the running app's router, so a route this table does not know
fails the test: whoever adds a page or an endpoint decides here who may open it.
Pages are fetched over HTTP first (a redirect to login is a 3xx before any page is
built), then opened with the User fixture to read what the page shows: the record's
name when allowed, the refusal when not, and never a name the role may not see —
anywhere in the element tree, table rows and HTML included.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from fastapi.routing import APIRoute
from nicegui import app
from nicegui.testing import User
from starlette.routing import Mount, Route

from core.errors import NotAllowed
from store.models import Access, RecordKind, Role, UserRef
from tests import factories
from tests.ui.conftest import Team, login

ROLES = ('anonymous', 'rep_a', 'rep_b', 'marketing', 'manager', 'admin', 'dept_manager', 'collab_read', 'collab_edit')
# dept_manager: a manager in the department East, which holds rep A but not rep B, with the managers'
# data scope set to "their department and below" (Manager Wang, in the company's root department, so
# still sees everything). Every list (inbox, customers, pipeline, search) shows them rep A's records
# and never rep B's; a record page of rep A's says why they see it ("… in your department, East").
# The API's read keys are company-wide and only a company-wide scope may create one
# (tests/unit/test_scoped_reads.py).
# collab_read / collab_edit: reps (scope: own records) who own nothing here but whom rep A made collaborators
# (协作人, issue 22). collab_read is a READ collaborator on rep A's lead, deal and customer; collab_edit an EDIT
# collaborator on rep A's lead and customer only, and reaches the deal through the customer (a customer's
# collaboration extends to its deals). Both see rep A's records in every list and on their pages (with the
# "shared with you" badge) and never rep B's; what each access lets them do is test_collaborators_act_by_access.
COLLABORATORS = ('collab_read', 'collab_edit')
SHARED_BADGE = '"data-testid": "shared-with-you"'

# Outcomes
OK = 'ok'                # 200, the page shows its content (and the record)
LOGIN = 'login'          # 3xx to /login?next=…
REFUSED = 'refused'      # 200 with the "not allowed" message and none of the record
MISSING = 'missing'      # 200 with "not found"
HOME = 'home'            # 3xx to / (a signed-in user opening /login)
TO_LOGIN = 'to_login'    # 3xx to /login (setup done, logout)
PUBLIC = 'public'        # served to anyone, no data of ours
UNAUTHORISED = 401       # API: no or a bad key
FORBIDDEN = 403          # API: a capture-only key reading
NOT_FOUND = 404
CREATED = 201

# Every record of rep A carries "Alpha", of rep B "Bravo", the unowned one "Orphan":
# a page a role may open must never contain the token of a record the role may not see.
HIDDEN_FROM = {
    'anonymous': ('Alpha', 'Bravo', 'Orphan'),
    'rep_a': ('Bravo',),
    'rep_b': ('Alpha',),
    'marketing': (), 'manager': (), 'admin': (),
    'dept_manager': ('Bravo',),
    'collab_read': ('Bravo',), 'collab_edit': ('Bravo',),
}


@dataclass
class Records:
    lead_a: int
    lead_b: int
    lead_orphan: int
    deal_a: int
    deal_b: int
    account_a: int
    account_b: int
    form_key: str


@dataclass(frozen=True)
class Visit:
    """One concrete URL and, per role, the outcome and the tokens the page must show."""

    url: str
    outcome: dict[str, str | int]
    shows: dict[str, tuple[str, ...]]


def signed_in(shows: dict[str, tuple[str, ...]] | None = None) -> tuple[dict[str, str | int], dict]:
    return {r: LOGIN if r == 'anonymous' else OK for r in ROLES}, shows or {}


def team_only(*extra: str) -> dict[str, str | int]:
    """Managers and admins (and the roles named) may open it; others are refused."""
    allowed = {'manager', 'admin', 'dept_manager', *extra}
    return {r: LOGIN if r == 'anonymous' else OK if r in allowed else REFUSED for r in ROLES}


def owned(owner: str | None, token: str) -> tuple[dict[str, str | int], dict]:
    """A record page: its owner and everyone who sees all records may open it."""
    outcome: dict[str, str | int] = {}
    for r in ROLES:
        if r == 'anonymous':
            outcome[r] = LOGIN
        elif r in ('marketing', 'manager', 'admin') or r == owner or (r == 'dept_manager' and owner == 'rep_a'):
            outcome[r] = OK
        elif r in COLLABORATORS and owner == 'rep_a':  # shared with them by rep A
            outcome[r] = OK
        else:
            outcome[r] = REFUSED
    shows = {r: (token,) for r, o in outcome.items() if o == OK}
    if owner == 'rep_a':  # the "why can I see this?" line names the department that grants it
        shows['dept_manager'] = (token, 'East')
        shows |= dict.fromkeys(COLLABORATORS, (token, SHARED_BADGE))
    return outcome, shows


def same(outcome: str | int) -> dict[str, str | int]:
    return dict.fromkeys(ROLES, outcome)


EVERYONE = ('marketing', 'manager', 'admin')


def _all(a: str, b: str, *, department: bool = True) -> dict[str, tuple[str, ...]]:
    """`department`: the list honours data scopes (the department manager sees rep A's record). Rep A's
    collaborators see rep A's record in every list."""
    shows = {'rep_a': (a,), 'rep_b': (b,), **dict.fromkeys(EVERYONE, (a, b)), **dict.fromkeys(COLLABORATORS, (a,))}
    return shows | ({'dept_manager': (a,)} if department else {})


# path (as registered) → the visits that exercise it. Keep in step with ui/__init__.py.
PAGES: dict[str, Callable[[Records], list[Visit]]] = {
    '/': lambda r: [Visit('/', *signed_in(_all('Alpha Lead', 'Bravo Lead')))],
    '/setup': lambda r: [Visit('/setup', same(TO_LOGIN), {})],
    '/login': lambda r: [Visit('/login', {r: OK if r == 'anonymous' else HOME for r in ROLES}, {})],
    '/logout': lambda r: [],  # visited last, on its own: it ends the session (test_logout_…)
    # The login's second half: without a valid one-time ticket nobody gets a session (tests/ui/test_security.py).
    '/session/start': lambda r: [Visit('/session/start', same(TO_LOGIN), {}),
                                 Visit('/session/start?ticket=forged&next=/settings', same(TO_LOGIN), {})],
    '/language': lambda r: [Visit('/language?to=en', same(HOME), {})],  # sets a cookie, shows nothing
    # Password reset by email (ui/pages/password_reset.py): without SMTP set up /forgot sends everyone to the
    # login; /reset is a bare form for anyone (a token that is not a live one sets nothing).
    '/forgot': lambda r: [Visit('/forgot', same(TO_LOGIN), {})],
    '/reset': lambda r: [Visit('/reset?token=forged', same(PUBLIC), {})],
    '/leads/{lead_id}': lambda r: [
        Visit(f'/leads/{r.lead_a}', *owned('rep_a', 'Alpha Lead')),
        Visit(f'/leads/{r.lead_b}', *owned('rep_b', 'Bravo Lead')),
        Visit(f'/leads/{r.lead_orphan}', *owned(None, 'Orphan Lead')),
        Visit('/leads/999999', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
        Visit('/leads/not-a-number', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
        Visit(f'/leads/{2**64}', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
    ],
    '/opportunities/{opportunity_id}': lambda r: [
        Visit(f'/opportunities/{r.deal_a}', *owned('rep_a', 'Alpha Deal')),
        Visit(f'/opportunities/{r.deal_b}', *owned('rep_b', 'Bravo Deal')),
        Visit('/opportunities/999999', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
        Visit(f'/opportunities/{2**64}', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
    ],
    '/customers': lambda r: [Visit('/customers', *signed_in(_all('Alpha Deal', 'Bravo Deal')))],
    '/customers/{account_id}': lambda r: [
        Visit(f'/customers/{r.account_a}', *owned('rep_a', 'Alpha Deal')),
        Visit(f'/customers/{r.account_b}', *owned('rep_b', 'Bravo Deal')),
        Visit('/customers/999999', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
        Visit(f'/customers/{2**64}', {x: LOGIN if x == 'anonymous' else MISSING for x in ROLES}, {}),
    ],
    '/pipeline': lambda r: [Visit('/pipeline', *signed_in(_all('Alpha Deal', 'Bravo Deal')))],
    '/pool': lambda r: [Visit('/pool', *signed_in(dict.fromkeys(ROLES[1:], ('Orphan Lead',))))],
    '/settings': lambda r: [Visit('/settings', team_only('marketing'), {})],
    '/automation': lambda r: [Visit('/automation', team_only(), {})],
    '/rules': lambda r: [Visit('/rules', team_only(), {})],
    '/playbooks': lambda r: [Visit('/playbooks', team_only(), {})],
    '/team': lambda r: [Visit('/team', team_only(), {'manager': ('Rep Li',), 'admin': ('Rep Li',),
                                                     'dept_manager': ('Rep Li',)})],
    '/notifications': lambda r: [Visit('/notifications', *signed_in())],
    '/digests': lambda r: [Visit('/digests', *signed_in())],
    '/account': lambda r: [Visit('/account', *signed_in())],
    '/import': lambda r: [Visit('/import', team_only('marketing'), {})],
    '/duplicates': lambda r: [Visit('/duplicates', team_only(), {})],
    '/reports': lambda r: [Visit('/reports', *signed_in())],  # reps: their own numbers only
    # search: a rep finds their own records (and pool leads as the pool shows them), never another rep's
    '/search': lambda r: [Visit('/search?q=Lead', *signed_in(_all('Alpha Lead', 'Bravo Lead'))),
                          Visit('/search?q=Deal', *signed_in(_all('Alpha Deal', 'Bravo Deal')))],
    '/webhooks': lambda r: [Visit('/webhooks', {x: LOGIN if x == 'anonymous' else OK if x == 'admin' else REFUSED
                                                for x in ROLES}, {})],
}

# Plain-HTML public routes (the hosted web form, ui/webform.py; no NiceGUI page, no session): the
# same answer for every role, signed in or not, and none of our records in it.
PUBLIC_ROUTES: dict[tuple[str, str], Callable[[Records], list[tuple[str, int]]]] = {
    ('GET', '/f/{form_key}'): lambda r: [(f'/f/{r.form_key}', 200), ('/f/no-such-form', NOT_FOUND)],
    ('POST', '/f/{form_key}'): lambda r: [(f'/f/{r.form_key}', 200), ('/f/no-such-form', NOT_FOUND)],
}

# API: method + path → (per key kind) status. The API ignores the browser session: a signed-in
# rep without a key is as anonymous as anyone.
API_KEYS = ('none', 'session_only', 'capture', 'read', 'revoked')
API: dict[tuple[str, str], dict[str, int]] = {
    ('GET', '/health'): dict.fromkeys(API_KEYS, 200),
    ('GET', '/ready'): dict.fromkeys(API_KEYS, 200),  # public, like /health: a load balancer's probe
    ('POST', '/api/v1/leads'): {'none': UNAUTHORISED, 'session_only': UNAUTHORISED, 'capture': CREATED,
                                'read': CREATED, 'revoked': UNAUTHORISED},
    ('GET', '/api/v1/leads/{lead_id}'): {'none': UNAUTHORISED, 'session_only': UNAUTHORISED, 'capture': FORBIDDEN,
                                         'read': 200, 'revoked': UNAUTHORISED},
}

# NiceGUI's and FastAPI's own routes: scripts, styles, the socket, the API's documentation.
FRAMEWORK = (re.compile(r'^/_nicegui(_ws)?(/|$)'), re.compile(r'^/(openapi\.json|docs|docs/oauth2-redirect|redoc|'
                                                             r'favicon\.ico)$'))


def registered_routes() -> set[tuple[str, str]]:
    """(method, path) of every route on NiceGUI's app and on the API app in front of it (ui/api.py),
    included routers walked."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list, prefix: str = '') -> None:
        for route in routes:
            if isinstance(route, APIRoute | Route):
                for method in route.methods or {'GET'}:
                    if method != 'HEAD':
                        found.add((method, prefix + route.path))
            elif isinstance(route, Mount):
                found.add(('MOUNT', prefix + route.path))
            elif hasattr(route, 'original_router'):  # FastAPI ≥ 0.16x keeps included routers whole
                context = getattr(route, 'include_context', None)
                walk(route.original_router.routes, prefix + (getattr(context, 'prefix', '') or ''))
            else:
                found.add(('UNKNOWN', repr(route)))
    walk(app.routes)
    walk(app.state.api.routes)
    return found


def page_text(user: User) -> str:
    """Everything the page holds for the browser: texts and props (table rows, HTML) of every element."""
    return '\n'.join((el._text or '') + json.dumps(el._props, default=str, ensure_ascii=False)
                     for el in list(user.client.elements.values()))


def seed(team: Team) -> Records:
    from tests.ui.test_customers_page import won_deal
    from tests.ui.test_pool_page import pool_lead

    desk = team.desk
    lead_a = desk.leads.capture_lead(factories.lead_data(name='Alpha Lead'), channel='manual',
                                     default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id
    lead_b = desk.leads.capture_lead(factories.lead_data(name='Bravo Lead'), channel='manual',
                                     default_source='manual', actor=team.rep_b, keep_for_actor=True).lead_id
    orphan = pool_lead(team, name='Orphan Lead')
    account_a, deal_a = won_deal(team, team.rep_a, 'Alpha Deal')
    account_b, deal_b = won_deal(team, team.rep_b, 'Bravo Deal')
    form = desk.access.create_web_form(None, name='Contact us')
    return Records(lead_a=lead_a, lead_b=lead_b, lead_orphan=orphan, deal_a=deal_a, deal_b=deal_b,
                   account_a=account_a, account_b=account_b, form_key=form.key)


@pytest.fixture
def marketing(team: Team) -> UserRef:
    return factories.user(team.desk, Role.MARKETING, name='Mark Eting')


@pytest.fixture
def dept_manager(team: Team) -> UserRef:
    """A manager of the department East (rep A's, not rep B's), managers' scope: department and below."""
    desk = team.desk
    boss = factories.user(desk, Role.MANAGER, name='Dept Manager Qian')
    east = desk.departments.add(None, 'East')
    for who in (boss, team.rep_a):
        desk.departments.place_user(None, who.id, east)
    desk.departments.set_scopes(team.admin, {Role.MANAGER: 'department_tree'})
    return boss


def collaborators(team: Team) -> dict[str, UserRef]:
    """The two collaborator reps (role → user). Made after `seed`: reps made before it would be handed
    the orphan lead, which `seed` captures while rep A and rep B are on leave."""
    return {'collab_read': factories.user(team.desk, Role.REP, name='Rep Sun'),
            'collab_edit': factories.user(team.desk, Role.REP, name='Rep Zhou')}


def share(team: Team, records: Records, collab: dict[str, UserRef]) -> None:
    """Rep A, the owner, shares: READ on the lead, the deal and the customer; EDIT on the lead and the
    customer (the deal comes with the customer)."""
    add = team.desk.collaborators.add
    for kind, record_id in ((RecordKind.LEAD, records.lead_a), (RecordKind.OPPORTUNITY, records.deal_a),
                            (RecordKind.CUSTOMER, records.account_a)):
        add(team.rep_a, kind, record_id, user_id=collab['collab_read'].id, access=Access.READ)
    for kind, record_id in ((RecordKind.LEAD, records.lead_a), (RecordKind.CUSTOMER, records.account_a)):
        add(team.rep_a, kind, record_id, user_id=collab['collab_edit'].id, access=Access.EDIT)


def actor(team: Team, marketing: UserRef, role: str, dept_manager: UserRef | None = None,
          collab: dict[str, UserRef] | None = None) -> UserRef | None:
    return {'anonymous': None, 'rep_a': team.rep_a, 'rep_b': team.rep_b, 'marketing': marketing,
            'manager': team.manager, 'admin': team.admin, 'dept_manager': dept_manager, **(collab or {})}[role]


async def test_the_table_knows_every_route(user: User, team: Team) -> None:
    unknown = []
    for method, path in sorted(registered_routes()):
        if any(p.match(path) for p in FRAMEWORK):
            continue
        if method == 'GET' and path in PAGES:
            continue
        if (method, path) in API or (method, path) in PUBLIC_ROUTES:
            continue
        unknown.append(f'{method} {path}')
    assert unknown == [], f'routes missing from the authorisation table: {unknown}'
    missing = [p for p in PAGES if ('GET', p) not in registered_routes()]
    missing += [f'{m} {p}' for m, p in PUBLIC_ROUTES if (m, p) not in registered_routes()]
    assert missing == [], f'table rows for routes that no longer exist: {missing}'


async def until_shown(user: User, tokens: tuple[str, ...]) -> str:
    """The page text once every token is in it (pages fill tables after the first response)."""
    for _ in range(60):
        text = page_text(user)
        if all(t in text for t in tokens):
            return text
        await asyncio.sleep(0.05)
    return page_text(user)


async def check(user: User, role: str, visit: Visit) -> list[str]:
    """The visit's failures, as sentences (empty: as the table says)."""
    expected = visit.outcome[role]
    where = f'{role} {visit.url}: expected {expected}'
    first = await user.http_client.get(visit.url, follow_redirects=False)
    location = first.headers.get('location', '')
    if expected == LOGIN:
        return [] if first.is_redirect and location.startswith('/login?next=') else \
            [f'{where}, got {first.status_code} {location}']
    if expected == TO_LOGIN:
        return [] if first.is_redirect and location == '/login' else [f'{where}, got {first.status_code} {location}']
    if expected == HOME:
        return [] if first.is_redirect and location == '/' else [f'{where}, got {first.status_code} {location}']
    if first.status_code != 200:
        return [f'{where}, got {first.status_code} {location}']
    await user.open(visit.url)
    text = await until_shown(user, visit.shows.get(role, ()))
    problems = []
    refused = '"data-testid": "not-allowed"' in text
    missing = '"data-testid": "not-found"' in text
    if expected == OK:
        if refused or missing:
            problems.append(f'{where}, got refused={refused} missing={missing}')
        problems += [f'{where}, does not show {t!r}' for t in visit.shows.get(role, ()) if t not in text]
    elif expected == REFUSED and not refused:
        problems.append(f'{where}, no refusal shown')
    elif expected == MISSING and not missing:
        problems.append(f'{where}, no "not found" shown')
    problems += [f'{role} {visit.url}: shows {t!r}, which {role} may not see'
                 for t in HIDDEN_FROM[role] if t in text]
    return problems


@pytest.mark.parametrize('role', ROLES)
async def test_pages_by_role(user: User, team: Team, marketing: UserRef, dept_manager: UserRef,
                            role: str) -> None:
    records = seed(team)
    collab = collaborators(team)
    share(team, records, collab)
    who = actor(team, marketing, role, dept_manager, collab)
    if who is not None:
        await login(user, who.email)
    problems: list[str] = []
    for path in sorted(PAGES):
        for visit in PAGES[path](records):
            problems += await check(user, role, visit)
    assert problems == []


@pytest.mark.parametrize('role', COLLABORATORS)
async def test_collaborators_act_by_access(user: User, team: Team, role: str) -> None:
    """On rep A's lead both collaborators may log an activity; only EDIT gets the edit controls, and the
    core refuses READ's edit however it is sent. Neither may share further; rep A stays the owner."""
    records = seed(team)
    collab = collaborators(team)
    share(team, records, collab)
    await login(user, collab[role].email)
    await user.open(f'/leads/{records.lead_a}')
    await user.should_see(marker='shared-with-you')
    await user.should_see(marker='log-activity')
    await user.should_not_see(marker='collaborator-add')
    if role == 'collab_edit':
        await user.should_see(marker='tag-add')
        await user.should_see(marker='disqualify')
    else:
        await user.should_not_see(marker='tag-add')
        await user.should_not_see(marker='disqualify')
    desk = team.desk
    who = desk.team.login(collab[role].email, factories.PASSWORD)[0]  # a session's ref: its reach resolved
    desk.leads.log_activity(who, records.lead_a, kind='call', note=f'Helped ({role})')
    view = desk.leads.lead_view(who, records.lead_a)
    assert view.can_edit == (role == 'collab_edit')
    change = partial(desk.leads.update_lead, who, records.lead_a, version=view.lead.version,
                     changes={'title': 'Buyer'})
    if role == 'collab_edit':
        change()
    else:
        with pytest.raises(NotAllowed):
            change()
    with pytest.raises(NotAllowed):
        desk.collaborators.add(who, RecordKind.LEAD, records.lead_a, user_id=team.rep_b.id, access=Access.READ)
    assert desk.leads.lead_view(team.rep_a, records.lead_a).owner_name == team.rep_a.name


@pytest.mark.env(LEADDESK_FORM_RATE_PER_MINUTE='1000')
@pytest.mark.parametrize('role', ROLES)
async def test_public_form_by_role(user: User, team: Team, marketing: UserRef, dept_manager: UserRef,
                                   role: str) -> None:
    """Anyone may open and send a web form; what it answers holds none of our records."""
    records = seed(team)
    collab = collaborators(team)
    share(team, records, collab)
    who = actor(team, marketing, role, dept_manager, collab)
    if who is not None:
        await login(user, who.email)
    problems = []
    for (method, _path), visits in PUBLIC_ROUTES.items():
        for url, expected in visits(records):
            if method == 'GET':
                r = await user.http_client.get(url, follow_redirects=False)
            else:
                r = await user.http_client.post(url, data={'name': f'Visitor {role}', 'phone': '13800138111'},
                                                follow_redirects=False)
            if r.status_code != expected:
                problems.append(f'{role} {method} {url}: expected {expected}, got {r.status_code}')
            if 'set-cookie' in r.headers:
                problems.append(f'{role} {method} {url}: sets a cookie')
            problems += [f'{role} {method} {url}: shows {t!r}' for t in HIDDEN_FROM['anonymous'] if t in r.text]
    assert problems == []


@pytest.mark.parametrize('role', ROLES[1:])
async def test_logout_ends_the_session_for_every_role(user: User, team: Team, marketing: UserRef,
                                                      dept_manager: UserRef, role: str) -> None:
    who = actor(team, marketing, role, dept_manager, collaborators(team))
    assert who is not None
    await login(user, who.email)
    out = await user.http_client.get('/logout', follow_redirects=False)
    assert out.is_redirect and out.headers['location'] == '/login'
    after = await user.http_client.get('/', follow_redirects=False)
    assert after.is_redirect and after.headers['location'].startswith('/login')


@pytest.mark.parametrize('kind', API_KEYS)
async def test_api_by_key(user: User, team: Team, kind: str) -> None:
    records = seed(team)
    headers: dict[str, str] = {}
    if kind == 'session_only':
        await login(user, team.manager.email)  # a signed-in browser is no API credential
    elif kind in ('capture', 'read', 'revoked'):
        headers['X-API-Key'] = team.desk.access.create_api_key(None, name=kind,
                                                               scope='read' if kind == 'read' else 'capture')
        if kind == 'revoked':
            key_id = max(k.id or 0 for k in team.desk.access.api_keys(team.admin))
            team.desk.access.revoke_api_key(team.admin, key_id)
    problems = []
    for (method, path), by_key in API.items():
        expected = by_key[kind]
        if path == '/api/v1/leads/{lead_id}':
            urls = [f'/api/v1/leads/{i}' for i in (records.lead_a, records.lead_b, records.lead_orphan)]
            for url in urls:
                r = await user.http_client.get(url, headers=headers)
                if r.status_code != expected:
                    problems.append(f'{kind} GET {url}: expected {expected}, got {r.status_code}')
                elif expected >= 400 and not r.json().get('detail'):
                    problems.append(f'{kind} GET {url}: error without a message')
            if expected == 200:
                for missing in (999999, 2**64):
                    r = await user.http_client.get(f'/api/v1/leads/{missing}', headers=headers)
                    if r.status_code != NOT_FOUND:
                        problems.append(f'{kind} GET lead {missing}: expected 404, got {r.status_code}')
        elif method == 'POST':
            r = await user.http_client.post(path, headers=headers,
                                            json={'name': f'API {kind}', 'phone': '13800138000'})
            if r.status_code != expected:
                problems.append(f'{kind} POST {path}: expected {expected}, got {r.status_code}')
        else:
            r = await user.http_client.get(path, headers=headers)
            if r.status_code != expected:
                problems.append(f'{kind} GET {path}: expected {expected}, got {r.status_code}')
    assert problems == []


@pytest.mark.parametrize('path', ['/openapi.json', '/docs', '/redoc', '/favicon.ico'])
async def test_framework_routes_hold_no_data(user: User, team: Team, path: str) -> None:
    seed(team)
    r = await user.http_client.get(path)
    assert r.status_code == 200
    assert not any(t in r.text for t in HIDDEN_FROM['anonymous'])


def test_matrix_covers_the_same_roles_everywhere() -> None:
    records = Records(1, 2, 3, 4, 5, 6, 7, 'k')
    for path, visits in PAGES.items():
        for visit in visits(records):
            assert set(visit.outcome) == set(ROLES), path
    for key, by_key in API.items():
        assert set(by_key) == set(API_KEYS), key
