"""Fault injection with real processes: schedulers killed with SIGKILL, the leader's lock
connection terminated, PostgreSQL behind a loopback TCP proxy that goes silent, every
backend terminated and web workers killed in the middle of a burst of reports that the
client retries with Idempotency-Keys.

Each experiment prints its figures (`FAULTS name {...}`) and appends them to
test-artifacts/faults.jsonl; docs/reliability.md holds the figures of a run and the
command. The experiments wait for real clock minutes (a scheduled instant), so they are
slow; none asserts a timing, only what was written and answered."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from hazard_ledger.hazards.models import Hazard
from hazard_ledger.reliability.models import JobRun
from tests.conftest import PASSWORD
from tests.factories import make_hazard

pytestmark = [pytest.mark.slow, pytest.mark.wall_clock]  # other processes and real leases read the machine's clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ALL_JOBS_OFF = {"deliver": "", "compliance": "", "rewards": "", "statistics": "", "idempotency": ""}


def publish(name: str, **figures) -> None:
    print(f"\nFAULTS {name} {json.dumps(figures, ensure_ascii=False)}")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "faults.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps({"experiment": name, "at": datetime.now().astimezone().isoformat(timespec="seconds"),
                              **figures}, ensure_ascii=False) + "\n")


def toml(sections: dict) -> str:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A `hazard-ledger` command with its own configuration file and log."""

    def __init__(self, tmp_path: Path, name: str, database_url: str, config: dict, *args: str):
        self.log = tmp_path / f"{name}.log"
        config_file = tmp_path / f"{name}.toml"
        config_file.write_text(toml(config), encoding="utf-8")
        env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config_file),
               "HAZARD_LEDGER_UPLOAD_DIR": str(tmp_path / "uploads"), "HAZARD_LEDGER_SECRET_KEY": "a-secret-key-for-the-fault-experiments-0123456789"}
        with open(self.log, "w") as output:
            self.process = subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", *args], env=env, stdout=output,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, seconds: float = 60, times: int = 1) -> None:
        deadline = time.monotonic() + seconds
        while self.text().count(needle) < times:
            assert time.monotonic() < deadline, f"{needle!r} not in {self.log.name}:\n{self.text()}"
            assert self.process.poll() is None, f"{self.log.name} exited:\n{self.text()}"
            time.sleep(0.05)

    def signal(self, number: int) -> None:
        os.kill(self.process.pid, number)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def processes():
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def next_instant(at_least_seconds: float) -> datetime:
    """The next whole minute at least `at_least_seconds` away, in the configured zone."""
    soon = datetime.now(SHANGHAI) + timedelta(seconds=at_least_seconds)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def sleep_until(instant: datetime) -> None:
    while (left := (instant - datetime.now(SHANGHAI)).total_seconds()) > 0:
        time.sleep(min(left, 0.5))


def scheduler_config(instant: datetime, poll: float) -> dict:
    return {"scheduler": {"standby_poll_seconds": poll, "catch_up_grace_seconds": 3600,
                          "reminders": f"{instant.minute} {instant.hour} * * *", **ALL_JOBS_OFF}}


def job_run(database, job: str):
    with database.unit_of_work(write=False) as session:
        row = session.get(JobRun, job)
        return (row.last_instant, row.runs) if row else (None, 0)


def done_line(instant: datetime) -> str:
    return f"job reminders for {instant.isoformat()} done"


# ---- (a) a leader killed just before its instant --------------------------------------------

