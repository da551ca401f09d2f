"""Delivery through real servers on loopback: an SMTP server (aiosmtpd) and an HTTP
server standing in for DingTalk, WeCom and a generic integration."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from hazard_ledger.cli import cli
from hazard_ledger.config import ConfigError, load_settings
from hazard_ledger.db import Database
from hazard_ledger.enums import Role
from hazard_ledger.errors import ValidationFailed
from hazard_ledger.notifications.channels import ChannelError, send_webhook
from hazard_ledger.notifications.delivery import add_webhook, deliver_due
from hazard_ledger.notifications.models import Delivery
from hazard_ledger.notifications.targets import AllowedHosts
from hazard_ledger.notifications.reminders import sweep_reminders
from tests import factories
from tests.clock import service_now
from tests.factories import SHANGHAI

DINGTALK_SECRET = "SEC-test-secret"
GENERIC_SECRET = "generic-hmac-key"
# the receivers listen on loopback, which a webhook may reach only when an admin allows it
LOOPBACK_ALLOWED = ["127.0.0.1"]
LOOPBACK_CONFIG = '[delivery]\nallowed_hosts = ["127.0.0.1"]\n'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.messages = []
        self.during: Callable[[], None] | None = None  # called after a message arrived, before the answer

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        if self.during:
            await asyncio.to_thread(self.during)
        return "250 OK"


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


class Receiver(ThreadingHTTPServer):
    """Records every successful POST and counts them all; answers with the next scripted
    status (then 200) and `answer` as the body (a redirect also names a Location)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.requests: list[dict] = []
        self.hits = 0
        self.script: list[int] = []
        self.answer = b'{"errcode": 0, "errmsg": "ok"}'
        self.delay = 0.0
        self.during: Callable[[], None] | None = None  # called while a request is being answered
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def keys(self) -> list[str]:
        return [r["headers"]["Idempotency-Key"] for r in self.requests]


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Receiver = self.server
        time.sleep(server.delay)
        if server.during:
            server.during()
        with server.lock:
            server.hits += 1
            status = server.script.pop(0) if server.script else 200
            if status == 200:
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.end_headers()
        self.wfile.write(server.answer)

    def log_message(self, *args):
        return None


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def allowed_hosts():
    """`[delivery] allowed_hosts` of the test (a test parametrizes it to change it)."""
    return LOOPBACK_ALLOWED


@pytest.fixture
def settings_override(settings_override, mailbox, allowed_hosts):
    return {**settings_override, "smtp": {"host": "127.0.0.1", "port": mailbox[1], "sender": "ledger@example.test"},
            "delivery": {"backoff_seconds": 60, "max_attempts": 3, "lease_seconds": 120, "batch_size": 10,
                         "timeout_seconds": 5, "allowed_hosts": allowed_hosts}}


def hooks(database, world, receiver, allowed_hosts=tuple(LOOPBACK_ALLOWED), **which):
    with database.unit_of_work() as session:
        for name, (kind, owner, secret) in which.items():
            owner_field = {"enterprise_id": world.enterprise[owner]} if owner in world.enterprise else \
                {"jurisdiction_id": world.jurisdiction[owner]}
            add_webhook(session, kind=kind, url=f"{receiver.url}/{name}", secret=secret, kinds=None,
                        now=service_now(), allowed_hosts=allowed_hosts,
                        **{"enterprise_id": None, "jurisdiction_id": None, **owner_field})


def make_hazard(database, world, **how) -> int:
    """factories.make_hazard, less the e-mails and robot messages of its report (the
    officers' `reported` notices, tests/test_report_notices.py and the test at the end):
    these tests follow what the deliveries of the events after it do."""
    hazard_id = factories.make_hazard(database, world, **how)
    with database.unit_of_work() as session:
        session.execute(delete(Delivery).where(Delivery.kind == "reported"))
    return hazard_id


def deliveries(database, **where):
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(Delivery).filter_by(**where).order_by(Delivery.id)))


