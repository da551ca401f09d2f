"""jurisdiction levels: province, city, county, township (issue "Trust", item 12)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03

"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LEVELS = ("province", "city", "county", "township")
# a frozen copy of hazard_ledger/organisations/levels.py as of this revision: a
# migration must give the same answer whatever the code becomes later
DIVISION_CODE = re.compile(r"^(?:1[1-5]|[2-8][0-9])(?:[0-9]{4}|[0-9]{7}|[0-9]{10})$")


def level_from_code(code: str) -> str | None:
    if not DIVISION_CODE.match(code):
        return None
    if len(code) > 6:
        return "township"
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def level_by_depth(depth: int) -> str:
    # the rule before levels: the root and the unions right below it were "county-level
    # or higher" (the root a city, those below it counties); the rest below
    return ("city", "county")[depth] if depth < 2 else "township"


def upgrade() -> None:
    # NOT NULL with a default, so the column is added in place on SQLite too (a rebuilt
    # table would have to be dropped under the foreign keys of enterprises and users);
    # SQLite takes the CHECK only inline, which Alembic's add_column does not write
    allowed = ", ".join(f"'{level}'" for level in LEVELS)
    op.execute(f"ALTER TABLE jurisdictions ADD COLUMN level VARCHAR(8) DEFAULT 'county' NOT NULL "
               f"CONSTRAINT ck_jurisdictions_jurisdiction_level CHECK (level IN ({allowed}))")
    connection = op.get_bind()
    table = sa.table("jurisdictions", sa.column("id", sa.Integer), sa.column("code", sa.String),
                     sa.column("parent_id", sa.Integer), sa.column("level", sa.String))
    rows = connection.execute(sa.select(table.c.id, table.c.code, table.c.parent_id)).all()
    parents = {row.id: row.parent_id for row in rows}

    def depth(jid: int) -> int:
        seen = [jid]
        while parents.get(seen[-1]) is not None and parents[seen[-1]] not in seen:
            seen.append(parents[seen[-1]])
        return len(seen) - 1

    for row in rows:
        level = level_from_code(row.code) or level_by_depth(depth(row.id))
        connection.execute(table.update().where(table.c.id == row.id).values(level=level))
    if connection.dialect.name == "postgresql":
        # every row now has its level and every new one is given one: no default
        # (SQLite cannot drop a column default in place; the application always sets it)
        op.alter_column("jurisdictions", "level", server_default=None)


def downgrade() -> None:
    # in place on both (SQLite ≥ 3.35 drops a column with its own CHECK)
    op.drop_column("jurisdictions", "level")