def test_a_leader_killed_just_before_an_instant_the_standby_runs_it_exactly_once(
        world, database, database_url, backend, tmp_path, processes):
    make_hazard(database, world, state="reported", now=datetime.now(SHANGHAI) - timedelta(days=5))
    instant = next_instant(15)
    leader = Process(tmp_path, "leader", database_url, scheduler_config(instant, 0.5), "scheduler")
    processes.append(leader)
    leader.wait_for("running jobs")
    standby = None
    if backend == "postgresql":
        standby = Process(tmp_path, "standby", database_url, scheduler_config(instant, 0.5), "scheduler")
        processes.append(standby)
        standby.wait_for("standing by")
    sleep_until(instant - timedelta(seconds=3))
    if standby is not None:
        standby.signal(signal.SIGSTOP)  # a standby that polls just after the instant (deterministically)
    leader.signal(signal.SIGKILL)
    leader.process.wait(timeout=10)
    sleep_until(instant + timedelta(seconds=1.5))
    if standby is not None:
        standby.signal(signal.SIGCONT)
    else:  # SQLite: one scheduler; the same one restarted
        standby = Process(tmp_path, "restarted", database_url, scheduler_config(instant, 0.5), "scheduler")
        processes.append(standby)
    standby.wait_for(done_line(instant))
    recovered = (datetime.now(SHANGHAI) - instant).total_seconds()
    time.sleep(2)  # anything that would run it again has had its chance
    assert "catching up the instant" in standby.text()
    assert job_run(database, "reminders") == (instant, 1)
    assert done_line(instant) not in leader.text() and standby.text().count(done_line(instant)) == 1
    publish(f"a-leader-killed-before-instant-{backend}", instant=instant.isoformat(), runs_of_the_instant=1,
            run_by="standby" if backend == "postgresql" else "restarted scheduler",
            seconds_from_instant_to_run_done=round(recovered, 1))


# ---- (b) the leader's lock connection cut ------------------------------------------------------

def lock_holder(database) -> int:
    with database.engine.begin() as connection:
        return connection.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = hashtext('hazard-ledger scheduler')::oid AND objid = hashtext(current_schema())::oid"
        )).scalar_one()


def test_a_leader_whose_lock_connection_was_cut_runs_nothing_and_the_instant_runs_once(
        world, database, database_url, backend, tmp_path, processes):
    if backend != "postgresql":
        pytest.skip("the scheduler lock is a PostgreSQL advisory lock")
    instant = next_instant(15)
    # the old leader looks at its lock rarely, so it is still "leading" when the instant comes
    leader = Process(tmp_path, "leader", database_url, scheduler_config(instant, 600), "scheduler")
    processes.append(leader)
    leader.wait_for("running jobs")
    standby = Process(tmp_path, "standby", database_url, scheduler_config(instant, 0.5), "scheduler")
    processes.append(standby)
    standby.wait_for("standing by")
    sleep_until(instant - timedelta(seconds=6))
    with database.engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lock_holder(database)})
    standby.wait_for("running jobs")
    leader.wait_for(f"job reminders for {instant.isoformat()} not run: another scheduler leads now", seconds=90)
    standby.wait_for(done_line(instant), seconds=90)
    time.sleep(2)
    assert job_run(database, "reminders") == (instant, 1)
    assert done_line(instant) not in leader.text() and standby.text().count(done_line(instant)) == 1
    publish("b-lock-connection-cut-postgresql", instant=instant.isoformat(), runs_by_old_leader=0,
            runs_by_new_leader=1, old_leader_refused=True)


# ---- a loopback TCP proxy in front of PostgreSQL ---------------------------------------------

