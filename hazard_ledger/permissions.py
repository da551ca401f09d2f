"""Who may see and do what: every role check of the service, as named predicates and
filters, so the rules read as one list. Operations ask them (and refuse with a 403 or,
where a refusal would confirm that a thing exists, a 404); views and templates ask the
same predicates and never compare roles; only the workflow's rulebook (who may fire
which event) keeps its own table.

What a role sees (its scope):

- worker: the hazards they reported or are the responsible user of, their own awards
  and inspections;
- safety officer: every hazard, inspection and notice of their enterprise;
- inspector: every enterprise in their jurisdiction and below it (organisations/tree.py);
- admin: everything; so does the command line (viewer None), run by whoever runs the
  service.

Who may read the union's instruments at all (the API and the pages ask the same
predicate; what a reader then sees is cut to their scope by the clauses below):

- the overdue audit (`may_read_overdue`): inspectors and admins audit; a safety officer
  reads their own enterprise's overdue items (it is their work list); a worker has no
  business in it (403);
- training and drill compliance (`may_read_compliance`): inspectors and admins; a safety
  officer reads their own enterprise's (they keep its roster); a worker: 403;
- the union's side (`may_audit`): the tree, jurisdictions' coverage and classes, the
  year-end compliance reports, issuing notices: inspectors and admins only.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_, select, true
from sqlalchemy.orm import Session

from hazard_ledger.enums import Role
from hazard_ledger.errors import NotFound
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.levels import county_or_higher
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.prevention.models import Inspection
from hazard_ledger.rewards.models import Award
from hazard_ledger.union.models import Notice

# ---- roles and where they belong ---------------------------------------------------------


def may_administer(user: User | None) -> bool:
    """Keeps the tree, the enterprises, the accounts and the webhooks: admins, and the
    command line (None)."""
    return user is None or user.role is Role.ADMIN


def may_audit(user: User) -> bool:
    """The union's own side across enterprises: inspectors and admins."""
    return user.role in (Role.INSPECTOR, Role.ADMIN)


def officer_of(user: User, enterprise_id: int | None) -> bool:
    """A safety officer of this enterprise."""
    return user.role is Role.SAFETY_OFFICER and enterprise_id is not None and user.enterprise_id == enterprise_id


def sees_only_own_reports(user: User) -> bool:
    """A worker: their own reports, awards and assignments (their own page, /mine)."""
    return user.role is Role.WORKER


def belongs_to_enterprise(role: Role) -> bool:
    """Workers and safety officers are an enterprise's people (a user of this role names it)."""
    return role in (Role.WORKER, Role.SAFETY_OFFICER)


def belongs_to_jurisdiction(role: Role) -> bool:
    """An inspector works for one union (a user of this role names it)."""
    return role is Role.INSPECTOR


def command_line_user() -> User:
    """The command line as a viewer where an operation wants a user: it sees as an admin does."""
    return User(id=0, username="cli", role=Role.ADMIN, active=True)


def active_officers() -> ColumnElement[bool]:
    """Filter on User: active safety officers (who hear an enterprise's reminders)."""
    return and_(User.role == Role.SAFETY_OFFICER, User.active.is_(True))


def active_inspectors() -> ColumnElement[bool]:
    """Filter on User: active inspectors (who hear their union's escalations)."""
    return and_(User.role == Role.INSPECTOR, User.active.is_(True))


def workers() -> ColumnElement[bool]:
    """Filter on User: workers (whose reports may earn honours and awards)."""
    return User.role == Role.WORKER


# ---- scope: what a viewer sees ------------------------------------------------------------

def jurisdictions_in_scope(session: Session, viewer: User) -> list[int] | None:
    """The ids of the jurisdictions `viewer` oversees; None: all of them (an admin)."""
    if viewer.role is Role.ADMIN:
        return None
    if viewer.role is Role.INSPECTOR and viewer.jurisdiction_id is not None:
        return tree.subtree(session, viewer.jurisdiction_id)
    return []


def inspector_over(session: Session, user: User, jurisdiction_id: int) -> bool:
    """An inspector of this union or of one above it."""
    return (user.role is Role.INSPECTOR and user.jurisdiction_id is not None
            and jurisdiction_id in tree.subtree(session, user.jurisdiction_id))


