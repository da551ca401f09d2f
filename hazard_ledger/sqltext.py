"""Text written by the database itself, the same on PostgreSQL and SQLite, for
statements that compose it on the server (the reminders sweep, a report's code).

SQLite keeps dates as 'YYYY-MM-DD' and our UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff'
text; PostgreSQL has real types and formats them with to_char."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import reduce
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, cast, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


def words(*parts: str | ColumnElement) -> ColumnElement[str]:
    """Text and SQL expressions joined with ||, which both databases understand."""
    return reduce(lambda left, right: left.concat(right),
                  [literal(part, String) if isinstance(part, str) else part for part in parts])


def joined(*parts: str | int | ColumnElement) -> str | ColumnElement[str]:
    """The text of `parts` (numbers as digits): a str when Python knows them all, else
    SQL. So one function writes a key or a message whether Python or a statement knows
    what goes in it (a report's notices: notifications/hazard_messages.py)."""
    if not any(is_sql(part) for part in parts):
        return "".join(str(part) for part in parts)
    return words(*(_as_text(part) for part in parts))


def is_sql(value) -> bool:
    """Whether `value` is an SQL expression (a column of a model too), not a Python value."""
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


def _as_text(part: str | int | ColumnElement) -> str | ColumnElement[str]:
    if is_sql(part):
        return part if isinstance(part.type, String) else cast(part, String)
    return part if isinstance(part, str) else str(part)


def _function(name: str, returns, postgresql: str, sqlite: str, doc: str) -> type[FunctionElement]:
    """A SQL function written one way on PostgreSQL and another on SQLite; in the
    templates, {0}, {1} … stand for the arguments."""
    element = type(name, (FunctionElement,), {"type": returns, "inherit_cache": True, "__doc__": doc})

    def writer(template: str):
        def write(function, compiler, **kw):
            return template.format(*(compiler.process(argument, **kw) for argument in function.clauses))
        return write

    compiles(element, "postgresql")(writer(postgresql))
    compiles(element)(writer(sqlite))
    return element


iso_date = _function("iso_date", String(), "to_char({0}, 'YYYY-MM-DD')", "date({0})",
                     "A date as 'YYYY-MM-DD', as date.isoformat() writes it.")
days_between = _function("days_between", Integer(), "(CAST({1} AS DATE) - CAST({0} AS DATE))",
                         "CAST(julianday({1}) - julianday({0}) AS INTEGER)",
                         "days_between(earlier, later): whole days from one date to the other.")
utc_text = _function("utc_text", String(), "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
                     "{0}",  # stored exactly so
                     "A UTC timestamp as 'YYYY-MM-DD HH:MM:SS.ffffff': a key that names an instant.")
local_minute = _function("local_minute", String(), "to_char({0} AT TIME ZONE {1}, 'YYYY-MM-DD HH24:MI')",
                         "hl_local_minute({0}, {1})",
                         "local_minute(timestamp, zone name): 'YYYY-MM-DD HH:MM' on the zone's clock.")


def sqlite_local_minute(stored: str | None, zone: str) -> str | None:
    """SQLite knows no time zones: the engine registers this as hl_local_minute."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
