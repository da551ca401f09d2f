"""Who may read the overdue audit and the compliance figures: one rule each
(hazard_ledger/permissions.py), the same for the API and the pages (issue "Trust", item 16).
Inspectors and admins audit; a safety officer reads their own enterprise's overdue
items and compliance; a worker has no business in either."""

import pytest

from tests.helpers import make_hazard
from tests.test_work_pages import login

ROLES = ["admin", "inspector_city", "inspector_a", "officer_a1", "worker_a1"]
# resource -> (API path, page path or None, the roles that may read it)
RESOURCES = {
    "overdue audit": ("/api/v1/audit/overdue", "/audit", {"admin", "inspector_city", "inspector_a", "officer_a1"}),
    "compliance": ("/api/v1/compliance?year=2026", "/compliance?year=2026",
                   {"admin", "inspector_city", "inspector_a", "officer_a1"}),
    "year-end reports": ("/api/v1/compliance/reports?year=2026", None, {"admin", "inspector_city", "inspector_a"}),
}


@pytest.mark.parametrize("resource", sorted(RESOURCES))
@pytest.mark.parametrize("role", ROLES)
def test_the_api_and_the_page_follow_one_rule(world, client, resource, role):
    api_path, page_path, readers = RESOURCES[resource]
    expected = 200 if role in readers else 403
    answer = world.get(role, api_path)
    assert answer.status_code == expected, answer.json
    if expected == 403:
        assert answer.json["error"]["code"] == "forbidden"
    if page_path is not None:
        login(client, role)
        assert client.get(page_path).status_code == expected


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_nobody_signed_in_reads_nothing(client, world, resource):
    api_path, page_path, _readers = RESOURCES[resource]
    assert client.get(api_path).status_code == 401
    if page_path is not None:
        assert client.get(page_path).status_code == 302  # to the sign-in page


def test_a_safety_officer_reads_only_their_own_enterprise(world, database, client):
    from datetime import datetime, timedelta, timezone

    late = datetime.now(timezone.utc) - timedelta(days=30)
    make_hazard(database, world, state="assigned", now=late)
    make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None, now=late)
    audit = world.get("officer_a1", "/api/v1/audit/overdue").json
    assert [e["code"] for e in audit["enterprises"]] == ["A1"] and len(audit["items"]) == 1
    compliance = world.get("officer_a1", "/api/v1/compliance?year=2026").json
    assert [e["code"] for e in compliance["enterprises"]] == ["A1"] and compliance["jurisdictions"] == []
    assert world.get("officer_a1", f"/api/v1/compliance?year=2026&enterprise_id={world.enterprise['B1']}"
                     ).status_code == 404
    login(client, "officer_a1")
    page = client.get("/audit").text
    assert "企业A1" in page and "企业B1" not in page
    assert "企业B1" not in client.get("/compliance?year=2026").text
