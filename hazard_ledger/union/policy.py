"""Who may do what with the union's instruments: small named predicates, one per
question, so that the rules read as a list (and can join the one permissions module).
Visibility refusals become 404s in the operations, never 403s that confirm a thing exists."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hazard_ledger import access
from hazard_ledger.enums import Role
from hazard_ledger.organisations.levels import county_or_higher
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User


def is_county_or_higher(session: Session, jurisdiction: Jurisdiction) -> bool:
    """A county-level union or one above it (县级以上), by the jurisdiction's level."""
    return county_or_higher(jurisdiction.level)


def inspector_over(session: Session, user: User, jurisdiction_id: int) -> bool:
    """An inspector of this union or of one above it."""
    return (user.role is Role.INSPECTOR and user.jurisdiction_id is not None
            and jurisdiction_id in access.jurisdiction_subtree(session, user.jurisdiction_id))


def officer_of(user: User, enterprise_id: int) -> bool:
    return user.role is Role.SAFETY_OFFICER and user.enterprise_id == enterprise_id


# ---- notices -------------------------------------------------------------------------

def may_issue_notice(session: Session, user: User, enterprise: Enterprise) -> bool:
    """Inspectors whose subtree holds the enterprise, and admins."""
    return user.role is Role.ADMIN or inspector_over(session, user, enterprise.jurisdiction_id)


def may_see_notice(session: Session, user: User, notice) -> bool:
    """The issuing side (the issuing union's inspectors and those above) and, for a notice
    to the enterprise, its safety officers. Workers never."""
    if user.role is Role.ADMIN or inspector_over(session, user, notice.jurisdiction_id):
        return True
    return officer_of(user, notice.enterprise_id)


def may_reply_notice(user: User, notice) -> bool:
    """The enterprise's safety officers answer in writing."""
    return officer_of(user, notice.enterprise_id)


def may_accept_notice(session: Session, user: User, notice) -> bool:
    """Inspectors of the issuing union or above, and admins."""
    return user.role is Role.ADMIN or inspector_over(session, user, notice.jurisdiction_id)


def may_escalate_notice(session: Session, user: User, notice) -> bool:
    """Only an inspector of a county-level or higher union, at or above the issuer: the
    recommendation is that union's own document, numbered in its series."""
    if not inspector_over(session, user, notice.jurisdiction_id):
        return False
    return is_county_or_higher(session, session.get(Jurisdiction, user.jurisdiction_id))


# ---- campaigns -----------------------------------------------------------------------

def may_create_campaign(session: Session, user: User, jurisdiction: Jurisdiction) -> bool:
    """A city or county union, for itself; admins for any union."""
    if user.role is Role.ADMIN:
        return True
    return (user.role is Role.INSPECTOR and user.jurisdiction_id == jurisdiction.id
            and is_county_or_higher(session, jurisdiction))


def may_see_campaign(session: Session, user: User, campaign) -> bool:
    """Those whose scope meets the campaign's subtree: its union and those above, the
    unions below it, and the safety officers of the enterprises under it."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.INSPECTOR:
        return (campaign.jurisdiction_id in access.jurisdiction_subtree(session, user.jurisdiction_id)
                or campaign.jurisdiction_id in access.jurisdiction_ancestors(session, user.jurisdiction_id))
    if user.role is Role.SAFETY_OFFICER:
        enterprise = session.get(Enterprise, user.enterprise_id)
        return campaign.jurisdiction_id in access.jurisdiction_ancestors(session, enterprise.jurisdiction_id)
    return False


def may_run_campaign(session: Session, user: User, campaign) -> bool:
    """Coverage, honours, export: the campaign's union and those above it, and admins."""
    return user.role is Role.ADMIN or inspector_over(session, user, campaign.jurisdiction_id)


def may_enrol(session: Session, user: User, enterprise: Enterprise) -> bool:
    """Inspectors whose subtree holds the enterprise, admins, and the enterprise's own
    safety officers (enrolling themselves)."""
    return (user.role is Role.ADMIN or inspector_over(session, user, enterprise.jurisdiction_id)
            or officer_of(user, enterprise.id))


def may_score(session: Session, user: User, enterprise: Enterprise) -> bool:
    """An inspector whose subtree holds the enterprise, or an admin."""
    return user.role is Role.ADMIN or inspector_over(session, user, enterprise.jurisdiction_id)


def may_see_scores_of(session: Session, user: User, enterprise_id: int, jurisdiction_id: int) -> bool:
    return (user.role is Role.ADMIN or inspector_over(session, user, jurisdiction_id)
            or officer_of(user, enterprise_id))


# ---- an enterprise's papers ------------------------------------------------------------

def may_read_enterprise_papers(session: Session, user: User, enterprise: Enterprise) -> bool:
    """The yearly evidence pack and the major-hazards report for the workers' congress:
    the enterprise's safety officers, inspectors of its subtree, admins."""
    return (user.role is Role.ADMIN or inspector_over(session, user, enterprise.jurisdiction_id)
            or officer_of(user, enterprise.id))

