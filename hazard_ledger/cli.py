"""The `hazard-ledger` command. Each command parses its arguments, opens one unit of
work and calls the same operations as the web layer. User errors print one line and
exit non-zero; no traceback for them."""

from __future__ import annotations

import itertools
import logging
import sys
from functools import wraps

import click
from sqlalchemy.exc import OperationalError

from hazard_ledger.clock import parse_instant
from hazard_ledger.config import ConfigError
from hazard_ledger.enums import Role
from hazard_ledger.errors import DomainError
from hazard_ledger.runtime import Runtime


class UserError(click.ClickException):
    """A mistake of the user's: printed as one line, exit status 1."""


def runtime() -> Runtime:
    context = click.get_current_context()
    root = context.find_root()
    if "runtime" not in root.meta:
        root.meta["runtime"] = Runtime.from_settings()
        # close the pool when the command ends, so no connection outlives it
        root.call_on_close(root.meta["runtime"].database.dispose)
    return root.meta["runtime"]


def user_errors(command):
    """Turn the errors a user can cause into one line."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            raise UserError(error.message) from None
        except ConfigError as error:
            raise UserError(str(error)) from None
        except OperationalError as error:
            raise UserError(f"database unavailable: {str(error.orig).strip().splitlines()[0]}") from None

    return wrapper


class CommandLine(click.Group):
    """The root group: every error a user can cause ends as one line on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # bytes that are not UTF-8 reach Python as lone surrogates, which nothing can store
        for argument in sys.argv[1:] if args is None else args:
            if any("\ud800" <= character <= "\udfff" for character in argument):
                shown = argument.encode("utf-8", "backslashreplace").decode()
                click.echo(f"hazard-ledger: error: '{shown}': 不是有效的 UTF-8 文本 / not valid UTF-8 text", err=True)
                sys.exit(2)
        try:
            return super().main(args, prog_name or "hazard-ledger", complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("hazard-ledger: aborted", err=True)
            sys.exit(1)
        except click.ClickException as error:
            click.echo(f"hazard-ledger: error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except ConfigError as error:
            click.echo(f"hazard-ledger: {error}", err=True)
            sys.exit(2)


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """hazard-ledger: the hidden-danger ledger (隐患台账) of a trade union's safety campaign."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("transitions", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


# ---- database and demo -------------------------------------------------------------

@cli.group()
def db() -> None:
    """The schema."""


@db.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Create or migrate the schema (Alembic)."""
    from hazard_ledger.migrations import upgrade

    upgrade(runtime().settings.database_url)
    click.echo("database is up to date")


@cli.command()
@user_errors
def demo() -> None:
    """Load demo data; running it twice changes nothing."""
    from hazard_ledger.demo import DEMO_LOGINS, load_demo

    rt = runtime()
    with rt.database.unit_of_work() as session:
        loaded = load_demo(session, rt.passwords, rt.clock(), rt.settings.timezone)
    click.echo("demo data loaded" if loaded else "demo data already present; nothing changed")
    click.echo("demo logins (username / password / role):")
    for username, password, role in DEMO_LOGINS:
        click.echo(f"  {username:<12} {password:<14} {role}")


# ---- organisations and people ---------------------------------------------------------

@cli.group()
def jurisdictions() -> None:
    """Union organisations (the jurisdiction tree)."""


@jurisdictions.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", help="code of the union above this one")
@click.option("--level", type=click.Choice(["province", "city", "county", "township"]),
              help="default: from a GB/T 2260 code, else one below the parent's")
@user_errors
def jurisdictions_add(code: str, name: str, parent_code: str | None, level: str | None) -> None:
    """Add a jurisdiction."""
    from hazard_ledger.organisations import operations as ops
    from hazard_ledger.organisations.levels import Level

    rt = runtime()
    with rt.database.unit_of_work() as session:
        parent_id = ops.jurisdiction_by_code(session, parent_code, "--parent").id if parent_code else None
        jurisdiction = ops.create_jurisdiction(session, None, code=code, name=name, parent_id=parent_id, now=rt.clock(),
                                               level=Level(level) if level else None)
        click.echo(f"jurisdiction {jurisdiction.code} added (id {jurisdiction.id}, {jurisdiction.level.value})")


@cli.group()
def enterprises() -> None:
    """Enterprises."""


@enterprises.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--jurisdiction", "jurisdiction_code", required=True, help="code of the enterprise's union")
@click.option("--high-risk", is_flag=True, help="a high-risk enterprise (drills every half-year)")
@click.option("--not-unionized", is_flag=True, help="the enterprise has no union")
@click.option("--industry", help="industry, as text")
@user_errors
def enterprises_add(code, name, jurisdiction_code, high_risk, not_unionized, industry) -> None:
    """Add an enterprise and print its public report token."""
    from hazard_ledger.organisations import operations as ops

    rt = runtime()
    with rt.database.unit_of_work() as session:
        jurisdiction = ops.jurisdiction_by_code(session, jurisdiction_code, "--jurisdiction")
        enterprise = ops.create_enterprise(session, None, code=code, name=name, jurisdiction_id=jurisdiction.id,
                                           high_risk=high_risk, unionized=not not_unionized, industry=industry,
                                           now=rt.clock())
        click.echo(f"enterprise {enterprise.code} added (id {enterprise.id})")
        click.echo(f"report token: {enterprise.report_token}")
        click.echo(f"report form:  {rt.settings['app']['base_url'].rstrip('/')}/r/{enterprise.report_token}")


@cli.group()
def users() -> None:
    """Accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--enterprise", "enterprise_code", help="code of the enterprise (worker, safety_officer)")
@click.option("--jurisdiction", "jurisdiction_code", help="code of the jurisdiction (inspector)")
@click.option("--name", help="the person's name")
@click.option("--email", help="e-mail address for notifications")
@click.option("--password", help="the password (prefer --password-stdin)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@user_errors
def users_add(username, role, enterprise_code, jurisdiction_code, name, email, password, password_stdin) -> None:
    """Add a user."""
    from hazard_ledger.organisations import operations as ops

    if enterprise_code and jurisdiction_code:
        raise UserError("give --enterprise or --jurisdiction, not both")
    password = password_from(password, password_stdin)
    rt = runtime()
    with rt.database.unit_of_work() as session:
        enterprise_id = ops.enterprise_by_code(session, enterprise_code, "--enterprise").id if enterprise_code else None
        jurisdiction_id = (ops.jurisdiction_by_code(session, jurisdiction_code, "--jurisdiction").id
                           if jurisdiction_code else None)
        user = ops.create_user(session, None, ops.NewUser(
            username=username, password=password, role=Role(role), enterprise_id=enterprise_id,
            jurisdiction_id=jurisdiction_id, name=name, email=email,
        ), rt.passwords, rt.clock())
        click.echo(f"user {user.username} added (id {user.id}, {user.role.value})")


@users.command("password")
@click.argument("username")
@click.option("--password", help="the new password (prefer --password-stdin)")
@click.option("--password-stdin", is_flag=True, help="read the new password from standard input")
@user_errors
def users_password(username, password, password_stdin) -> None:
    """Set a user's password; every session and API token of the user ends."""
    from hazard_ledger.organisations import operations as ops

    password = password_from(password, password_stdin)
    rt = runtime()
    with rt.database.unit_of_work() as session:
        user = ops.user_by_username(session, username, "USERNAME")
        ops.change_password(session, None, user, password, rt.passwords)
        click.echo(f"password of {user.username} changed; every session and token of theirs has ended")


@users.command("deactivate")
@click.argument("username")
@user_errors
def users_deactivate(username) -> None:
    """Stop a user from signing in; every session and API token of the user ends."""
    set_active(username, False)


@users.command("activate")
@click.argument("username")
@user_errors
def users_activate(username) -> None:
    """Let a deactivated user sign in again (their old sessions and tokens stay ended)."""
    set_active(username, True)


def set_active(username: str, active: bool) -> None:
    from hazard_ledger.organisations import operations as ops

    rt = runtime()
    with rt.database.unit_of_work() as session:
        user = ops.user_by_username(session, username, "USERNAME")
        ops.set_active(session, None, user, active)
        click.echo(f"user {user.username} {'activated' if active else 'deactivated; every session and token of theirs has ended'}")


def password_from(password: str | None, password_stdin: bool) -> str:
    if bool(password) == bool(password_stdin):
        raise UserError("give exactly one of --password and --password-stdin")
    return sys.stdin.readline().rstrip("\r\n") if password_stdin else password


# ---- processes ------------------------------------------------------------------------

@cli.command()
@click.option("--host", help="address to listen on (default: [server] host)")
@click.option("--port", type=click.IntRange(1, 65535), help="port (default: [server] port)")
@click.option("--workers", type=click.IntRange(1, 64), help="web worker processes (default: 2 x cores + 1)")
@click.option("--no-scheduler", is_flag=True, help="do not start the scheduler process beside the web workers")
@user_errors
def serve(host, port, workers, no_scheduler) -> None:
    """Serve the web application with gunicorn, and start the scheduler beside it."""
    from hazard_ledger.config import default_base_url_warning, resolve_secret_key
    from hazard_ledger.server import serve as run_server
    from hazard_ledger.web import secret_key_message

    # made here, once, before the workers start (a known or short key stopped load_settings)
    _key, generated = resolve_secret_key(runtime().settings)
    if generated:
        click.echo(f"hazard-ledger: {secret_key_message(generated)}", err=True)
    if warning := default_base_url_warning(runtime().settings):
        click.echo(f"hazard-ledger: warning: {warning}", err=True)
    run_server(runtime().settings, host=host, port=port, workers=workers, with_scheduler=not no_scheduler)


@cli.command()
@user_errors
def scheduler() -> None:
    """Run the scheduler process alone."""
    from hazard_ledger.scheduler import run_scheduler

    run_scheduler(runtime())


@cli.group()
def jobs() -> None:
    """Scheduled jobs."""


@jobs.command("list")
def jobs_list() -> None:
    """List the jobs and when they run."""
    from hazard_ledger.jobs import JOBS

    schedule = runtime().settings["scheduler"]
    for job in JOBS.values():
        click.echo(f"{job.name:<12} {schedule.get(job.name) or '(not scheduled)':<16} {job.description}")


@jobs.command("run")
@click.argument("job_name", metavar="JOB")
@click.option("--now", "now_text", help="run as if the clock read this ISO-8601 instant (default: now)")
@user_errors
def jobs_run(job_name: str, now_text: str | None) -> None:
    """Run one job once."""
    from hazard_ledger.jobs import JOBS, run_job

    if job_name not in JOBS:
        raise UserError(f"unknown job {job_name!r}; one of {', '.join(JOBS)}")
    rt = runtime()
    if now_text:
        try:
            now = parse_instant(now_text, rt.settings.timezone)
        except ValueError:
            raise UserError(f"--now: not an ISO-8601 date and time: {now_text!r}") from None
    else:
        now = rt.clock()
    result = run_job(rt, job_name, now)
    click.echo(f"{job_name} at {now.isoformat()}: {result}")


@cli.group()
def employees() -> None:
    """Rosters."""


@employees.command("import")
@click.argument("enterprise_code")
@click.argument("file", type=click.Path(dir_okay=False))
@user_errors
def employees_import(enterprise_code, file) -> None:
    """Import a roster (工号, 姓名, 部门, 岗位类别, 在职, 入职日期, 离职日期): all rows or none."""
    from hazard_ledger.compliance.operations import import_employees

    count, code = import_into(enterprise_code, file, lambda session, enterprise, rt: import_employees(
        session, enterprise, file))
    click.echo(f"{count} employee(s) imported or updated in {code}")


def import_into(enterprise_code: str, file: str, read) -> tuple[int, str]:
    """Run an all-or-nothing import into an enterprise; print each bad row, then one error line."""
    from hazard_ledger.organisations import operations as ops
    from hazard_ledger.tabular import ImportRefused, TableError

    rt = runtime()
    try:
        with rt.database.unit_of_work() as session:
            enterprise = ops.enterprise_by_code(session, enterprise_code, "ENTERPRISE_CODE")
            return len(read(session, enterprise, rt)), enterprise.code
    except TableError as error:
        raise UserError(str(error)) from None
    except ImportRefused as refused:
        for problem in refused.problems:
            click.echo(str(problem), err=True)
        raise UserError(f"{len(refused.problems)} problem(s) in {file}; nothing imported") from None


@cli.group()
def hazards() -> None:
    """The ledger as files."""


@hazards.command("export")
@click.option("--enterprise", "enterprise_code", help="only this enterprise")
@click.option("--state", "states", help="comma list of states (reported, assigned, rectified, closed, rejected)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="an .xlsx or .csv file")
@user_errors
def hazards_export(enterprise_code, states, output) -> None:
    """Write the ledger in the standard 隐患排查治理台账 columns."""
    from hazard_ledger.clock import local_today
    from hazard_ledger.enums import HazardState
    from hazard_ledger.hazards.operations import HazardFilters
    from hazard_ledger.organisations import operations as ops
    from hazard_ledger.paperwork.ledger_export import export_ledger
    from hazard_ledger.tabular import TableError, table_format

    try:
        fmt = table_format(output)
        chosen = [HazardState(s.strip()) for s in states.split(",") if s.strip()] if states else []
    except TableError as error:
        raise UserError(str(error)) from None
    except ValueError:
        raise UserError(f"--state: unknown state in {states!r}") from None
    rt = runtime()
    with rt.database.unit_of_work(write=False) as session:
        enterprise_id = ops.enterprise_by_code(session, enterprise_code, "--enterprise").id if enterprise_code else None
        today = local_today(rt.clock(), rt.settings.timezone)
        export_ledger(session, None, HazardFilters(states=chosen, enterprise_id=enterprise_id), output, fmt, today,
                      rt.settings.timezone)
    click.echo(f"ledger written to {output}")


@hazards.command("import")
@click.argument("enterprise_code")
@click.argument("file", type=click.Path(dir_okay=False))
@user_errors
def hazards_import(enterprise_code, file) -> None:
    """Import an existing ledger: every row is checked first, nothing is imported if any is bad."""
    from hazard_ledger.paperwork.ledger_import import import_ledger

    count, code = import_into(enterprise_code, file, lambda session, enterprise, rt: import_ledger(
        session, enterprise, file, rt.clock(), rt.settings.timezone))
    click.echo(f"imported {count} hazard(s) into {code}")


@cli.group("risk-points")
def risk_points() -> None:
    """The register of risk points (风险分级管控清单) as files."""


@risk_points.command("import")
@click.argument("enterprise_code")
@click.argument("file", type=click.Path(dir_okay=False))
@user_errors
def risk_points_import(enterprise_code, file) -> None:
    """Import a register: every row is checked first; lines are added, or updated by name and area."""
    from hazard_ledger.prevention.operations import risk_rules
    from hazard_ledger.prevention.register import import_register

    count, code = import_into(enterprise_code, file, lambda session, enterprise, rt: import_register(
        session, None, enterprise, file, risk_rules(rt.settings), rt.clock()))
    click.echo(f"{count} risk point(s) imported or updated in {code}")


@risk_points.command("export")
@click.argument("enterprise_code")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="an .xlsx or .csv file")
@user_errors
def risk_points_export(enterprise_code, output) -> None:
    """Write the register in the 风险分级管控清单 columns."""
    from hazard_ledger.organisations import operations as ops
    from hazard_ledger.prevention.register import export_register
    from hazard_ledger.tabular import TableError, table_format

    try:
        fmt = table_format(output)
    except TableError as error:
        raise UserError(str(error)) from None
    rt = runtime()
    with rt.database.unit_of_work(write=False) as session:
        enterprise = ops.enterprise_by_code(session, enterprise_code, "ENTERPRISE_CODE")
        count = export_register(session, None, enterprise, output, fmt)
    click.echo(f"{count} risk point(s) written to {output}")


@cli.command()
@click.argument("kind", type=click.Choice(["quarterly", "annual"]))
@click.option("--enterprise", "enterprise_code", required=True)
@click.option("--period", required=True, help="2026Q3 for a quarter, 2026 for a year")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="an .xlsx file")
@user_errors
def stats(kind, enterprise_code, period, output) -> None:
    """The statutory statistics of an enterprise, ready to sign."""
    from hazard_ledger.organisations import operations as ops
    from hazard_ledger.paperwork.statistics import Period, compute_statistics, write_statistics_xlsx

    chosen = Period.parse(period)
    if (kind == "quarterly") != (chosen.quarter is not None):
        raise UserError(f"--period: the {kind} report takes a period like {'2026Q3' if kind == 'quarterly' else '2026'}, "
                        f"not {period}")
    if not output.lower().endswith(".xlsx"):
        raise UserError("-o: the statistics are written as an .xlsx file")
    from hazard_ledger.clock import local_today

    rt = runtime()
    with rt.database.unit_of_work(write=False) as session:
        enterprise = ops.enterprise_by_code(session, enterprise_code, "--enterprise")
        result = compute_statistics(session, enterprise, chosen, rt.settings.timezone,
                                    local_today(rt.clock(), rt.settings.timezone))
    write_statistics_xlsx(result, output)
    running = "" if result.period_ended else f" (as of {result.as_of}, period not ended)"
    click.echo(f"{result.period_label}{running}: found {result.found}, rectified {result.rectified} "
               f"({result.rectification_rate:.0%}), overdue {result.overdue}, open major {len(result.open_major)}"
               f" -> {output}")


@cli.group()
def webhooks() -> None:
    """Group robots and integration endpoints."""


@webhooks.command("add")
@click.argument("url")
@click.option("--kind", type=click.Choice(["generic", "dingtalk", "wecom"]), default="generic", show_default=True)
@click.option("--enterprise", "enterprise_code", help="code of the enterprise whose messages it hears")
@click.option("--jurisdiction", "jurisdiction_code", help="code of the jurisdiction whose escalations it hears")
@click.option("--secret", help="DingTalk signing secret, or the HMAC key of a generic webhook")
@click.option("--kinds", help="comma list of notification kinds (default by owner)")
@user_errors
def webhooks_add(url, kind, enterprise_code, jurisdiction_code, secret, kinds) -> None:
    """Add a webhook to an enterprise or a jurisdiction."""
    from hazard_ledger.notifications.delivery import add_webhook
    from hazard_ledger.organisations import operations as ops

    if bool(enterprise_code) == bool(jurisdiction_code):
        raise UserError("give --enterprise or --jurisdiction, exactly one")
    rt = runtime()
    with rt.database.unit_of_work() as session:
        hook = add_webhook(
            session, kind=kind, url=url, secret=secret, kinds=kinds, now=rt.clock(),
            allowed_hosts=rt.settings["delivery"]["allowed_hosts"],
            enterprise_id=ops.enterprise_by_code(session, enterprise_code, "--enterprise").id if enterprise_code else None,
            jurisdiction_id=(ops.jurisdiction_by_code(session, jurisdiction_code, "--jurisdiction").id
                             if jurisdiction_code else None),
        )
        click.echo(f"webhook {hook.id} added ({hook.kind}, hears: {hook.kinds})")


@cli.group()
def deliveries() -> None:
    """The delivery outbox."""


@deliveries.command("list")
@click.option("--failed", is_flag=True, help="only the messages that gave up")
@user_errors
def deliveries_list(failed: bool) -> None:
    """List deliveries, newest first."""
    from hazard_ledger.notifications.delivery import list_deliveries

    rt = runtime()
    with rt.database.unit_of_work(write=False) as session:
        for item in list_deliveries(session, "failed" if failed else None):
            target = item.recipient or f"webhook {item.webhook_id}"
            click.echo(f"{item.id:>6} {item.status:<8} {item.attempts} {item.channel:<7} {target:<30} "
                       f"{item.subject} {item.last_error or ''}")


@cli.group()
def audit() -> None:
    """Evidence checks."""


@audit.command("verify")
@user_errors
def audit_verify() -> None:
    """Check every hazard's and every notice's hash chain, and every stored photo against
    the sha256 its history entry chained; exit non-zero on a break."""
    from hazard_ledger.hazards.attachments import verify_photos
    from hazard_ledger.hazards.chain import verify_all
    from hazard_ledger.union.operations import verify_notice_chains

    rt = runtime()
    breaks = notice_breaks = 0
    with rt.database.unit_of_work(write=False) as session:
        for found in itertools.chain(verify_all(session), verify_photos(session, rt.settings.upload_dir)):
            breaks += 1
            where = f"entry {found.seq}" if found.seq else "chain head"
            click.echo(f"BROKEN {found.code} (id {found.hazard_id}) at {where}: {found.problem}")
        for found in verify_notice_chains(session):
            notice_breaks += 1
            where = f"entry {found.seq}" if found.seq else "chain head"
            click.echo(f"BROKEN notice {found.code} (id {found.hazard_id}) at {where}: {found.problem}")
    if breaks or notice_breaks:
        raise UserError(f"{breaks} hazard chain(s) and {notice_breaks} notice chain(s) broken")
    click.echo("every hazard chain verifies, and every photo it chained")
    click.echo("every notice chain verifies")


@cli.group()
def union() -> None:
    """The union's instruments: working days, scoring sheets, campaign results."""


@union.command("workdays")
@click.argument("start")
@click.argument("count", type=click.IntRange(0, 366))
@user_errors
def union_workdays(start: str, count: int) -> None:
    """The day COUNT working days after START (the State Council's holiday arrangement)."""
    from datetime import date

    from hazard_ledger.workdays import add_working_days

    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise UserError(f"START: not a date such as 2026-09-30: {start!r}") from None
    answer = add_working_days(day, count)
    click.echo(answer.day.isoformat() + ("  (estimated by weekends: the holiday arrangement is not published yet)"
                                         if answer.estimated else ""))


@union.command("sheets")
@user_errors
def union_sheets() -> None:
    """List the campaign scoring sheets: name, total, line, items."""
    from hazard_ledger.union.scoring import sheets_of

    for sheet in sheets_of(runtime().settings).values():
        click.echo(f"{sheet.name:<20} {float(sheet.total):g} points, line {float(sheet.line):g}: {sheet.title} "
                   f"({sheet.source})")
        for item in sheet.items:
            click.echo(f"    {item.key:<14} {float(item.max):>5g}  {item.auto or 'inspector'}  {item.title}")


@union.command("export")
@click.argument("campaign_id", type=click.IntRange(1, 2**31 - 1))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="an .xlsx file")
@user_errors
def union_export(campaign_id: int, output: str) -> None:
    """Write a campaign's results (items, totals, verdicts, honours) as .xlsx."""
    from hazard_ledger import permissions
    from hazard_ledger.clock import local_today
    from hazard_ledger.tabular import write_table
    from hazard_ledger.union.campaigns import results_table

    if not output.lower().endswith(".xlsx"):
        raise UserError("-o: the results are written as an .xlsx file")
    rt = runtime()
    with rt.database.unit_of_work(write=False) as session:
        title, columns, rows = results_table(session, permissions.command_line_user(), campaign_id, local_today(rt.clock(), rt.settings.timezone),
                                             rt.settings)
    write_table(output, ".xlsx", columns, rows, title=title)
    click.echo(f"{title}: {len(rows)} enterprise(s) -> {output}")


def main() -> None:
    cli.main(prog_name="hazard-ledger")


if __name__ == "__main__":
    main()
