"""Who may see and do what (PRODUCT.md, Roles). Checked in core, so the UI, a crafted
URL and the API all meet the same rule."""

from __future__ import annotations

from store.models import CLOSED_STATUSES, Account, Lead, Opportunity, Reach, RecordKind, Role, UserRef

TEAM_ROLES = (Role.ADMIN, Role.MANAGER)


def reach(actor: UserRef) -> Reach:
    """Whose records `actor` may see: the data scope resolved for this request
    (core/accounts/reach.py), else the role's fixed default (a ref built without a database)."""
    if actor.reach is not None:
        return actor.reach
    if actor.role in (Role.ADMIN, Role.MANAGER, Role.MARKETING):
        return Reach(everyone=True)
    return Reach(everyone=False, owner_ids=frozenset({actor.id}))


def list_reach(actor: UserRef) -> Reach | None:
    """What a list query filters by (store/queries/reach_filter.py `visible`): None for everyone's,
    else the reach with the actor's own records always in it."""
    r = reach(actor)
    if r.everyone:
        return None
    return r if actor.id in r.owner_ids else Reach(everyone=False, owner_ids=r.owner_ids | {actor.id}, shared=r.shared)


def owner_asked(actor: UserRef, owner_id: int | None) -> int | None:
    """An owner filter a reader asked for, kept only inside their reach: one outside it names no
    owner of theirs (-1 matches nothing), never a wider list."""
    return owner_id if owner_id is None or in_reach(actor, owner_id) else -1


def sees(actor: UserRef, kind: RecordKind, record_id: int | None, owner_id: int | None) -> bool:
    """The single-record rule: owned within the reach, or shared with the actor (`Reach.sees`)."""
    return owner_id == actor.id or reach(actor).sees(kind, record_id, owner_id)


def sees_all_leads(actor: UserRef) -> bool:
    return reach(actor).everyone


def in_reach(actor: UserRef, owner_id: int | None) -> bool:
    """A record owned by `owner_id` is within what `actor` may see (unowned ones: only with everyone)."""
    return owner_id == actor.id or reach(actor).covers(owner_id)


def can_view_lead(actor: UserRef, lead: Lead) -> bool:
    return sees(actor, RecordKind.LEAD, lead.id, lead.owner_id)


def can_edit_lead(actor: UserRef, lead: Lead) -> bool:
    """Managers and admins edit open leads within their reach, a rep only own ones, a collaborator with
    EDIT access the shared ones; closed leads are read-only."""
    if lead.status in CLOSED_STATUSES:
        return False
    return (actor.role in TEAM_ROLES and in_reach(actor, lead.owner_id)) or (
        actor.role == Role.REP and lead.owner_id == actor.id) or reach(actor).edits_shared(RecordKind.LEAD, lead.id)


def can_log_activity(actor: UserRef, lead: Lead) -> bool:
    """Like editing, and any collaborator of an open lead (READ access logs calls and notes too: the
    colleague who was asked to help records what they did), and the previous owner of a just-recycled
    lead: work done in the minute the timer took the lead back is kept in its history, not refused."""
    return can_edit_lead(actor, lead) or (lead.status == 'pool' and lead.previous_owner_id == actor.id) or (
        lead.status not in CLOSED_STATUSES and lead.status != 'pool' and reach(actor).shares(RecordKind.LEAD, lead.id))


def can_view_opportunity(actor: UserRef, o: Opportunity) -> bool:
    return sees(actor, RecordKind.OPPORTUNITY, o.id, o.owner_id)


def can_edit_opportunity(actor: UserRef, o: Opportunity) -> bool:
    """Managers and admins within their scope, the owner, and a collaborator with EDIT access (on the
    deal or its customer)."""
    return (can_assign(actor) and in_reach(actor, o.owner_id)) or o.owner_id == actor.id or \
        reach(actor).edits_shared(RecordKind.OPPORTUNITY, o.id)


def can_log_on_opportunity(actor: UserRef, o: Opportunity) -> bool:
    """Whoever may edit the deal, and any of its collaborators (READ access logs activities too)."""
    return can_edit_opportunity(actor, o) or reach(actor).shares(RecordKind.OPPORTUNITY, o.id)


def can_view_customer(actor: UserRef, account: Account) -> bool:
    return sees(actor, RecordKind.CUSTOMER, account.id, account.owner_id)


def can_edit_customer(actor: UserRef, account: Account) -> bool:
    """As `can_edit_opportunity`: managers within their scope, the owner, an EDIT collaborator."""
    return (can_assign(actor) and in_reach(actor, account.owner_id)) or account.owner_id == actor.id or \
        reach(actor).edits_shared(RecordKind.CUSTOMER, account.id)


def can_manage_collaborators(actor: UserRef, owner_id: int | None) -> bool:
    """Adding and removing a record's collaborators: its owner, and managers and admins whose reach
    holds the owner (collaborators themselves may not: sharing is the owner's decision)."""
    return (owner_id is not None and owner_id == actor.id) or (actor.role in TEAM_ROLES and in_reach(actor, owner_id))


def can_assign(actor: UserRef) -> bool:
    return actor.role in TEAM_ROLES


def can_manage_users(actor: UserRef) -> bool:
    return actor.role == Role.ADMIN


def can_capture(actor: UserRef) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.REP)


def can_manage_integrations(actor: UserRef) -> bool:
    """API keys."""
    return actor.role in (Role.ADMIN, Role.MARKETING)


def can_manage_web_forms(actor: UserRef) -> bool:
    """The hosted web forms: what they ask, their language, who may embed them. Marketing runs
    them; managers too, since a form decides what the team's leads arrive with."""
    return actor.role in (Role.ADMIN, Role.MARKETING, Role.MANAGER)


def can_import(actor: UserRef) -> bool:
    """Importing files of leads (PRODUCT.md: marketing imports; managers and admins too)."""
    return actor.role in (Role.ADMIN, Role.MANAGER, Role.MARKETING)


def can_merge(actor: UserRef) -> bool:
    """Merging near-duplicate leads and undoing a merge: managers and admins."""
    return actor.role in TEAM_ROLES
def can_enter_costs(actor: UserRef) -> bool:
    """Channel costs (what a source cost per month) feed channel ROI: marketing's figures."""
    return actor.role in (Role.ADMIN, Role.MARKETING)


def can_read_team_reports(actor: UserRef) -> bool:
    """Reports of more than one person (the company, or a department scope, per rep and per
    department); everyone else (reps) reads only their own numbers."""
    r = reach(actor)
    return r.everyone or len(r.owner_ids - {actor.id}) > 0


def can_manage_webhooks(actor: UserRef) -> bool:
    """Outbound webhooks send the team's leads to outside systems: admins only."""
    return actor.role == Role.ADMIN


def can_define_fields(actor: UserRef) -> bool:
    """Custom fields change what every lead holds and what the API accepts: admins only."""
    return actor.role == Role.ADMIN


def can_define_tags(actor: UserRef) -> bool:
    """The tag catalogue (names, colours, retiring): admins and managers, who run the team's lists."""
    return actor.role in TEAM_ROLES


def can_tag_customer(actor: UserRef, owner_id: int | None) -> bool:
    """Tags on a customer: managers and admins, and the rep who owns the account."""
    return actor.role in TEAM_ROLES or (actor.role == Role.REP and owner_id == actor.id)
