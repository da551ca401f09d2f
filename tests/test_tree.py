"""The jurisdiction tree (organisations/tree.py): subtrees and ancestors walked by the
database, kept for the unit of work, and never stale when the tree changes in it."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from hazard_ledger.organisations import operations as orgs
from hazard_ledger.organisations import tree


@contextmanager
def counting(database):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_subtrees_and_ancestors(database, world):
    j = world.jurisdiction
    with database.unit_of_work(write=False) as session:
        assert sorted(tree.subtree(session, j["CITY"])) == sorted([j["CITY"], j["A"], j["B"]])
        assert tree.subtree(session, j["A"]) == [j["A"]]
        assert tree.ancestors(session, j["A"]) == [j["A"], j["CITY"]]
        assert tree.ancestors(session, j["CITY"]) == [j["CITY"]]
        assert tree.subtrees(session) == {j["CITY"]: {j["CITY"], j["A"], j["B"]}, j["A"]: {j["A"]}, j["B"]: {j["B"]}}
        assert tree.subtree(session, 10**9) == [] and tree.ancestors(session, 10**9) == []


def test_a_walk_is_kept_for_the_unit_of_work_only(database, world):
    city = world.jurisdiction["CITY"]
    with database.unit_of_work(write=False) as session, counting(database) as statements:
        tree.subtree(session, city)
        tree.ancestors(session, city)
        walked = len(statements)
        assert tree.subtree(session, city) and tree.ancestors(session, city)
        assert len(statements) == walked  # asked again: no statement
    with database.unit_of_work(write=False) as session, counting(database) as statements:
        tree.subtree(session, city)
        assert statements  # a new unit of work walks again


def test_a_union_added_in_the_unit_of_work_is_in_the_tree_at_once(database, world, now):
    j = world.jurisdiction
    with database.unit_of_work() as session:
        assert j["A"] not in tree.subtrees(session).get(j["B"], set())
        before = tree.subtree(session, j["CITY"])
        town = orgs.create_jurisdiction(session, None, code="A-T", name="甲区某街道工会", parent_id=j["A"], now=now)
        assert tree.subtree(session, j["CITY"]) == sorted(before + [town.id])
        assert tree.subtrees(session)[j["A"]] == {j["A"], town.id}
        assert tree.ancestors(session, town.id) == [town.id, j["A"], j["CITY"]]