def test_email_in_chinese_plain_and_html(database, settings, world, mailbox, clock):
    box, _ = mailbox
    make_hazard(database, world, state="assigned")  # worker2_a1 is made responsible: an `assigned` notification
    result = deliver_due(database, clock(), settings)
    assert result.sent == 1 and result.failed == 0
    (recipients, message), = box.messages
    assert recipients == ["worker2_a1@example.test"]
    assert "隐患整改任务" in message["Subject"]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "二号车间" in plain and "整改" in plain and "<p>" in html
    assert "http://hazard-ledger.test/hazards/" in plain  # what to open, even for an assignment
    sent, = deliveries(database, channel="email")
    assert sent.status == "sent" and f"delivery-{sent.id}" in message["Message-ID"]
    assert deliver_due(database, clock(), settings).sent == 0  # nothing twice


def test_webhooks_signed_and_in_each_robot_format(database, settings, world, receiver, clock):
    hooks(database, world, receiver, ding=("dingtalk", "A1", DINGTALK_SECRET), generic=("generic", "A1", GENERIC_SECRET),
          wecom=("wecom", "A", None), other=("generic", "B1", None))
    start = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    make_hazard(database, world, state="assigned", now=start)
    deadline = start.date() + timedelta(days=10)
    with database.unit_of_work() as session:
        sweep_reminders(session, datetime(deadline.year, deadline.month, deadline.day, 9, tzinfo=SHANGHAI)
                        + timedelta(days=7), settings)
    deliver_due(database, clock() + timedelta(days=60), settings)
    by_path = {}
    for request in receiver.requests:
        by_path.setdefault(urllib.parse.urlsplit(request["path"]).path, []).append(request)
    assert set(by_path) == {"/ding", "/generic", "/wecom"}  # B1's webhook hears nothing of A1
    # the enterprise's robots hear the assignment, the overdue day and the quiet spell; the county's the escalation
    ding = [json.loads(r["body"]) for r in by_path["/ding"]]
    assert {d["msgtype"] for d in ding} == {"markdown"}
    assert sorted(d["markdown"]["title"] for d in ding) == ["【整改情况未更新】", "【整改逾期】", "【隐患整改任务】"]
    for request in by_path["/ding"]:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
        timestamp, sign = query["timestamp"][0], query["sign"][0]
        expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        assert sign == expected
    for request in by_path["/generic"]:
        signature = hmac.new(GENERIC_SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Hazard-Ledger-Signature"] == f"sha256={signature}"
    overdue = [json.loads(r["body"]) for r in by_path["/generic"] if json.loads(r["body"])["kind"] == "overdue"][0]
    assert overdue["hazard"]["code"].startswith("YH-") and overdue["hazard"]["location"] == "二号车间"
    assert overdue["hazard"]["deadline"] == deadline.isoformat() and overdue["hazard"]["days_overdue"] == 7
    assert overdue["hazard"]["link"].startswith("http://hazard-ledger.test/hazards/")
    wecom = [json.loads(r["body"]) for r in by_path["/wecom"]]
    assert len(wecom) == 1 and "逾期督办" in wecom[0]["markdown"]["content"]


def test_retries_back_off_then_give_up_visibly(database, settings, world, receiver, clock):
    hooks(database, world, receiver, flaky=("generic", "A1", None))
    make_hazard(database, world, state="assigned")
    now = clock()
    receiver.script = [500, 503]
    assert deliver_due(database, now, settings).retried == 1
    assert deliver_due(database, now + timedelta(seconds=30), settings).sent == 0  # not yet due
    assert deliver_due(database, now + timedelta(seconds=61), settings).retried == 1
    assert deliver_due(database, now + timedelta(seconds=61 + 121), settings).sent == 1
    webhook, = deliveries(database, channel="webhook")
    assert webhook.status == "sent" and webhook.attempts == 3

    receiver.script = [500] * 10
    make_hazard(database, world, state="assigned")
    later = now + timedelta(hours=1)
    for step in range(3):
        deliver_due(database, later + timedelta(hours=step), settings)
    failed, = deliveries(database, status="failed")
    assert failed.attempts == 3 and "HTTP 500" in failed.last_error


def test_admins_see_failures(world, database, settings, receiver, clock):
    hooks(database, world, receiver, down=("wecom", "A1", None))
    receiver.script = [500] * 10
    make_hazard(database, world, state="assigned")
    now = clock()
    for step in range(3):
        deliver_due(database, now + timedelta(hours=step), settings)
    listed = world.get("admin", "/api/v1/deliveries?status=failed").json["items"]
    assert len(listed) == 1 and listed[0]["channel"] == "webhook" and listed[0]["last_error"]
    assert world.get("officer_a1", "/api/v1/deliveries").status_code == 403


def test_webhook_administration(world):
    created = world.post("admin", "/api/v1/webhooks", json={"kind": "dingtalk", "url": "https://oapi.example/robot/send",
                                                            "secret": "s", "enterprise_id": world.enterprise["A1"]})
    assert created.status_code == 201 and created.json["signed"] is True and "secret" not in created.json
    assert created.json["kinds"] == "reported,assigned,due_soon,overdue,stale_progress,untriaged"
    both = world.post("admin", "/api/v1/webhooks", json={"kind": "generic", "url": "https://x.example/",
                                                         "enterprise_id": world.enterprise["A1"],
                                                         "jurisdiction_id": world.jurisdiction["A"]})
    assert both.status_code == 422
    bad = world.post("admin", "/api/v1/webhooks", json={"kind": "generic", "url": "ftp://x", "jurisdiction_id": 1})
    assert bad.status_code == 422 and "url" in bad.json["error"]["fields"]
    assert world.post("officer_a1", "/api/v1/webhooks", json={"kind": "generic", "url": "https://x.example/",
                                                              "enterprise_id": world.enterprise["A1"]}).status_code == 403
    assert world.client.delete(f"/api/v1/webhooks/{created.json['id']}", headers=world.auth("admin")).status_code == 204
    assert world.get("admin", "/api/v1/webhooks").json["items"][0]["active"] is False


# ---- where a webhook may go (the outbox must not probe the service's own network) ----------

INSIDE = ["http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://127.0.0.1:5432/",
          "http://0x7f000001/", "http://10.0.0.1/robot", "http://2130706433/", "http://0177.0.0.1/", "http://127.1/",
          "http://[::ffff:127.0.0.1]/", "http://[fe80::1%25eth0]/", "http://localhost:8080/", "http://192.168.1.20/",
          "http://100.64.0.1/", "http://224.0.0.1/", "http://0.0.0.0/", "http://[fd00::1]/",
          "http://１２７。０。０。１/", "https://user:secret@oapi.example/robot", "file:///etc/passwd",
          "gopher://oapi.example/"]


@pytest.mark.parametrize("allowed_hosts", [[]])
def test_a_webhook_pointing_inside_is_refused_when_added(world, database_url, allowed_hosts):
    for url in INSIDE:
        refused = world.post("admin", "/api/v1/webhooks", json={"kind": "generic", "url": url,
                                                                "enterprise_id": world.enterprise["A1"]})
        assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["url"], (url, refused.json)
    assert world.get("admin", "/api/v1/webhooks").json["items"] == []
    runner = CliRunner()
    for url in ("http://169.254.169.254/", "http://[::1]:8080/", "http://0x7f000001/", "http://u:p@oapi.example/"):
        result = runner.invoke(cli, ["webhooks", "add", url, "--enterprise", "A1"],
                               env={"HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": ""})
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code != 0 and len(lines) == 1 and "url" in lines[0], result.output
    # a public robot is fine
    assert world.post("admin", "/api/v1/webhooks", json={"kind": "dingtalk", "url": "https://oapi.example/robot/send",
                                                         "enterprise_id": world.enterprise["A1"]}).status_code == 201


def test_an_intranet_robot_is_allowed_once_listed(database, world, clock):
    allowed = ["robot.corp.example", "10.20.0.0/16"]
    with database.unit_of_work() as session:
        for url in ("http://robot.corp.example:8080/send", "http://10.20.3.4/send", "http://[::ffff:10.20.3.4]/send"):
            add_webhook(session, kind="generic", url=url, secret=None, kinds=None, now=clock(),
                        enterprise_id=world.enterprise["A1"], jurisdiction_id=None, allowed_hosts=allowed)
        with pytest.raises(ValidationFailed):
            add_webhook(session, kind="generic", url="http://10.21.0.1/", secret=None, kinds=None,
                        now=clock(), enterprise_id=world.enterprise["A1"], jurisdiction_id=None,
                        allowed_hosts=allowed)
    for wrong in ("127.0.0.1", [""], [7], ["not a host!"]):
        with pytest.raises(ConfigError, match="delivery.allowed_hosts"):
            load_settings({"delivery": {"allowed_hosts": wrong}}, environ={})


@pytest.mark.parametrize("allowed_hosts", [[]])
def test_without_allowed_hosts_a_loopback_receiver_never_gets_a_request(database, settings, world, receiver,
                                                                        allowed_hosts, clock):
    # added while allowed (or a name since re-pointed at loopback): the send checks again
    port = receiver.server_address[1]
    with database.unit_of_work() as session:
        for url in (receiver.url, f"http://localhost:{port}/", f"http://0x7f000001:{port}/", f"http://2130706433:{port}/",
                    f"http://[::ffff:127.0.0.1]:{port}/"):
            add_webhook(session, kind="generic", url=url, secret=None, kinds=None, now=clock(),
                        enterprise_id=world.enterprise["A1"], jurisdiction_id=None,
                        allowed_hosts=["127.0.0.1", "localhost", "::ffff:127.0.0.1"])
    make_hazard(database, world, state="assigned", responsible=None)
    run = deliver_due(database, clock(), settings)
    assert run.retried == 5 and run.sent == 0
    assert receiver.hits == 0
    for refused in deliveries(database, channel="webhook"):
        assert refused.status == "pending" and "must not point at a loopback" in refused.last_error


def test_a_webhook_is_sent_to_the_address_that_was_checked(database, settings, world, receiver, monkeypatch, clock):
    """DNS rebinding: the name answers a permitted address to the check and an inside one
    to any later question. The send asks once and connects where the check looked, with
    the name in the Host header. (The resolver is the one part played: no DNS server here.)"""
    port = receiver.server_address[1]
    real = socket.getaddrinfo
    answers = {"count": 0}

    def rebinding(host, *args, **kwargs):
        if host != "robot.rebind.test":
            return real(host, *args, **kwargs)
        answers["count"] += 1
        address = "127.0.0.1" if answers["count"] == 1 else "10.255.255.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    with database.unit_of_work() as session:
        add_webhook(session, kind="generic", url=f"http://robot.rebind.test:{port}/hook", secret=None, kinds=None,
                    now=clock(), enterprise_id=world.enterprise["A1"], jurisdiction_id=None)
    make_hazard(database, world, state="assigned", responsible=None)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert deliver_due(database, clock(), settings).sent == 1
    request, = receiver.requests
    assert request["headers"]["Host"] == f"robot.rebind.test:{port}" and request["path"] == "/hook"
    assert answers["count"] == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="makes its certificate with the openssl command")
