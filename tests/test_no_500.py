"""Schemathesis against /api/v1/openapi.json: whatever it sends, no answer is a 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.helpers import make_hazard

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning"),
              # schemathesis' WSGI transport leaves a downloaded photo's file for the GC to close
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

EXAMPLES = 40


def test_no_input_produces_a_500(app, world, database):
    for state in ("reported", "assigned", "rectified"):
        make_hazard(database, world, state=state)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = world.auth("admin")
    failures, statuses = [], {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.headers = {**(case.headers or {}), **headers}  # ours, not a generated bearer token
            response = case.call()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

        check()
    assert failures == []
    assert statuses.get(200, 0) + statuses.get(201, 0) > 50, statuses  # the fuzzer got past the front door
