"""Time is injected: operations take `now` (aware, UTC); "today" is judged in the
configured time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """ISO-8601; a time without offset is read in the configured zone. Raises ValueError."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)