def test_an_https_webhook_is_verified_for_its_name_at_the_checked_address(database, settings_override, world,
                                                                           tmp_path, monkeypatch, clock):
    """TLS to the checked address still names the URL's host: SNI, certificate check and
    Host header. (A made-up name, answered by the played resolver; the certificate is
    trusted through SSL_CERT_FILE.)"""
    name = "robot.tls.test"
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(certificate, key)
    asked_for = []
    server_side.sni_callback = lambda connection, server_name, context: asked_for.append(server_name)
    receiver = Receiver()
    receiver.socket = server_side.wrap_socket(receiver.socket, server_side=True)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs: real(
        "127.0.0.1" if host == name else host, *args, **kwargs))
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    settings = load_settings({**settings_override, "delivery": {**settings_override["delivery"], "allowed_hosts": [name]}},
                             environ={})
    try:
        with database.unit_of_work() as session:
            add_webhook(session, kind="generic", url=f"https://{name}:{port}/hook", secret=None, kinds=None,
                        now=clock(), enterprise_id=world.enterprise["A1"], jurisdiction_id=None)
        make_hazard(database, world, state="assigned", responsible=None)
        assert deliver_due(database, clock(), settings).sent == 1
    finally:
        receiver.shutdown()
        receiver.server_close()
    request, = receiver.requests
    assert asked_for == [name] and request["headers"]["Host"] == f"{name}:{port}"


