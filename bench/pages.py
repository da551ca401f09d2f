"""Every main page in a real browser, as each role sees it, timed by the server: the app
is served for real (werkzeug, threaded, on port 5103) against a PostgreSQL schema holding
the demo data, then N seeded hazards; Debian's Chromium (Playwright) opens each page,
and its Navigation Timing reads the app's Server-Timing header (`app;dur=<ms>`, turned on
by [server] server_timing). The list API `GET /api/v1/hazards` is timed the same way on
the same data in the same run, and each page's p95 is set against it.

    python -m bench.pages                # demo data, then 100,000 hazards
    python -m bench.pages --hazards 1000000 --repeats 30
    python -m bench.pages --quick        # demo data, then 2,000 hazards, a few visits each

The target (issue 17): every page's server time p95 <= 100 ms."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.common import percentile, postgres_available, postgres_schema
from bench.seed import BENCH_PASSWORD, seed
from hazard_ledger.db import Database
from hazard_ledger.enums import Role
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.hazards.reporting import Report, report_as_user, report_publicly
from hazard_ledger.organisations import operations as orgs
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.security import Passwords

PORT = 5103
CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 100.0
API = "GET /api/v1/hazards"
ZONE = ZoneInfo("Asia/Shanghai")

# each role's main pages; {e} its (or the first) enterprise, {h} a hazard of it, {token}
# the enterprise's report token, {receipt} a public report's receipt, {period} this year
PAGES = {
    "safety officer": [
        "/", "/ledger", "/ledger?state=assigned&overdue=true", "/hazards/{h}", "/hazards/{h}/print", "/inbox",
        "/enterprises/{e}/roster", "/statistics/{e}/{period}", "/compliance", "/union", "/campaigns",
        "/prevention", "/enterprises/{e}/risk-points", "/inspections", "/qr/{e}",
    ],
    "inspector": [
        "/", "/ledger", "/ledger?state=assigned&overdue=true", "/audit", "/compliance", "/rewards",
        "/hazards/{h}", "/statistics/{e}/{period}", "/union", "/campaigns", "/prevention/overview",
        "/enterprises/{e}/risk-points",
    ],
    "admin": [
        "/", "/ledger", "/ledger?state=closed&q=配电箱", "/audit", "/compliance", "/rewards", "/hazards/{h}",
        "/union", "/campaigns", "/prevention/overview",
    ],
    "worker": ["/", "/mine", "/r/{token}", "/b/{token}", "/receipt/{receipt}"],
}


@dataclass
class World:
    """Who signs in as each role, and the addresses' parts."""

    logins: dict[str, tuple[str, str]]
    parts: dict[str, object]
    label: str


@dataclass
class Timings:
    """Per (role, address): the app's times and its CPU times, in ms, and the last status."""

    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    cpu: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    statuses: dict[tuple[str, str], int] = field(default_factory=dict)


def _public_reports(session, enterprise: Enterprise, worker: User, now: datetime) -> str:
    """A report of the worker's own and one through the QR form: the worker's pages and
    the receipt page have something to show. Answers the receipt."""
    report_as_user(session, worker, Report(location="二号车间", description="基准：配电箱门未关闭"), None, now, ZONE)
    _hazard, receipt = report_publicly(session, enterprise.report_token,
                                       Report(location="仓库", description="基准：消防通道堆放货物"), now, ZONE)
    return receipt


def _parts(session, enterprise: Enterprise, receipt: str, now: datetime) -> dict[str, object]:
    hazard_id = session.scalar(select(Hazard.id).where(Hazard.enterprise_id == enterprise.id)
                               .order_by((Hazard.state == "closed").desc(), Hazard.id).limit(1))
    return {"e": enterprise.id, "h": hazard_id, "token": enterprise.report_token, "receipt": receipt,
            "period": now.astimezone(ZONE).year}


