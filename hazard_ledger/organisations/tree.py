"""The jurisdiction tree, walked in one place: a union's subtree (it and every union below
it: what an inspector oversees) and its ancestors (it and every union above it: who
hears of its hazards, whose budget pays its awards).

Each walk is a recursive CTE, so the database follows the parent links and only the
rows on the way travel; UNION (not UNION ALL) ends the walk even on a cycle. What a walk
found is kept in the session's `info` for the rest of its transaction (the unit of
work): a request that asks the same union's subtree five times walks it once. Adding,
moving or removing a union drops what the session kept, and so does the transaction's
end, so a later unit of work never reads a tree that has since changed."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import CTE, event, select
from sqlalchemy.orm import Session, aliased, object_session

from hazard_ledger.organisations.models import Jurisdiction

_KEPT = "hazard_ledger.tree"


def _kept(session: Session) -> dict:
    return session.info.setdefault(_KEPT, {})


def forget(session: Session) -> None:
    """Drop what `session` keeps of the tree (the tree changed, or its transaction ended)."""
    session.info.pop(_KEPT, None)


# ---- the walks as SQL ----------------------------------------------------------------------

def subtree_cte(root_id, name: str = "subtree") -> CTE:
    """(id) of `root_id` (a value or a column) and every jurisdiction below it."""
    start = select(Jurisdiction.id).where(Jurisdiction.id == root_id).cte(name, recursive=True)
    child = aliased(Jurisdiction)
    return start.union(select(child.id).join(start, child.parent_id == start.c.id))


def ancestry_cte(name: str = "above") -> CTE:
    """(start_id, id, parent_id): every jurisdiction with itself and each one above it, for
    a statement that joins its rows to their unions and those above (the reminders that go
    up the tree)."""
    start = select(Jurisdiction.id.label("start_id"), Jurisdiction.id, Jurisdiction.parent_id).cte(name, recursive=True)
    parent = aliased(Jurisdiction)
    return start.union(select(start.c.start_id, parent.id, parent.parent_id).join(parent, parent.id == start.c.parent_id))


def _ancestors_cte(jurisdiction_id: int) -> CTE:
    start = (select(Jurisdiction.id, Jurisdiction.parent_id).where(Jurisdiction.id == jurisdiction_id)
             .cte("ancestors", recursive=True))
    parent = aliased(Jurisdiction)
    return start.union(select(parent.id, parent.parent_id).join(start, parent.id == start.c.parent_id))


# ---- the walks' answers, kept for the unit of work ----------------------------------------------

def subtree(session: Session, root_id: int) -> list[int]:
    """The ids of a jurisdiction and all below it (empty for no such jurisdiction)."""
    kept = _kept(session)
    key = ("down", root_id)
    if key not in kept:
        if "closure" in kept:
            kept[key] = sorted(kept["closure"].get(root_id, ()))
        else:
            walk = subtree_cte(root_id)
            kept[key] = list(session.scalars(select(walk.c.id).order_by(walk.c.id)))
    return kept[key]


def ancestors(session: Session, jurisdiction_id: int) -> list[int]:
    """A jurisdiction and those above it, nearest first (its root last)."""
    kept = _kept(session)
    key = ("up", jurisdiction_id)
    if key not in kept:
        walk = _ancestors_cte(jurisdiction_id)
        parents = dict(session.execute(select(walk.c.id, walk.c.parent_id)).all())
        chain, current = [], jurisdiction_id
        while current in parents and current not in chain:
            chain.append(current)
            current = parents[current]
        kept[key] = chain
    return kept[key]


def subtrees(session: Session) -> dict[int, set[int]]:
    """Every jurisdiction's subtree at once, in one walk: for a figure summed over each
    union's subtree (compliance, campaign coverage), where one walk per union would cost a
    statement each."""
    kept = _kept(session)
    if "closure" not in kept:
        walk = ancestry_cte()
        below: dict[int, set[int]] = defaultdict(set)
        for start_id, above_id in session.execute(select(walk.c.start_id, walk.c.id)):
            below[above_id].add(start_id)
        kept["closure"] = dict(below)
    return kept["closure"]


# ---- keeping it true -------------------------------------------------------------------------

@event.listens_for(Jurisdiction, "after_insert")
@event.listens_for(Jurisdiction, "after_update")
@event.listens_for(Jurisdiction, "after_delete")
def _tree_changed(_mapper, _connection, target: Jurisdiction) -> None:
    session = object_session(target)
    if session is not None:
        forget(session)


@event.listens_for(Session, "after_transaction_end")
def _unit_of_work_ended(session: Session, _transaction) -> None:
    if _KEPT in session.info:
        forget(session)
