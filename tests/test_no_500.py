"""Schemathesis against /api/v1/openapi.json, as an admin, a safety officer and a worker,
on every backend, with requests the document allows and requests it does not: whatever it
sends, no answer is a 500, and every answer matches what the document says of it (status
code, content type, body schema)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    FailureGroup, content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance,
)

from tests.factories import make_hazard

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning"),
              # schemathesis' WSGI transport leaves a downloaded photo's file for the GC to close
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

EXAMPLES = 30  # per operation, each of valid (positive) and invalid (negative) requests
# what the answers must be; whether the API refuses every request the document would
# not allow (negative_data_rejection) is left out: it ignores unknown query parameters,
# and takes the first of a repeated one, as clients expect
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def settings_override(settings_override):
    # the fuzzer posts to the public form far more often than a factory would
    return {**settings_override, "limits": {"public_report": "100000 per minute"}}


@pytest.mark.parametrize("role", ["admin", "officer_a1", "worker_a1"])
def test_no_input_produces_a_500_nor_an_undocumented_answer(app, world, database, role):
    for state in ("reported", "assigned", "rectified"):
        make_hazard(database, world, state=state)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = world.auth(role)
    failures, statuses = [], {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation, mode in ((operation, mode) for operation in operations for mode in GenerationMode):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.headers = {**(case.headers or {}), **headers}  # ours, not a generated bearer token
            response = case.call()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                failures.extend(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{failure.title}: {str(failure.message)[:300]}" for failure in group.exceptions)

        try:
            check()
        except Unsatisfiable:  # nothing to send wrong: the public token and receipt paths take any string
            assert mode is GenerationMode.NEGATIVE
    # the size of the run, for the record (pytest -s shows it)
    print(f"\nschemathesis as {role}: {len(operations)} operations, {sum(statuses.values())} cases, {statuses}")
    assert failures == []
    assert statuses.get(200, 0) + statuses.get(201, 0) > 50, statuses  # the fuzzer got past the front door