class Banner(socketserver.ThreadingTCPServer):
    """Not HTTP: a service that greets whoever connects (as SSH or a database would)."""

    daemon_threads = True

    def __init__(self):
        class Greet(socketserver.BaseRequestHandler):
            def handle(self):
                # Greet and keep listening until the client hangs up, as a real banner service
                # does: closing at once would make the client's write fail (a broken pipe) before
                # it reads the greeting, and the test would check the network, not the answer.
                self.request.sendall(b"SSH-2.0-OpenSSH_9.6 internal-build-SECRET\r\n")
                self.request.settimeout(5)
                try:
                    while self.request.recv(65536):
                        pass
                except OSError:
                    pass

        super().__init__(("127.0.0.1", 0), Greet)


def test_a_receivers_answer_never_reaches_the_error_list(receiver):
    allowed = AllowedHosts(LOOPBACK_ALLOWED)

    def failure(kind, url):
        with pytest.raises(ChannelError) as caught:
            send_webhook(kind, url, None, subject="s", body="b", data={}, delivery_id=1, timeout=5,
                         allowed_hosts=allowed)
        assert "SECRET" not in str(caught.value)
        return str(caught.value)

    receiver.answer = b"<html>SECRET internal dashboard</html>"
    receiver.script = [500, 302]
    assert failure("generic", receiver.url) == "generic webhook answered HTTP 500"
    assert failure("generic", receiver.url) == "generic webhook answered HTTP 302 (redirects are not followed)"
    assert receiver.hits == 2  # the redirect was not followed
    receiver.answer = b'{"errcode": 93000, "errmsg": "SECRET token of another robot"}'
    assert "refused the message" in failure("wecom", receiver.url)
    banner = Banner()
    threading.Thread(target=banner.serve_forever, daemon=True).start()
    try:
        assert failure("generic", f"http://127.0.0.1:{banner.server_address[1]}/") == \
            "generic webhook did not answer in HTTP"
    finally:
        banner.shutdown()
        banner.server_close()