def oversees(session: Session, user: User, jurisdiction_id: int) -> bool:
    """An admin, or an inspector of this union or one above it."""
    return user.role is Role.ADMIN or inspector_over(session, user, jurisdiction_id)


def enterprise_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Enterprise for what `viewer` may see."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        return Enterprise.jurisdiction_id.in_(jurisdictions_in_scope(session, viewer))
    if viewer.enterprise_id is not None:
        return Enterprise.id == viewer.enterprise_id
    return false()


def jurisdiction_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Jurisdiction for what `viewer` may see: an inspector's subtree, all for
    an admin, none for an enterprise's people."""
    ids = jurisdictions_in_scope(session, viewer)
    return true() if ids is None else Jurisdiction.id.in_(ids)


def of_enterprises_in_scope(session: Session, viewer: User, enterprise_id) -> ColumnElement[bool]:
    """Filter on rows of an enterprise (`enterprise_id`, their column): those of the
    enterprises `viewer` oversees or works for; none for a worker (who sees their own
    rows only: each clause below says which)."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        return enterprise_id.in_(select(Enterprise.id).where(enterprise_clause(session, viewer)))
    if viewer.role is Role.SAFETY_OFFICER:
        return enterprise_id == viewer.enterprise_id
    return false()


def the_visible(session: Session, query: Select, missing: str, for_update: bool = False,
                parameters: dict | None = None):
    """The one record `query` (with its `parameters`) selects, already narrowed to what
    the viewer may see; a 404 (`missing`) otherwise, never a 403 that would confirm the
    record exists. `for_update`: its row locked for the transaction."""
    record = session.scalar(query.with_for_update() if for_update else query, parameters)
    if record is None:
        raise NotFound(missing)
    return record


def hazard_clause(session: Session, viewer: User | None) -> ColumnElement[bool]:
    """Filter on Hazard for what `viewer` may see; None is the command line: everything."""
    if viewer is None:
        return true()
    if sees_only_own_reports(viewer):
        return or_(Hazard.reporter_user_id == viewer.id, Hazard.responsible_user_id == viewer.id)
    return of_enterprises_in_scope(session, viewer, Hazard.enterprise_id)


def hazard_by_id(session: Session, viewer: User | None, hazard_id: int, for_update: bool = False
                 ) -> tuple[Select, dict]:
    """The SELECT of one hazard as `viewer` may see it, and its parameters (for
    the_visible). Built once per role from hazard_clause, given a stand-in viewer whose
    ids are parameters: building a SELECT costs more than running it, and every
    transition and work page reads its hazard so. An inspector's subtree is read per
    unit of work, so theirs is built each time."""
    if viewer is not None and viewer.role is Role.INSPECTOR:
        query = select(Hazard).where(Hazard.id == hazard_id, hazard_clause(session, viewer))
        return (query.with_for_update() if for_update else query), {}
    ids = {} if viewer is None else {"viewer_id": viewer.id, "viewer_enterprise_id": viewer.enterprise_id}
    return _hazard_by_id(None if viewer is None else viewer.role, for_update), {"hazard_id": hazard_id, **ids}


@lru_cache(maxsize=16, typed=True)  # typed: Role.ADMIN and "admin" hash alike
def _hazard_by_id(role: Role | None, for_update: bool) -> Select:
    stand_in = None if role is None else SimpleNamespace(
        role=role, id=bindparam("viewer_id"), enterprise_id=bindparam("viewer_enterprise_id"))
    query = select(Hazard).where(Hazard.id == bindparam("hazard_id"), hazard_clause(None, stand_in))
    return query.with_for_update() if for_update else query


# ---- hazards ---------------------------------------------------------------------------------

def may_see_reporter(viewer: User | None, hazard: Hazard) -> bool:
    """Reporter identity is confidential: the reporter, inspectors and admins only."""
    if viewer is None:
        return False
    if may_audit(viewer):
        return True
    return hazard.reporter_user_id is not None and hazard.reporter_user_id == viewer.id


def may_attach(actor: User, hazard: Hazard) -> bool:
    """Adds photos: inspectors and admins, the enterprise's safety officers, the reporter
    and the responsible user."""
    if may_audit(actor):
        return True
    if actor.role is Role.SAFETY_OFFICER:
        return actor.enterprise_id == hazard.enterprise_id
    return actor.id in (hazard.reporter_user_id, hazard.responsible_user_id)


def may_read_overdue(user: User) -> bool:
    """The overdue audit (GET /audit/overdue, the /audit page): the union's auditors, and
    a safety officer for their own enterprise (hazard_clause cuts the scope)."""
    return may_audit(user) or user.role is Role.SAFETY_OFFICER


def may_nudge(user: User) -> bool:
    """Sends a 催办 to the people who must rectify overdue hazards (the ledger's bulk
    action): safety officers, inspectors and admins, each for the hazards in their
    scope (hazard_clause: own enterprise, subtree, all); a worker does not chase others."""
    return user.role in (Role.SAFETY_OFFICER, Role.INSPECTOR, Role.ADMIN)


# ---- awards ---------------------------------------------------------------------------------

def reports_earn_awards(reporter: User | None) -> bool:
    """A signed-in report earns only when a worker made it: a safety officer's own report
    is their duty."""
    return reporter is not None and reporter.role is Role.WORKER


def may_decide_awards(user: User) -> bool:
    """Approves, pays and rejects awards, and sees who is paid: inspectors and admins."""
    return may_audit(user)


def award_clause(session: Session, viewer: User) -> ColumnElement[bool] | None:
    """Filter on Award for what `viewer` may see: their own awards for a worker, the
    subtree's for an inspector, all for an admin; None: a safety officer, who never sees
    who reported what, nor what they earned."""
    if sees_only_own_reports(viewer):
        return Award.reporter_user_id == viewer.id
    if viewer.role is Role.SAFETY_OFFICER:
        return None
    return of_enterprises_in_scope(session, viewer, Award.enterprise_id)


# ---- an enterprise's records: rosters, trainings, drills, the risk register ------------------

def may_write_for(user: User, enterprise_id: int) -> bool:
    """Keeps an enterprise's records (its roster, trainings and drills, its risk register
    and inspection plans): its safety officers, and admins."""
    return user.role is Role.ADMIN or officer_of(user, enterprise_id)


def may_read_compliance(user: User) -> bool:
    """Training and drill compliance (GET /compliance, the /compliance page): the union's
    auditors, and a safety officer for their own enterprise (enterprise_clause cuts the scope)."""
    return may_audit(user) or user.role is Role.SAFETY_OFFICER


def may_read_register(user: User) -> bool:
    """Reads risk registers and their coverage: safety officers (their own enterprise),
    inspectors (their subtree) and admins; not workers."""
    return user.role in (Role.SAFETY_OFFICER, Role.INSPECTOR, Role.ADMIN)


def may_be_assigned(user: User, enterprise_id: int) -> bool:
    """An inspection plan's assignee is an active user of the enterprise (a worker or a
    safety officer)."""
    return user.active and user.enterprise_id == enterprise_id and belongs_to_enterprise(user.role)


def assignable(enterprise_id: int) -> ColumnElement[bool]:
    """Filter on User: may_be_assigned, as SQL."""
    return and_(User.enterprise_id == enterprise_id, User.active.is_(True),
                User.role.in_([Role.WORKER, Role.SAFETY_OFFICER]))


def may_submit(user: User, inspection: Inspection) -> bool:
    """Records an inspection's results: its assignee, the enterprise's safety officers,
    admins. Inspectors read them."""
    return user.id == inspection.assignee_user_id or may_write_for(user, inspection.enterprise_id)


def inspection_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Inspection for what `viewer` may see: a worker their own assignments,
    a safety officer the enterprise's, an inspector the subtree's, an admin all."""
    if sees_only_own_reports(viewer):
        return Inspection.assignee_user_id == viewer.id
    return of_enterprises_in_scope(session, viewer, Inspection.enterprise_id)


