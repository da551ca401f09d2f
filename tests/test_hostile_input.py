"""Hostile input never reaches a 500: lone surrogates, NUL, JSON nested 100,000 deep,
integers of thousands of digits, cursors past the ids' range, NaN in page forms, and
`next` addresses that would leave the site or split a header. Each is a 4xx naming the
field (the error envelope for the API, the error next to the field for a page form), and
changes nothing, on every backend."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hazard_ledger.compliance.models import Drill, Training
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.validation import MAX_ID
from tests.conftest import PASSWORD
from tests.factories import make_hazard

DEEP = "[" * 100_000 + "]" * 100_000
# JSON text (not Python values): json.dumps cannot even write a 5,000-digit integer
HUGE = "9" * 5000
SURROGATES = ("\\ud800", "a\\udfffb", "\\udbff\\udc00\\udc00")  # lone high, lone low, a pair and a stray low
OVERFLOW = str(2**63)


def raw_post(client, path, text, headers=None, method="post"):
    return getattr(client, method)(path, data=text.encode("utf-8"),
                                   headers={**(headers or {}), "Content-Type": "application/json"})


def assert_refused(response, status, code, field=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    if field is not None:
        assert field in error["fields"], error


def count(database, model) -> int:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": value}).encode()).decode().rstrip("=")


@pytest.fixture
def settings_override(settings_override):
    # the public form's limit would stop these tests before their hostile bodies do
    return {**settings_override, "limits": {"public_report": "10000 per minute"}}


@pytest.fixture
def hazard_id(world, database) -> int:
    return make_hazard(database, world)


# ---- the API: every JSON body is read by one loader --------------------------------------------

def endpoints(world, hazard_id):
    """(method, path, body template, text fields): every body the API takes text in."""
    token = world.report_token["A1"]
    return [
        ("post", "/api/v1/hazards", {"location": "一号车间", "description": "漏电", "category": "电气"},
         ["location", "description", "category"]),
        ("post", f"/api/v1/public/enterprises/{token}/hazards",
         {"location": "一号车间", "description": "漏电", "category": "电气", "name": "张三", "anonymous": False},
         ["location", "description", "category", "name"]),
        ("post", f"/api/v1/hazards/{hazard_id}/transitions",
         {"event": "reject", "reason": "not_a_hazard", "comment": "不是隐患"}, ["comment", "event", "reason"]),
        ("put", f"/api/v1/enterprises/{world.enterprise['A1']}/employees",
         [{"number": "001", "name": "赵强", "unit": "一车间"}], ["0.number", "0.name", "0.unit"]),
        ("post", "/api/v1/auth/token", {"username": "officer_a1", "password": "x"}, ["username", "password"]),
    ]


def poisoned(body, field: str, literal: str) -> str:
    """`body` as JSON text with `field` ("a" or "0.a") holding the JSON literal `literal`."""
    marker = "\u2603MARK\u2603"
    copy = json.loads(json.dumps(body))
    target, *rest = field.split(".")
    if rest:
        copy[int(target)][rest[0]] = marker
    else:
        copy[target] = marker
    return json.dumps(copy, ensure_ascii=False).replace(json.dumps(marker, ensure_ascii=False), literal)


def test_a_lone_surrogate_in_any_text_field_is_named(world, client, database):
    hazard_id = make_hazard(database, world)
    headers = world.auth("officer_a1")
    before = count(database, Hazard)
    for method, path, body, fields in endpoints(world, hazard_id):
        for field in fields:
            for surrogate in SURROGATES:
                response = raw_post(client, path, poisoned(body, field, f'"{surrogate}"'), headers, method)
                assert_refused(response, 422, "validation_error", field)
    # a key is text too
    assert_refused(raw_post(client, "/api/v1/hazards", '{"location": "x", "description": "y", "\\ud800": 1}',
                            headers), 422, "validation_error", "_body")
    # a correct pair is a character like any other
    assert raw_post(client, "/api/v1/hazards", '{"location": "\\ud83d\\ude92", "description": "y"}',
                    headers).status_code == 201
    assert count(database, Hazard) == before + 1
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Hazard.location).order_by(Hazard.id.desc()).limit(1)) == "\U0001f692"


def test_surrogates_encoded_as_bytes_are_not_json(world, client):
    # CESU-8 (a surrogate written as three bytes) and stray bytes are not UTF-8: the body is not JSON
    for raw in (b'{"location": "\xed\xa0\x80", "description": "x"}', b'{"location": "\xff", "description": "x"}'):
        response = client.post("/api/v1/hazards", data=raw, headers={**world.auth("officer_a1"),
                                                                     "Content-Type": "application/json"})
        assert_refused(response, 400, "bad_request")


def test_json_nested_100000_deep_is_a_400_anywhere(world, client, database):
    hazard_id = make_hazard(database, world)
    headers = world.auth("officer_a1")
    for method, path, body, fields in endpoints(world, hazard_id):
        assert_refused(raw_post(client, path, DEEP, headers, method), 400, "bad_request")
        assert_refused(raw_post(client, path, poisoned(body, fields[0], DEEP), headers, method), 400, "bad_request")
        # deeper than any body of the API, yet far from Python's recursion limit: still refused
        assert_refused(raw_post(client, path, poisoned(body, fields[0], "[" * 40 + "]" * 40), headers, method),
                       400, "bad_request")
    assert_refused(raw_post(client, "/api/v1/auth/token", '{"username": ' + DEEP + "}"), 400, "bad_request")
    assert_refused(raw_post(client, "/api/v1/auth/token", "{" * 100_000), 400, "bad_request")


@pytest.mark.parametrize("literal", [HUGE, "-" + HUGE, OVERFLOW, "1" + "0" * 19])
def test_an_integer_of_any_length_is_a_422_naming_the_field(world, client, database, literal):
    hazard_id = make_hazard(database, world)
    headers = world.auth("officer_a1")
    cases = [
        ("/api/v1/hazards", '{"location": "x", "description": "y", "enterprise_id": %s}', "enterprise_id"),
        (f"/api/v1/hazards/{hazard_id}/transitions", '{"event": "reject", "reason": "not_a_hazard", "version": %s}',
         "version"),
        (f"/api/v1/hazards/{hazard_id}/transitions",
         '{"event": "reject", "reason": "duplicate", "duplicate_of": %s}', "duplicate_of"),
        ("/api/v1/drills", '{"enterprise_id": %d, "held_on": "2024-01-01", "kind": "onsite", "scenario": "火灾", '
                           '"participants": %%s}' % world.enterprise["A1"], "participants"),
        ("/api/v1/trainings", '{"enterprise_id": %d, "held_on": "2024-01-01", "topic": "法规", "hours": %%s, '
                              '"attendees": ["001"]}' % world.enterprise["A1"], "hours"),
        ("/api/v1/hazards", '{"location": %s, "description": "y"}', "location"),
    ]
    before = (count(database, Hazard), count(database, Drill), count(database, Training))
    for path, template, field in cases:
        assert_refused(raw_post(client, path, template % literal, headers), 422, "validation_error", field)
    assert_refused(raw_post(client, "/api/v1/auth/token", '{"username": %s, "password": "x"}' % literal), 422,
                   "validation_error", "username")
    assert (count(database, Hazard), count(database, Drill), count(database, Training)) == before


@pytest.mark.parametrize("before", [2**63, -(2**63) - 1, MAX_ID + 1, 0, -1, "7", True, None, [1]])
def test_a_cursor_past_the_ids_is_a_422_naming_the_cursor(world, client, before):
    response = world.get("officer_a1", f"/api/v1/hazards?cursor={cursor_of(before)}")
    assert_refused(response, 422, "validation_error", "cursor")


def test_the_ledger_page_takes_any_cursor(world, client):
    login(client, "officer_a1")
    nested = base64.urlsafe_b64encode(("[" * 100_000).encode()).decode()
    for cursor in (cursor_of(2**63), cursor_of(-(2**63) - 1), nested, "%ED%A0%80", "!!"):
        assert client.get(f"/ledger?cursor={cursor}").status_code == 404
    assert client.get(f"/ledger?cursor={cursor_of(MAX_ID)}").status_code == 200


def test_integer_inputs_of_the_api_are_all_bounded(client):
    """The OpenAPI document as a census: every integer the API takes, in a path, a query or
    a body, has bounds a database column holds."""
    spec = client.get("/api/v1/openapi.json").json
    unbounded = []

    def visit(schema, where):
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("type") == "integer":
            if not (-(2**63) <= schema.get("minimum", -(2**64)) and schema.get("maximum", 2**64) <= 2**63 - 1):
                unbounded.append(where)
        for name, child in (schema.get("properties") or {}).items():
            visit(child, f"{where}.{name}")
        if "items" in schema:
            visit(schema["items"], f"{where}[]")

    for path, operations in spec["paths"].items():
        for parameter in operations.get("parameters", []):  # the path's own
            visit(parameter.get("schema", {}), f"{path} {parameter['name']}")
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []):
                visit(parameter.get("schema", {}), f"{method} {path} {parameter['name']}")
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                visit(media.get("schema", {}), f"{method} {path} body")
    assert unbounded == []


# the class stays closed: any hostile value, in any text field of any body
HOSTILE = st.sampled_from([
    ('"\\ud800"', 422), ('"x\\udc00"', 422), ('"a\\u0000b"', 422), (HUGE, 422), ("-" + OVERFLOW, 422),
    (DEEP, 400), ("[" * 33 + "]" * 33, 400), ("{" * 50_000, 400), ('"\\ud800', 400), ("NaN", 422), ("1e99999", 422),
])


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(choice=st.data(), hostile=HOSTILE)
def test_any_hostile_value_in_any_field_is_a_4xx(world, client, hazard_id, choice, hostile):
    headers = world.auth("officer_a1")
    method, path, body, fields = choice.draw(st.sampled_from(endpoints(world, hazard_id)))
    field = choice.draw(st.sampled_from(fields))
    literal, status = hostile
    response = raw_post(client, path, poisoned(body, field, literal), headers, method)
    assert response.status_code == status or (status == 422 and response.status_code in (400, 401, 422)), (
        path, field, literal[:20], response.status_code, response.get_data(as_text=True)[:200])
    assert response.json["error"]["code"] in ("bad_request", "validation_error", "unauthorized")
    if response.status_code == 422 and literal[:2] in ('"\\', "99", "-9"):
        assert field in response.json["error"]["fields"]


# ---- the pages -------------------------------------------------------------------------------

def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, username):
    page = client.get("/login")
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf(page.text)}).status_code == 302


@pytest.mark.parametrize("target", ["/%0d%0aX:1", "/%0aSet-Cookie:%20x=1", "//evil.example", "/\\evil.example",
                                    "/%5Cevil.example", "\\\\evil.example", "javascript:alert(1)", "/%09/evil.example",
                                    "https://evil.example/", "%2F%2Fevil.example", "/%00"])
def test_login_next_never_leaves_the_site_nor_splits_a_header(client, world, target):
    page = client.get(f"/login?next={target}")
    assert page.status_code == 200
    answer = client.post(f"/login?next={target}", data={"username": "officer_a1", "password": PASSWORD,
                                                        "csrf_token": csrf(page.text)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/" and "X" not in answer.headers
    assert "x=1" not in answer.headers.get("Set-Cookie", "")


def test_login_next_keeps_a_path_of_this_site(client, world):
    page = client.get("/login")
    answer = client.post("/login?next=/ledger%3Fstate%3Dassigned", data={
        "username": "officer_a1", "password": PASSWORD, "csrf_token": csrf(page.text)})
    assert answer.headers["Location"] == "/ledger?state=assigned"


def multipart(fields: dict[str, bytes], boundary: str = "hazardledgertest") -> tuple[bytes, str]:
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
                    for name, value in fields.items()) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", "a\x00b".encode()])
def test_the_qr_form_names_a_field_that_is_not_utf8(client, world, database, raw):
    token = world.report_token["A1"]
    page = client.get(f"/r/{token}")
    body, content_type = multipart({"csrf_token": csrf(page.text).encode(), "location": "二号车间".encode() + raw,
                                    "description": "漏电".encode()})
    answer = client.post(f"/r/{token}", data=body, content_type=content_type)
    assert answer.status_code == 422 and "location" in answer.text
    assert count(database, Hazard) == 0
    # URL-encoded, werkzeug keeps bytes that are not UTF-8 as their %XX text: lossless, stored as typed
    encoded = client.post(f"/r/{token}", content_type="application/x-www-form-urlencoded",
                          data=f"csrf_token={csrf(page.text)}&location=%ED%A0%80&description=x".encode())
    assert encoded.status_code == 303
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Hazard.location)) == "%ED%A0%80"


@pytest.mark.parametrize("hours", ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999999", HUGE, "0"])
def test_training_hours_that_are_not_a_number_come_back_next_to_the_field(client, world, database, hours):
    login(client, "officer_a1")
    roster = client.get(f"/enterprises/{world.enterprise['A1']}/roster")
    answer = client.post(f"/enterprises/{world.enterprise['A1']}/activities", data={
        "csrf_token": csrf(roster.text), "kind": "training", "held_on": "2024-01-01", "topic": "法规",
        "hours": hours, "attendees": "001"})
    assert answer.status_code == 422
    # the problem sits right after the hours input, which keeps what was typed
    assert re.search(r'<input type="number" name="hours"[^>]*value="%s"[^>]*><span class="error">' % re.escape(hours),
                     answer.text), answer.text
    assert count(database, Training) == 0


@pytest.mark.parametrize("participants", ["9" * 30, HUGE, "-1", "NaN", "1.5e3"])
def test_drill_participants_out_of_range_come_back_next_to_the_field(client, world, database, participants):
    login(client, "officer_a1")
    roster = client.get(f"/enterprises/{world.enterprise['A1']}/roster")
    answer = client.post(f"/enterprises/{world.enterprise['A1']}/activities", data={
        "csrf_token": csrf(roster.text), "kind": "drill", "held_on": "2024-01-01", "drill_kind": "onsite",
        "scenario": "火灾", "participants": participants})
    assert answer.status_code == 422
    assert re.search(r'name="participants"[^>]*><span class="error">', answer.text)
    assert 'option value="onsite" selected' in answer.text
    assert count(database, Drill) == 0


@pytest.mark.parametrize("version", ["9" * 5000, "9" * 30, "0", str(2**63)])
def test_a_hazard_form_with_an_absurd_version_changes_nothing(client, world, database, version):
    hazard_id = make_hazard(database, world)
    login(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    answer = client.post(f"/hazards/{hazard_id}/events/reject", data={
        "csrf_token": csrf(page.text), "reason": "not_a_hazard", "version": version})
    assert answer.status_code == 422 and "version" in answer.text and 'class="error"' in answer.text
    funds = client.post(f"/hazards/{hazard_id}/events/assign", data={
        "csrf_token": csrf(page.text), "grade": "major", "funds": "NaN", "responsible_user_id": version})
    assert funds.status_code == 422
    assert re.search(r'name="funds"[^>]*>\s*<p class="error">', funds.text)
    with database.unit_of_work(write=False) as session:
        assert session.get(Hazard, hazard_id).version == 1


# ---- the command line ------------------------------------------------------------------------

@pytest.mark.parametrize("argument", ["\udcff\udcfe", "名\ud800", "\udfff"])
def test_a_command_line_argument_that_is_not_utf8_is_one_line(database_url, database, argument):
    """A shell passes bytes; those that are not UTF-8 reach Python as lone surrogates."""
    from click.testing import CliRunner

    from hazard_ledger.cli import cli
    from hazard_ledger.organisations.models import Jurisdiction

    result = CliRunner().invoke(cli, ["jurisdictions", "add", "X", argument],
                                env={"HAZARD_LEDGER_DATABASE_URL": database_url})
    assert result.exit_code == 2 and "not valid UTF-8" in result.output and "Traceback" not in result.output
    assert count(database, Jurisdiction) == 0