# ---- sending with nothing held, and again under the same name -------------------------------

def test_nothing_is_held_open_while_sending(database, settings, world, mailbox, receiver, clock):
    """The claim is committed before a send begins and the outcome written after it ends:
    a slow receiver holds no transaction, no lock and no pooled connection."""
    box, _ = mailbox
    hooks(database, world, receiver, group=("generic", "A1", None))
    held = []
    box.during = receiver.during = lambda: held.append(database.engine.pool.checkedout())
    make_hazard(database, world, state="assigned")
    assert deliver_due(database, clock(), settings).sent == 2
    assert held == [0, 0]


def test_a_message_sent_again_after_a_crash_has_the_same_message_id(database, settings, world, mailbox, receiver, clock):
    box, _ = mailbox
    hooks(database, world, receiver, group=("generic", "A1", None))
    make_hazard(database, world, state="assigned")
    assert deliver_due(database, clock(), settings).sent == 2
    # the sender died after sending, before recording it: the claims are left to lapse
    with database.unit_of_work() as session:
        session.execute(update(Delivery).values(status="sending", claim_token="f" * 32, sent_at=None, attempts=0,
                                                lease_until=clock() - timedelta(seconds=1)))
    assert deliver_due(database, clock(), settings).sent == 2
    first, again = (message for _, message in box.messages)
    email, = deliveries(database, channel="email")
    assert first["Message-ID"] == again["Message-ID"]
    assert re.fullmatch(rf"<delivery-{email.id}\.[0-9a-f]{{16}}@hazard-ledger>", first["Message-ID"])
    webhook, = deliveries(database, channel="webhook")
    assert receiver.keys() == [f"delivery-{webhook.id}"] * 2