# ---- the union's notices ------------------------------------------------------------------

def may_read_notices(user: User) -> bool:
    """The union's pages and documents: everyone but workers (to whom they are a 404)."""
    return user.role is not Role.WORKER


def notice_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Notice: the issuing side at or above the issuer, and the addressed
    enterprise's safety officers. Workers: none."""
    if viewer.role in (Role.ADMIN, Role.INSPECTOR):
        ids = jurisdictions_in_scope(session, viewer)
        return true() if ids is None else Notice.jurisdiction_id.in_(ids)
    if viewer.role is Role.SAFETY_OFFICER:
        return Notice.enterprise_id == viewer.enterprise_id
    return false()


def may_issue_notice(session: Session, user: User, enterprise: Enterprise) -> bool:
    """Inspectors whose subtree holds the enterprise, and admins."""
    return oversees(session, user, enterprise.jurisdiction_id)


def may_see_notice(session: Session, user: User, notice) -> bool:
    """The issuing side (the issuing union's inspectors and those above) and, for a notice
    to the enterprise, its safety officers. Workers never."""
    return oversees(session, user, notice.jurisdiction_id) or officer_of(user, notice.enterprise_id)


def may_reply_notice(user: User, notice) -> bool:
    """The enterprise's safety officers answer in writing."""
    return officer_of(user, notice.enterprise_id)


