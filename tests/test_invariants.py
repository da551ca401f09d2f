"""Property: any sequence of events, by anyone, with good or bad fields, leaves a hazard
in a state the rulebook can reach, with one history entry per success and a chain that
verifies."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazard_ledger.errors import DomainError
from hazard_ledger.hazards import chain
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations.models import User
from hazard_ledger.workflow import RULEBOOK
from tests.clock import service_today
from tests.factories import SHANGHAI, make_hazard, plan

pytestmark = pytest.mark.slow

ROLES = ("admin", "inspector_a", "officer_a1", "worker2_a1", "worker_a1", "officer_b1")


def good_fields(event: str, hazard: Hazard) -> dict:
    today = service_today()
    return {
        "assign": plan(responsible_user_id=None),
        "reject": {"reason": "not_a_hazard"},
        "progress": {"note": "进展"},
        "extend": {"deadline": ((hazard.deadline or today) + timedelta(days=3)).isoformat(), "reason": "延期"},
        "rectify": {"note": "已整改", "completed_on": today.isoformat()},
        "reopen": {"reason": "不合格"},
        "close": {"note": "合格"},
        "supervise": {"note": "督办", "due_on": (today + timedelta(days=7)).isoformat()},
    }[event]


BAD_FIELDS = st.sampled_from([{}, {"note": ""}, {"deadline": "1999-01-01", "reason": "x"}, {"grade": "major"},
                              {"unexpected": True}, {"completed_on": "2999-01-01", "note": "x"}])
STEPS = st.lists(st.tuples(st.sampled_from(sorted(RULEBOOK)), st.sampled_from(ROLES), st.booleans(), BAD_FIELDS),
                 max_size=10)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_any_sequence_of_events_keeps_the_ledger_valid(world, database, steps, clock):
    hazard_id = make_hazard(database, world)
    successes = 0
    for event, role, well_formed, bad in steps:
        with database.unit_of_work() as session:
            hazard = session.get(Hazard, hazard_id)
            before = (hazard.state, hazard.version, hazard.history_length, hazard.chain_head)
            actor = session.get(User, world.user[role])
            fields = good_fields(event, hazard) if well_formed else bad
        try:
            with database.unit_of_work() as session:
                ops.transition(session, actor, hazard_id, event, fields, version=None,
                               now=clock(), zone=SHANGHAI)
            successes += 1
            succeeded = True
        except DomainError:
            succeeded = False
        with database.unit_of_work(write=False) as session:
            hazard = session.get(Hazard, hazard_id)
            if succeeded:
                assert before[0] in RULEBOOK[event].sources and hazard.state is RULEBOOK[event].dest
                assert hazard.version == before[1] + 1 and hazard.history_length == before[2] + 1
            else:
                assert (hazard.state, hazard.version, hazard.history_length, hazard.chain_head) == before
    with database.unit_of_work(write=False) as session:
        hazard = session.get(Hazard, hazard_id)
        assert hazard.history_length == 1 + successes
        entries = hazard.history
        for previous, entry in zip(entries, entries[1:], strict=False):
            assert entry.from_state == previous.to_state
            assert RULEBOOK[entry.event].dest.value == entry.to_state
        assert list(chain.verify_all(session)) == []
