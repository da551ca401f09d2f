"""Dates and times written as text by the database itself, the same on PostgreSQL and
SQLite, for statements that compose messages on the server (the reminders sweep).

SQLite keeps dates as 'YYYY-MM-DD' and our UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff'
text; PostgreSQL has real types and formats them with to_char."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class iso_date(FunctionElement):
    """A date as 'YYYY-MM-DD', as date.isoformat() writes it."""

    type = String()
    inherit_cache = True


@compiles(iso_date, "postgresql")
def _iso_date_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


@compiles(iso_date)
def _iso_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class days_between(FunctionElement):
    """days_between(earlier, later): whole days from one date to the other."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    earlier, later = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


class utc_text(FunctionElement):
    """A UTC timestamp as 'YYYY-MM-DD HH:MM:SS.ffffff': a key that names an instant."""

    type = String()
    inherit_cache = True


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


@compiles(utc_text)
def _utc_text_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)  # stored exactly so


class local_minute(FunctionElement):
    """local_minute(timestamp, zone name): 'YYYY-MM-DD HH:MM' on the zone's clock."""

    type = String()
    inherit_cache = True


@compiles(local_minute, "postgresql")
def _local_minute_postgresql(element, compiler, **kw):
    moment, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"to_char({moment} AT TIME ZONE {zone}, 'YYYY-MM-DD HH24:MI')"


@compiles(local_minute)
def _local_minute_sqlite(element, compiler, **kw):
    return f"hl_local_minute({compiler.process(element.clauses, **kw)})"


def sqlite_local_minute(stored: str | None, zone: str) -> str | None:
    """SQLite knows no time zones: the engine registers this as hl_local_minute."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
