"""The tenancy matrix: every role, its own tenant and another, reading and writing."""

import pytest

from tests.factories import make_hazard

# hazard key -> (enterprise, reporter, responsible)
HAZARDS = {
    "a1_by_worker": ("A1", "worker_a1", "worker2_a1"),
    "a1_by_officer": ("A1", "officer_a1", None),
    "a2": ("A2", "officer_a2", None),
    "b1": ("B1", "worker_b1", None),
}
SEES = {
    "admin": {"a1_by_worker", "a1_by_officer", "a2", "b1"},
    "inspector_city": {"a1_by_worker", "a1_by_officer", "a2", "b1"},
    "inspector_a": {"a1_by_worker", "a1_by_officer", "a2"},
    "inspector_b": {"b1"},
    "officer_a1": {"a1_by_worker", "a1_by_officer"},
    "officer_b1": {"b1"},
    "worker_a1": {"a1_by_worker"},  # reported it
    "worker2_a1": {"a1_by_worker"},  # responsible for it
    "worker_b1": {"b1"},
}
# may record progress on an assigned hazard they can see
PROGRESSES = {"admin", "officer_a1", "officer_b1", "worker2_a1"}


@pytest.fixture
def hazards(world, database):
    ids = {}
    for key, (enterprise, reporter, responsible) in HAZARDS.items():
        ids[key] = make_hazard(database, world, state="assigned", enterprise=enterprise, reporter=reporter,
                               responsible=responsible)
    return ids


@pytest.mark.parametrize("role", sorted(SEES))
def test_read_own_tenant_and_not_another(world, hazards, role):
    listed = {item["id"] for item in world.get(role, "/api/v1/hazards?limit=200").json["items"]}
    assert listed == {hazards[key] for key in SEES[role]}
    for key, hazard_id in hazards.items():
        answer = world.get(role, f"/api/v1/hazards/{hazard_id}")
        assert answer.status_code == (200 if key in SEES[role] else 404), key
        if answer.status_code == 404:
            assert answer.json == {"error": {"code": "not_found", "message": answer.json["error"]["message"]}}


@pytest.mark.parametrize("role", sorted(SEES))
def test_write_own_tenant_and_not_another(world, hazards, role):
    for key, hazard_id in hazards.items():
        answer = world.fire(role, hazard_id, "progress", note="进展")
        if key not in SEES[role]:
            expected = 404
        elif role in PROGRESSES and (role != "worker2_a1" or key == "a1_by_worker"):
            expected = 200
        else:
            expected = 403
        assert answer.status_code == expected, (key, answer.json)


@pytest.mark.parametrize("role", sorted(SEES))
def test_enterprises_in_scope(world, role):
    codes = {e["code"] for e in world.get(role, "/api/v1/enterprises").json["items"]}
    expected = {"admin": {"A1", "A2", "B1"}, "inspector_city": {"A1", "A2", "B1"}, "inspector_a": {"A1", "A2"},
                "inspector_b": {"B1"}}.get(role, {"B1"} if role.endswith("b1") else {"A1"})
    assert codes == expected
    other = world.enterprise["B1" if "B1" not in expected else "A1"]
    if other not in [world.enterprise[c] for c in expected]:
        assert world.get(role, f"/api/v1/enterprises/{other}").status_code == 404


def test_audit_and_attachments_follow_scope(world, hazards):
    import hashlib
    import io

    from tests.conftest import PNG

    upload = world.post("officer_b1", f"/api/v1/hazards/{hazards['b1']}/attachments",
                        data={"file": (io.BytesIO(PNG), "p.png")}, content_type="multipart/form-data")
    assert upload.status_code == 201
    download = world.get("inspector_b", f"/api/v1/attachments/{upload.json['id']}")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == upload.json["sha256"]
    download.close()
    assert world.get("inspector_a", f"/api/v1/attachments/{upload.json['id']}").status_code == 404
    assert world.post("officer_a1", f"/api/v1/hazards/{hazards['b1']}/attachments",
                      data={"file": (io.BytesIO(PNG), "p.png")}, content_type="multipart/form-data").status_code == 404