def prepare_demo(url: str) -> World:
    from hazard_ledger.demo import DEMO_PASSWORD, load_demo
    from hazard_ledger.migrations import upgrade

    upgrade(url)
    database = Database(url)
    now = datetime.now(timezone.utc)
    with database.unit_of_work() as session:
        load_demo(session, Passwords(1, 1024, 1), now, ZONE)
        enterprise = session.scalars(select(Enterprise).where(Enterprise.code == "LS-001")).one()
        worker = session.scalars(select(User).where(User.username == "worker1")).one()
        receipt = _public_reports(session, enterprise, worker, now)
        parts = _parts(session, enterprise, receipt, now)
    database.dispose()
    logins = {"safety officer": "officer1", "inspector": "inspector", "admin": "admin", "worker": "worker1"}
    return World({role: (name, DEMO_PASSWORD) for role, name in logins.items()}, parts, "demo data")


def prepare_seeded(url: str, hazards: int, enterprises: int) -> World:
    """N hazards over the enterprises (bench/seed.py): the officer of enterprise 1 holds
    N / enterprises of them, the city-level inspector and the admin all of them."""
    seed(url, hazards, enterprises=enterprises)
    database = Database(url)
    with database.engine.connect() as connection:  # as autovacuum soon would after the bulk load
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE hazards, hazard_events")
    now = datetime.now(timezone.utc)
    passwords = Passwords(1, 1024, 1)
    with database.unit_of_work() as session:
        city = session.scalars(select(Jurisdiction).where(Jurisdiction.level == "city")).first()
        enterprise = session.get(Enterprise, 1)
        orgs.create_user(session, None, orgs.NewUser(username="bench-inspector", password=BENCH_PASSWORD,
                                                     role=Role.INSPECTOR, jurisdiction_id=city.id), passwords, now)
        worker = orgs.create_user(session, None, orgs.NewUser(username="bench-worker", password=BENCH_PASSWORD,
                                                              role=Role.WORKER, enterprise_id=1), passwords, now)
        receipt = _public_reports(session, enterprise, worker, now)
        parts = _parts(session, enterprise, receipt, now)
    database.dispose()
    logins = {"safety officer": "officer1", "inspector": "bench-inspector", "admin": "bench-admin",
              "worker": "bench-worker"}
    return World({role: (name, BENCH_PASSWORD) for role, name in logins.items()}, parts,
                 f"{hazards:,} hazards over {enterprises:,} enterprises")


