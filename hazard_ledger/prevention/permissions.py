"""Who may do what with risk points, plans and inspections: small named predicates, so
that each rule reads as a sentence and can move to a common permissions module.

Seeing an enterprise at all is access.enterprise_clause's business (a 404 beyond it);
these decide what a caller who can see it may do there (a 403)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from hazard_ledger import access
from hazard_ledger.enums import Role
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.prevention.models import Inspection


def keeps_register(user: User, enterprise_id: int) -> bool:
    """Registers risk points and plans their inspections: the enterprise's safety
    officers, and admins."""
    return user.role is Role.ADMIN or (user.role is Role.SAFETY_OFFICER and user.enterprise_id == enterprise_id)


def reads_register(user: User) -> bool:
    """Reads the register and its coverage: safety officers (their own enterprise),
    inspectors (their subtree) and admins; not workers."""
    return user.role in (Role.SAFETY_OFFICER, Role.INSPECTOR, Role.ADMIN)


def may_be_assigned(user: User, enterprise_id: int) -> bool:
    """An inspection plan's assignee is an active user of the enterprise (a worker or a
    safety officer)."""
    return user.active and user.enterprise_id == enterprise_id and user.role in (Role.WORKER, Role.SAFETY_OFFICER)


def may_submit(user: User, inspection: Inspection) -> bool:
    """Records an inspection's results: its assignee, the enterprise's safety officers,
    admins. Inspectors read them."""
    return user.id == inspection.assignee_user_id or keeps_register(user, inspection.enterprise_id)


def inspection_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Inspection for what `viewer` may see: a worker their own assignments,
    a safety officer the enterprise's, an inspector the subtree's, an admin all."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.INSPECTOR:
        return Inspection.enterprise_id.in_(select(Enterprise.id).where(access.enterprise_clause(session, viewer)))
    if viewer.role is Role.SAFETY_OFFICER:
        return Inspection.enterprise_id == viewer.enterprise_id
    if viewer.role is Role.WORKER:
        return Inspection.assignee_user_id == viewer.id
    return false()
