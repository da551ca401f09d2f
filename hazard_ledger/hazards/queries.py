"""Reading the ledger: one hazard as its viewer may see it, the filters of the list and
the export, and keyset pages with their cursors."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.errors import ValidationFailed
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations.models import User
from hazard_ledger.validation import MAX_ID


def reported_by(session: Session, reporter: User, hazard_id: int | None = None, limit: int = 200) -> list[Hazard]:
    """The reports of `reporter`'s account, newest first (their 我的举报): not the
    anonymous ones, which nothing links to an account."""
    query = select(Hazard).where(Hazard.reporter_user_id == reporter.id)
    if hazard_id is not None:
        query = query.where(Hazard.id == hazard_id)
    return list(session.scalars(query.order_by(Hazard.reported_at.desc(), Hazard.id.desc()).limit(limit)))


def visible_hazard(session: Session, viewer: User, hazard_id: int, for_update: bool = False) -> Hazard:
    query, parameters = permissions.hazard_by_id(session, viewer, hazard_id, for_update)
    return permissions.the_visible(session, query, "隐患不存在 / no such hazard", parameters=parameters)


def visible_hazard_by_code(session: Session, viewer: User, code: str) -> Hazard:
    """The hazard of this code (YH-…) if `viewer` may see it; otherwise 404, as by id."""
    query = select(Hazard).where(Hazard.code == code.strip().upper(), permissions.hazard_clause(session, viewer))
    return permissions.the_visible(session, query, "隐患不存在 / no such hazard")


def codes_like(session: Session, viewer: User, enterprise_id: int, text: str = "", exclude_id: int | None = None,
               limit: int = 20) -> list[tuple[str, str]]:
    """(code, description) of the enterprise's hazards `viewer` may see whose code or
    description contains `text`, newest first: what a person picks an original from."""
    query = select(Hazard.code, Hazard.description).where(Hazard.enterprise_id == enterprise_id,
                                                          permissions.hazard_clause(session, viewer))
    if exclude_id is not None:
        query = query.where(Hazard.id != exclude_id)
    if text.strip():
        query = query.where(or_(Hazard.code.like(_containing(text.strip().upper()), escape="\\"),
                                Hazard.description.like(_containing(text.strip()), escape="\\")))
    return [tuple(row) for row in session.execute(query.order_by(Hazard.id.desc()).limit(limit))]


def responsible_candidates(session: Session, hazard: Hazard) -> list[User]:
    """Who may be named the hazard's responsible account: its enterprise's active users
    (the rule the rulebook checks on assign)."""
    return list(session.scalars(select(User).where(User.enterprise_id == hazard.enterprise_id, User.active.is_(True))
                                .order_by(User.name, User.username)))


@dataclass
class HazardFilters:
    states: Sequence[HazardState] = ()
    enterprise_id: int | None = None
    grade: Grade | None = None
    overdue: bool | None = None
    text: str | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    ids: Sequence[int] = ()  # a selection ticked on the ledger page: only these (in the viewer's scope)


def filtered_query(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo):
    """A select of the hazards `viewer` may see that match `filters`."""
    query = select(Hazard).where(permissions.hazard_clause(session, viewer))
    if filters.ids:
        query = query.where(Hazard.id.in_(list(filters.ids)))
    if filters.states:
        query = query.where(Hazard.state.in_(list(filters.states)))
    if filters.enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == filters.enterprise_id)
    if filters.grade is not None:
        query = query.where(Hazard.grade == filters.grade)
    if filters.overdue is not None:
        query = query.where(Hazard.is_overdue(today) if filters.overdue else ~Hazard.is_overdue(today))
    if filters.text:
        pattern = _containing(filters.text)
        query = query.where(or_(Hazard.description.like(pattern, escape="\\"), Hazard.location.like(pattern, escape="\\"),
                                Hazard.code.like(pattern, escape="\\"), Hazard.category.like(pattern, escape="\\")))
    if filters.reported_from is not None:
        query = query.where(Hazard.reported_at >= _local_midnight(filters.reported_from, zone))
    if filters.reported_to is not None:
        query = query.where(Hazard.reported_at < _local_midnight(filters.reported_to + timedelta(days=1), zone))
    return query


def _containing(text: str) -> str:
    """A LIKE pattern (escape "\\") matching any text that contains `text` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        # an id, as every id is bounded: a larger number would overflow the database's integer
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise ValidationFailed.on("cursor", "无效的分页游标 / not a cursor this service gave") from None


def list_hazards(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo,
                 limit: int = 50, cursor: str | None = None) -> tuple[list[Hazard], str | None]:
    """One page, newest first, by keyset: a deep page costs what the first one costs."""
    query = filtered_query(session, viewer, filters, today, zone)
    if cursor:
        query = query.where(Hazard.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Hazard.id.desc()).limit(limit + 1).options(selectinload(Hazard.reporter))))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