def serve(url: str, instance_dir: Path):
    """The app as `serve` builds it, on a threaded werkzeug server in this process."""
    from werkzeug.serving import make_server

    from hazard_ledger import create_app
    from hazard_ledger.config import load_settings

    settings = load_settings({"database": {"url": url}, "server": {"server_timing": True},
                              "app": {"secret_key": secrets.token_hex(32), "base_url": f"http://127.0.0.1:{PORT}"}},
                             instance_dir=instance_dir)
    app = create_app(settings=settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    httpd = make_server("127.0.0.1", PORT, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return app, httpd


def parse_server_timing(header: str) -> dict[str, float]:
    """`app;dur=12.5, cpu;dur=3.1` -> {"app": 12.5, "cpu": 3.1}"""
    timings = {}
    for metric in header.split(","):
        name, _, duration = metric.strip().partition(";dur=")
        timings[name] = float(duration)
    return timings


def time_pages(browser, base: str, world: World, repeats: int) -> Timings:
    timings = Timings()
    for role, paths in PAGES.items():
        username, password = world.logins[role]
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path in paths:
            address = path.format(**world.parts)
            samples, cpu = [], []
            for visit in range(repeats + 1):  # the first visit compiles templates and warms the pool
                answer = page.goto(base + address)
                timings.statuses[(role, address)] = answer.status
                measured = dict(page.evaluate("performance.getEntriesByType('navigation')[0].serverTiming"
                                              ".map(t => [t.name, t.duration])"))
                if visit and "app" in measured:
                    samples.append(measured["app"])
                    cpu.append(measured.get("cpu", 0.0))
            timings.samples[(role, address)], timings.cpu[(role, address)] = samples, cpu
        context.close()
    return timings


def time_list_api(base: str, world: World, repeats: int) -> Timings:
    """GET /api/v1/hazards (the first page, 50 rows) as each role, by its Server-Timing."""
    answers = Timings()
    for role, (username, password) in world.logins.items():
        request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",
                                         data=json.dumps({"username": username, "password": password}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            token = json.load(response)["token"]
        samples, cpu = [], []
        for visit in range(repeats + 1):
            listing = urllib.request.Request(f"{base}/api/v1/hazards", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(listing) as response:
                response.read()
                measured = parse_server_timing(response.headers["Server-Timing"])
                answers.statuses[(role, API)] = response.status
            if visit:
                samples.append(measured["app"])
                cpu.append(measured["cpu"])
        answers.samples[(role, API)], answers.cpu[(role, API)] = samples, cpu
    return answers


def report(world: World, pages: Timings, api: Timings) -> list[str]:
    lines = [f"pages, {world.label}: the app's time (Server-Timing app;dur) in ms, p50 and p95; its CPU time "
             f"(cpu;dur) p50; p95 against the list API's p95 as the same role. Load average "
             f"{', '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} cores."]
    slow = []
    for role in PAGES:
        api_p95 = percentile(api.samples[(role, API)], .95)
        lines.append(f"  {role}: {_figures(api, (role, API), api_p95)}")
        for key in pages.samples:
            if key[0] == role:
                lines.append(f"    {_figures(pages, key, api_p95)}")
                if pages.samples[key] and percentile(pages.samples[key], .95) > TARGET_MS:
                    slow.append(f"{role} {key[1]}")
    lines.append(f"  over {TARGET_MS:.0f} ms at p95: {', '.join(slow) if slow else 'none'}")
    return lines


def _figures(timings: Timings, key: tuple[str, str], api_p95: float) -> str:
    samples, status = timings.samples[key], timings.statuses[key]
    if not samples:
        return f"{key[1]:<40} HTTP {status}, no Server-Timing"
    p95 = percentile(samples, .95)
    return (f"{key[1]:<40} p50 {percentile(samples, .5):6.1f} p95 {p95:6.1f} cpu {percentile(timings.cpu[key], .5):5.1f}"
            f"  x{p95 / api_p95:4.1f}{'' if status == 200 else f'  HTTP {status}'}"
            f"{'  OVER 100 ms' if p95 > TARGET_MS else ''}")


def run(hazards: int, repeats: int, enterprises: int, datasets=("demo", "seeded")) -> Iterator[str]:
    """The report's lines, each data set's as soon as it is measured."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        for dataset in datasets:
            with postgres_schema() as url, tempfile.TemporaryDirectory() as instance:
                world = prepare_demo(url) if dataset == "demo" else prepare_seeded(url, hazards, enterprises)
                app, httpd = serve(url, Path(instance))
                try:
                    base = f"http://127.0.0.1:{PORT}"
                    pages = time_pages(browser, base, world, repeats)
                    api = time_list_api(base, world, repeats)
                finally:
                    httpd.shutdown()
                    httpd.server_close()
                    app.extensions["hazard_ledger.db"].dispose()
                yield from report(world, pages, api)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hazards", type=int, default=100_000)
    # prime to seed.py's cycles (100 states, a major hazard every 97th), so that every
    # enterprise has hazards in every state and of both grades in the usual shares
    parser.add_argument("--enterprises", type=int, default=99, help="the seeded hazards' enterprises")
    parser.add_argument("--repeats", type=int, default=20, help="timed visits of each page")
    parser.add_argument("--quick", action="store_true", help="2,000 hazards, 3 visits a page")
    parser.add_argument("--data", choices=("both", "demo", "seeded"), default="both")
    args = parser.parse_args()
    if not postgres_available():
        raise SystemExit("no PostgreSQL at HAZARD_LEDGER_BENCH_DATABASE_URL")
    hazards, repeats = (2_000, 3) if args.quick else (args.hazards, args.repeats)
    datasets = ("demo", "seeded") if args.data == "both" else (args.data,)
    for line in run(hazards, repeats, args.enterprises, datasets):
        print(line, flush=True)


if __name__ == "__main__":
    main()