def may_accept_notice(session: Session, user: User, notice) -> bool:
    """Inspectors of the issuing union or above, and admins."""
    return oversees(session, user, notice.jurisdiction_id)


def may_escalate_notice(session: Session, user: User, notice) -> bool:
    """Only an inspector of a county-level or higher union, at or above the issuer: the
    recommendation is that union's own document, numbered in its series."""
    if not inspector_over(session, user, notice.jurisdiction_id):
        return False
    return county_or_higher(session.get(Jurisdiction, user.jurisdiction_id).level)


# ---- campaigns ----------------------------------------------------------------------------

def may_create_campaign(session: Session, user: User, jurisdiction: Jurisdiction) -> bool:
    """A city or county union, for itself; admins for any union."""
    if user.role is Role.ADMIN:
        return True
    return (user.role is Role.INSPECTOR and user.jurisdiction_id == jurisdiction.id
            and county_or_higher(jurisdiction.level))


def may_see_campaign(session: Session, user: User, campaign) -> bool:
    """Those whose scope meets the campaign's subtree: its union and those above, the
    unions below it, and the safety officers of the enterprises under it."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.INSPECTOR:
        return (campaign.jurisdiction_id in tree.subtree(session, user.jurisdiction_id)
                or campaign.jurisdiction_id in tree.ancestors(session, user.jurisdiction_id))
    if user.role is Role.SAFETY_OFFICER:
        enterprise = session.get(Enterprise, user.enterprise_id)
        return campaign.jurisdiction_id in tree.ancestors(session, enterprise.jurisdiction_id)
    return False


def may_run_campaign(session: Session, user: User, campaign) -> bool:
    """Coverage, honours, export: the campaign's union and those above it, and admins."""
    return oversees(session, user, campaign.jurisdiction_id)


def may_enrol(session: Session, user: User, enterprise: Enterprise) -> bool:
    """Inspectors whose subtree holds the enterprise, admins, and the enterprise's own
    safety officers (enrolling themselves)."""
    return oversees(session, user, enterprise.jurisdiction_id) or officer_of(user, enterprise.id)


def may_score(session: Session, user: User, enterprise: Enterprise) -> bool:
    """An inspector whose subtree holds the enterprise, or an admin."""
    return oversees(session, user, enterprise.jurisdiction_id)


def may_see_scores_of(session: Session, user: User, enterprise_id: int, jurisdiction_id: int) -> bool:
    return oversees(session, user, jurisdiction_id) or officer_of(user, enterprise_id)


def may_read_enterprise_papers(session: Session, user: User, enterprise: Enterprise) -> bool:
    """The yearly evidence pack and the major-hazards report for the workers' congress:
    the enterprise's safety officers, inspectors of its subtree, admins."""
    return oversees(session, user, enterprise.jurisdiction_id) or officer_of(user, enterprise.id)