def test_a_report_mails_each_officer_once_and_tells_the_robot_once(app, database, settings, world, mailbox, receiver,
                                                                    client, clock):
    """A new report (through the public form, as a worker does) to the end: each active
    officer of the enterprise with an address gets one e-mail, the enterprise's robot one
    message; another deliver run, and the same form sent again under its idempotency key,
    send nothing more."""
    box, _ = mailbox
    with database.unit_of_work() as session:
        factories.user(session, world, app.extensions["hazard_ledger.passwords"], "officer2_a1",
                       Role.SAFETY_OFFICER, "A1")
    hooks(database, world, receiver, ding=("dingtalk", "A1", DINGTALK_SECRET), other=("wecom", "A2", None))
    report = {"location": "三号仓库", "description": "灭火器压力不足", "name": "李四"}
    headers = {"Idempotency-Key": "report-once"}
    for _ in range(2):  # the worker's phone sends it twice
        answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards", json=report,
                             headers=headers)
        assert answer.status_code == 201, answer.json
    assert deliver_due(database, clock(), settings).sent == 3
    assert deliver_due(database, clock() + timedelta(hours=1), settings).sent == 0
    assert sorted(recipients for recipients, _ in box.messages) == [["officer2_a1@example.test"],
                                                                    ["officer_a1@example.test"]]
    for _, message in box.messages:
        assert "新的隐患报告" in message["Subject"]
        plain = message.get_body(("plain",)).get_content()
        assert "三号仓库" in plain and "灭火器压力不足" in plain and "李四" not in plain
        assert "http://hazard-ledger.test/hazards/" in plain
    (request,) = receiver.requests
    assert urllib.parse.urlsplit(request["path"]).path == "/ding"
    robot = json.loads(request["body"])
    assert robot["markdown"]["title"] == "【新的隐患报告】" and "三号仓库" in robot["markdown"]["text"]
    assert "李四" not in request["body"].decode()


def test_two_deliver_runs_at_once_send_each_message_once(database, settings, world, receiver, clock):
    hooks(database, world, receiver, first=("generic", "A1", None), second=("generic", "A1", None))
    for _ in range(12):
        make_hazard(database, world, state="assigned", responsible=None)
    receiver.delay = 0.01
    now = clock()
    runs = [threading.Thread(target=deliver_due, args=(database, now, settings)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    keys = receiver.keys()
    assert len(keys) == 24 and len(set(keys)) == 24
    assert all(d.status == "sent" for d in deliveries(database))


@pytest.mark.slow
@pytest.mark.wall_clock  # another process (or thread) holds real leases
def test_a_deliver_killed_mid_batch_loses_nothing(database, settings, world, receiver, database_url, tmp_path,
                                                  backend, clock):
    if backend != "postgresql":
        pytest.skip("the kill test runs against PostgreSQL, where several deliver processes may share the outbox")
    hooks(database, world, receiver, slow=("generic", "A1", None))
    for _ in range(20):
        make_hazard(database, world, state="assigned", responsible=None)
    receiver.delay = 0.15
    config = tmp_path / "loopback.toml"
    config.write_text(LOOPBACK_CONFIG, encoding="utf-8")
    env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config)}
    worker = subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "jobs", "run", "deliver"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    delivered_before = len(receiver.requests)
    assert 5 <= delivered_before < 20
    receiver.delay = 0
    # its claims expire after the lease; the next run takes them again
    deliver_due(database, clock() + timedelta(seconds=121), settings)
    keys = receiver.keys()
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).where(Delivery.status != "sent")) == 0
        all_ids = {f"delivery-{i}" for i in session.scalars(select(Delivery.id))}
    assert set(keys) == all_ids  # every message delivered
    # a message whose HTTP call had completed when the process died may arrive twice, with the
    # same idempotency key for the receiver to drop: at most the one in flight
    assert len(keys) - len(set(keys)) <= 1


