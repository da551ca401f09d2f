"""Rows written as one statement: what an INSERT leaves out is NULL in the row and in the
object, so answering reads nothing back; INSERT … SELECT built once per set of columns."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.dialects import postgresql


def as_written(record) -> None:
    """The columns a report leaves out are NULL in its row (they have no defaults): say so,
    so that answering the report reads nothing back."""
    written = vars(record)
    for key in null_unless_given(type(record)):
        if key not in written:
            setattr(record, key, None)


@lru_cache(maxsize=8)
def null_unless_given(model) -> tuple[str, ...]:
    return tuple(column.key for column in model.__table__.columns
                 if column.default is None and column.server_default is None)


def inserting(model) -> Insert:
    return model.__table__.insert().returning(model.__table__.c.id)


def inserting_from(model, prefix: str, columns: tuple[str, ...], returning: tuple[str, ...], **computed) -> Insert:
    """INSERT … SELECT of the bound `columns` and the `computed` ones."""
    table = model.__table__
    values = {**{key: bindparam(f"{prefix}_{key}", type_=table.c[key].type) for key in columns}, **computed}
    statement = postgresql.insert(table).from_select(list(values), select(*values.values()))
    return statement.returning(*(table.c[key] for key in returning))


def columns_of(record) -> dict:
    given = vars(record)
    return {column.key: given[column.key] for column in record.__table__.columns if column.key in given}