class Proxy:
    """Forwards 127.0.0.1:port to PostgreSQL. `go_silent()`: it keeps every connection open
    and accepts new ones, but forwards nothing more in either direction (what a firewall
    that forgot the connection, or a frozen server, looks like from the client: TCP
    acknowledges, nothing answers). `resume()`: forwards again."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarding = threading.Event()
        self.forwarding.set()
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.upstream)
            except OSError:
                continue
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.forwarding.is_set():
                    target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_silent(self) -> None:
        self.forwarding.clear()

    def resume(self) -> None:
        # connections that lost bytes while silent are out of step: end them, as a real outage would
        stale, self.sockets = self.sockets, []
        for end in stale:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()
        self.forwarding.set()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.resume()


class Client:
    """HTTP to the server under test; a connection failure is an OSError or an
    http.client.HTTPException (an answer cut short)."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
                timeout: float = 60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload,
                               headers={**({"Content-Type": "application/json"} if payload else {}), **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data
        finally:
            connection.close()

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.request("GET", "/healthz", timeout=2)[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

    def token(self, username: str) -> str:
        status, _, data = self.request("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert status == 200, data
        return json.loads(data)["token"]


def serve(tmp_path, processes, name: str, database_url: str, workers: int, database: dict | None = None) -> Client:
    port = free_port()
    config = {"server": {"threads": 4, "worker_timeout_seconds": 60}, "limits": {"public_report": "100000 per minute"},
              "database": database or {}}
    server = Process(tmp_path, name, database_url, config, "serve", "--no-scheduler", "--port", str(port),
                     "--workers", str(workers))
    processes.append(server)
    client = Client(port)
    client.wait_until_up()
    client.server = server
    return client


# ---- (c) a connection dropped silently ---------------------------------------------------------

def test_a_silently_dropped_connection_ends_in_503_within_the_timeouts(world, database, database_url, backend, tmp_path,
                                                                      processes):
    if backend != "postgresql":
        pytest.skip("a network between the service and PostgreSQL")
    url = make_url(database_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    limits = {"connect_timeout_seconds": 2, "pool_timeout_seconds": 3, "web_statement_timeout_seconds": 2,
              "answer_grace_seconds": 1, "readiness_timeout_seconds": 2}
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        client = serve(tmp_path, processes, "server", proxied, workers=1, database=limits)
        headers = {"Authorization": f"Bearer {client.token('worker_a1')}", "Idempotency-Key": "dropped-1"}
        body = {"location": "配电室", "description": "silent-drop-report"}
        assert client.request("GET", "/readyz")[0] == 200
        assert client.request("POST", "/api/v1/hazards", {**body, "description": "before"}, headers={
            "Authorization": headers["Authorization"]})[0] == 201  # the pool holds live connections
        proxy.go_silent()
        answered = {}

        def report():
            started = time.monotonic()
            answered["answer"] = client.request("POST", "/api/v1/hazards", body, headers=headers)
            answered["seconds"] = time.monotonic() - started

        writer = threading.Thread(target=report)
        writer.start()
        time.sleep(0.3)  # the report is waiting on its silent connection
        started = time.monotonic()
        health = client.request("GET", "/healthz")
        health_seconds = time.monotonic() - started
        started = time.monotonic()
        ready = client.request("GET", "/readyz")
        ready_seconds = time.monotonic() - started
        writer.join(120)
        status, answer_headers, data = answered["answer"]
        assert (health[0], json.loads(health[2])) == (200, {"status": "ok"})
        assert ready[0] == 503 and json.loads(ready[2])["error"]["code"] == "unavailable"
        assert status == 503 and json.loads(data)["error"]["code"] == "unavailable"
        assert int(answer_headers["Retry-After"]) > 0
        outage_ended = time.monotonic()
        proxy.resume()
        while client.request("GET", "/readyz")[0] != 200:
            time.sleep(0.1)
        ready_again = time.monotonic() - outage_ended
        retried = client.request("POST", "/api/v1/hazards", body, headers=headers)
        assert retried[0] == 201
        with database.unit_of_work(write=False) as session:
            stored = session.scalar(select(func.count()).where(Hazard.description == body["description"]))
        assert stored == 1
        publish("c-silent-drop-postgresql", limits=limits, report_answer=status,
                report_answered_after_seconds=round(answered["seconds"], 1),
                healthz_during_outage=health[0], healthz_seconds=round(health_seconds, 2),
                readyz_during_outage=ready[0], readyz_seconds=round(ready_seconds, 1),
                seconds_to_ready_after_resume=round(ready_again, 1), retry_answer=retried[0], stored_once=stored == 1)
    finally:
        proxy.close()


# ---- (d) every backend terminated, workers killed, mid-burst --------------------------------------

def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


# the faults of a burst, each when this share of the reports is acknowledged
STORMS = {
    "postgresql": [("terminate every backend", k / 10) for k in (1, 2, 3, 4)] + [("kill -9 a web worker", 0.5)]
    + [("terminate every backend", k / 10) for k in (6, 7, 8, 9)],
    "sqlite": [("kill -9 a web worker", share) for share in (0.15, 0.35, 0.55, 0.75, 0.95)],
}


@pytest.mark.parametrize("keys", ["with keys", "without keys"])
def test_a_burst_with_faults_and_retries_stores_each_acknowledged_report_exactly_once_with_keys(
        world, database, database_url, backend, tmp_path, processes, keys):
    """Without keys no acknowledged report is lost either, but a retry after an answer lost
    in the fault may store its report twice: the figures show how often."""
    keyed = keys == "with keys"
    name = f"hl-faults-{secrets.token_hex(3)}"
    url = make_url(database_url)
    if backend == "postgresql":
        url = url.update_query_dict({"application_name": name})
    client = serve(tmp_path, processes, "server", url.render_as_string(hide_password=False), workers=2,
                   database={"web_statement_timeout_seconds": 5, "answer_grace_seconds": 2})
    worker_token = client.token("worker_a1")
    reports, threads = 400, 8
    public_path = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"

    def request_of(number: int):
        body = {"location": "装配车间", "description": f"burst-{number:04d}"}
        headers = {"Idempotency-Key": f"burst-{number}"} if keyed else {}
        if number % 2:
            return "/api/v1/hazards", body, {**headers, "Authorization": f"Bearer {worker_token}"}
        return public_path, {**body, "anonymous": True}, headers

    acknowledged: dict[int, bytes] = {}
    tally = {"attempts": 0, "unavailable_503": 0, "connection_errors": 0, "replayed": 0, "client_errors": 0}
    successes: list[float] = []
    lock = threading.Lock()
    numbers = iter(range(reports))

    def send_all():
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            path, body, headers = request_of(number)
            for _ in range(200):
                with lock:
                    tally["attempts"] += 1
                try:
                    status, answer_headers, data = client.request("POST", path, body, headers=headers, timeout=30)
                except (OSError, http.client.HTTPException):  # the worker died, or the connection with it
                    with lock:
                        tally["connection_errors"] += 1
                    time.sleep(0.1)
                    continue
                if status == 503:
                    with lock:
                        tally["unavailable_503"] += 1
                    time.sleep(0.1)
                    continue
                with lock:
                    if status == 201:
                        acknowledged[number] = data
                        successes.append(time.monotonic())
                        tally["replayed"] += answer_headers.get("Idempotent-Replayed") == "true"
                    else:
                        tally["client_errors"] += 1
                        tally.setdefault("client_error_answers", []).append(f"{status} {data[:120]!r}")
                break

    faults: list[tuple[str, float]] = []

    def inject():
        administrator = create_engine(database_url, poolclass=NullPool) if backend == "postgresql" else None
        try:
            for fault, share in STORMS[backend]:
                while len(acknowledged) < reports * share and any(t.is_alive() for t in senders):
                    time.sleep(0.005)
                if fault == "kill -9 a web worker":
                    pids = worker_pids(client.server.process.pid)
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                else:
                    with administrator.begin() as connection:
                        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                                "WHERE application_name = :name"), {"name": name})
                faults.append((fault, time.monotonic()))
        finally:
            if administrator is not None:
                administrator.dispose()

    senders = [threading.Thread(target=send_all) for _ in range(threads)]
    injector = threading.Thread(target=inject)
    started = time.monotonic()
    for thread in senders:
        thread.start()
    injector.start()
    for thread in senders:
        thread.join(600)
    injector.join(60)
    elapsed = time.monotonic() - started

    # every acknowledged report is stored, with the code it was acknowledged with
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(Hazard.description, Hazard.code).where(Hazard.description.like("burst-%"))).all()
    stored: dict[int, list[str]] = {}
    for description, code in rows:
        stored.setdefault(int(description.removeprefix("burst-")), []).append(code)
    lost = [n for n in acknowledged if n not in stored]
    duplicated = {n: codes for n, codes in stored.items() if len(codes) > 1}
    wrong_code = [n for n, data in acknowledged.items() if n in stored and json.loads(data)["code"] not in stored[n]]
    # and, with keys, every retry now answers the first answer
    mismatched_replays = 0
    for number, first in acknowledged.items() if keyed else ():
        path, body, headers = request_of(number)
        status, answer_headers, data = client.request("POST", path, body, headers=headers)
        mismatched_replays += not (status == 201 and data == first and answer_headers.get("Idempotent-Replayed"))
    recovery = [round(min((t for t in successes if t > at), default=float("nan")) - at, 2) for _, at in faults]
    publish(f"d-burst-{backend}-{keys.replace(' ', '-')}", reports=reports, client_threads=threads,
            faults=len(faults), fault_kinds=sorted({f for f, _ in faults}), acknowledged=len(acknowledged),
            stored=len(stored), stored_rows=len(rows), lost=len(lost), duplicated=len(duplicated),
            acknowledged_with_another_code=len(wrong_code), unacknowledged=reports - len(acknowledged),
            replays_differing_from_the_first_answer=mismatched_replays, seconds=round(elapsed, 1),
            max_seconds_to_next_success_after_a_fault=max(recovery, default=None), **tally)
    assert len(faults) == len(STORMS[backend])
    assert len(acknowledged) == reports and tally["client_errors"] == 0
    assert lost == [] and len(stored) == reports
    if keyed:
        assert duplicated == {} and wrong_code == [] and mismatched_replays == 0