@pytest.mark.slow
@pytest.mark.wall_clock  # another process (or thread) holds real leases
def test_one_scheduler_runs_the_other_stands_by_and_takes_over(database_url, backend, tmp_path, app, database):
    if backend != "postgresql":
        pytest.skip("the scheduler lock is a PostgreSQL advisory lock")
    config = tmp_path / "fast.toml"
    config.write_text("[scheduler]\nstandby_poll_seconds = 0.3\n", encoding="utf-8")
    env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config)}
    logs = [tmp_path / "first.log", tmp_path / "second.log"]

    def start(log):
        with open(log, "w") as output:
            return subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "scheduler"], env=env, stdout=output,
                                    stderr=subprocess.STDOUT)

    def wait_for(log, text, seconds=30):
        deadline = time.monotonic() + seconds
        while text not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)

    first = start(logs[0])
    second = None
    try:
        wait_for(logs[0], "scheduler lock taken")
        second = start(logs[1])
        wait_for(logs[1], "standing by")
        assert "scheduler lock taken" not in logs[1].read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        wait_for(logs[1], "scheduler lock taken")
        wait_for(logs[1], "job reminders")  # the new leader's first run logs a moment after the lock
        # the leader's database connection dies (a restart, an admin): it stops its jobs and leads again
        with database.engine.begin() as connection:
            holder = connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = hashtext('hazard-ledger scheduler')::oid AND objid = hashtext(current_schema())::oid"
            )).scalar_one()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
        wait_for(logs[1], "scheduler lock lost")
        deadline = time.monotonic() + 30
        while logs[1].read_text().count("scheduler lock taken") < 2:
            assert time.monotonic() < deadline, logs[1].read_text()
            time.sleep(0.1)
        second.terminate()
        second.wait(timeout=10)
        assert "scheduler stopped" in logs[1].read_text()
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.wall_clock  # another process (or thread) holds real leases
def test_a_deliver_run_carries_on_when_its_database_connections_are_terminated(database, settings_override, world,
                                                                               mailbox, database_url, backend, clock):
    """A restart or an admin's pg_terminate_backend while a run is sending: it reconnects,
    records what it sent, and carries on. Its connections are cut twice: while it sends (the
    idle pooled one) and while it records (held up by a row lock, so the cut lands mid-statement)."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    box, _ = mailbox
    make_hazard(database, world, state="assigned")
    make_hazard(database, world, state="assigned")  # two e-mails to the responsible worker
    tag = f"deliver-{secrets.token_hex(4)}"  # names the run's backends in pg_stat_activity
    deliverer = Database(make_url(database_url).update_query_dict({"application_name": tag})
                         .render_as_string(hide_password=False))
    settings = load_settings({**settings_override, "delivery": {**settings_override["delivery"], "timeout_seconds": 60}},
                             environ={})
    sending, go_on = threading.Event(), threading.Event()

    def hold_the_first():
        if not sending.is_set():
            sending.set()
            go_on.wait(60)

    box.during = hold_the_first
    outcome: dict = {}

    def run():
        try:
            outcome["run"] = deliver_due(deliverer, clock(), settings)
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            outcome["error"] = error

    admin = create_engine(database.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def terminate(waiting_for_a_lock: bool = False) -> None:
        """End every backend of the run (once one waits for a lock, when asked), and wait until they are gone."""
        with admin.connect() as connection:
            for _ in range(600):
                backends = connection.execute(text(
                    "SELECT pid, wait_event_type FROM pg_stat_activity WHERE application_name = :tag"), {"tag": tag}).all()
                if not waiting_for_a_lock or any(kind == "Lock" for _, kind in backends):
                    break
                time.sleep(0.05)
            assert backends and (not waiting_for_a_lock or any(kind == "Lock" for _, kind in backends)), backends
            for pid, _ in backends:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(600):
                if not connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :tag"),
                                          {"tag": tag}).scalar():
                    return
                time.sleep(0.05)
            raise AssertionError("the run's backends did not end")

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        assert sending.wait(60), outcome
        terminate()  # the connection it claimed on, idle in the pool while it sends
        first_id = int(box.messages[0][1]["X-Hazard-Ledger-Delivery"])
        with database.engine.connect() as locker:  # its outcome will wait for this row
            locker.execute(select(Delivery.id).where(Delivery.id == first_id).with_for_update())
            go_on.set()
            terminate(waiting_for_a_lock=True)  # the connection it records on, mid-statement
            locker.rollback()
        worker.join(120)
    finally:
        go_on.set()
        deliverer.dispose()
        admin.dispose()
    assert "error" not in outcome and outcome["run"].sent == 2, outcome
    assert [d.status for d in deliveries(database)] == ["sent", "sent"]
    assert [d.attempts for d in deliveries(database)] == [1, 1]
    # nothing is sent again once every lease is over
    assert deliver_due(database, clock() + timedelta(seconds=121), settings).sent == 0
    assert sorted(int(m["X-Hazard-Ledger-Delivery"]) for _, m in box.messages) == [d.id for d in deliveries(database)]
