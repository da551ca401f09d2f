"""Who sees what. Every query of hazards and organisations goes through here, so the
tenancy rules live in one place:

- worker: the hazards they reported or are the responsible user of;
- safety officer: every hazard of their enterprise;
- inspector: every enterprise in their jurisdiction and below it;
- admin: everything.

Who may read the union's instruments at all (the API and the pages ask the same
predicate; what a reader then sees is cut to their scope by the clauses below):

- the overdue audit (`may_read_overdue`): inspectors and admins audit; a safety
  officer reads their own enterprise's overdue items (it is their work list); a worker
  has no business in it (403);
- training and drill compliance (`may_read_compliance`): inspectors and admins; a
  safety officer reads their own enterprise's (they keep its roster); a worker: 403;
- the union's side (`may_audit`): jurisdictions' coverage and classes, the year-end
  compliance reports: inspectors and admins only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from hazard_ledger.enums import Role
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User


def jurisdiction_subtree(session: Session, root_id: int) -> list[int]:
    """The ids of a jurisdiction and all below it (the tree is small: load it once)."""
    children: dict[int | None, list[int]] = {}
    for jid, parent_id in session.execute(select(Jurisdiction.id, Jurisdiction.parent_id)):
        children.setdefault(parent_id, []).append(jid)
    found, frontier = [root_id], [root_id]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found.extend(frontier)
    return found


def jurisdiction_ancestors(session: Session, jurisdiction_id: int) -> list[int]:
    """A jurisdiction and those above it, nearest first."""
    parents = dict(session.execute(select(Jurisdiction.id, Jurisdiction.parent_id)).all())
    chain, current = [], jurisdiction_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def enterprise_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Enterprise for what `viewer` may see."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        return Enterprise.jurisdiction_id.in_(jurisdiction_subtree(session, viewer.jurisdiction_id))
    if viewer.enterprise_id is not None:
        return Enterprise.id == viewer.enterprise_id
    return false()


def jurisdiction_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        return Jurisdiction.id.in_(jurisdiction_subtree(session, viewer.jurisdiction_id))
    return false()


def hazard_clause(session: Session, viewer: User | None) -> ColumnElement[bool]:
    """Filter on Hazard for what `viewer` may see; None is the command line, run by
    whoever runs the service: everything."""
    if viewer is None or viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        in_subtree = select(Enterprise.id).where(
            Enterprise.jurisdiction_id.in_(jurisdiction_subtree(session, viewer.jurisdiction_id))
        )
        return Hazard.enterprise_id.in_(in_subtree)
    if viewer.role is Role.SAFETY_OFFICER:
        return Hazard.enterprise_id == viewer.enterprise_id
    return or_(Hazard.reporter_user_id == viewer.id, Hazard.responsible_user_id == viewer.id)


def can_see_reporter(viewer: User | None, hazard: Hazard) -> bool:
    """Reporter identity is confidential: the reporter, inspectors and admins only."""
    if viewer is None:
        return False
    if viewer.role in (Role.INSPECTOR, Role.ADMIN):
        return True
    return hazard.reporter_user_id is not None and hazard.reporter_user_id == viewer.id


def may_audit(user: User) -> bool:
    """The union's own view across enterprises: inspectors and admins."""
    return user.role in (Role.INSPECTOR, Role.ADMIN)


def may_read_overdue(user: User) -> bool:
    """The overdue audit (GET /audit/overdue, the /audit page): the union's auditors, and
    a safety officer for their own enterprise (hazard_clause cuts the scope)."""
    return may_audit(user) or user.role is Role.SAFETY_OFFICER


def may_read_compliance(user: User) -> bool:
    """Training and drill compliance (GET /compliance, the /compliance page): the union's
    auditors, and a safety officer for their own enterprise (enterprise_clause cuts the scope)."""
    return may_audit(user) or user.role is Role.SAFETY_OFFICER
