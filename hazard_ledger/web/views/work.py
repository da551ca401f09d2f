"""The working pages: the ledger table, the overdue audit, the inbox, QR posters, and
the reporter's status page by receipt. They call the same operations as the API."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Iterable
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from marshmallow import ValidationError
from sqlalchemy import func, nulls_last, select

from hazard_ledger import permissions
from hazard_ledger.compliance.operations import check as check_compliance
from hazard_ledger.compliance.operations import (import_employees, list_activities, list_employees, record_drill,
                                                 record_training)
from hazard_ledger.compliance.schemas import DrillIn, TrainingIn
from hazard_ledger.config import default_base_url_warning
from hazard_ledger.enums import HazardState
from hazard_ledger.errors import DomainError, Forbidden, NotFound, ValidationFailed, flatten_messages
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.hazards.schemas import HazardQuery, filters_of
from hazard_ledger.notifications import operations as inbox_ops
from hazard_ledger.notifications.nudges import nudge
from hazard_ledger.organisations.operations import list_enterprises, visible_enterprise
from hazard_ledger.rewards.models import AwardStatus
from hazard_ledger.paperwork.ledger_export import export_ledger
from hazard_ledger.paperwork.statistics import Period
from hazard_ledger.rewards.operations import (
    approve_award, approve_awards, budgets_of_year, claim_award, list_awards, pay_award, receipt_reward, reject_award,
    reporter_of,
)
from hazard_ledger.tabular import Column, ImportRefused, TableError, read_table, write_table
from hazard_ledger.validation import MAX_ID
from hazard_ledger.web import db
from hazard_ledger.web.downloads import send_written
from hazard_ledger.web.limits import limit_public_reports
from hazard_ledger.web.views.forms import ClaimForm, signed_location
from hazard_ledger.web.views.qr import qr_svg
from hazard_ledger.web.views.union import one_language
from hazard_ledger.workflow import allowed_events

bp = Blueprint("work", __name__)


def _filters() -> ops.HazardFilters:
    """The ledger's filters read by the API's schema: the same names, bounds and meanings.
    A field a hand-typed address gets wrong is dropped (never a 500); the rest still filter."""
    schema = HazardQuery()
    given = {name: ",".join(v for v in request.args.getlist(name) if v.strip()) for name in schema.fields}
    given = {name: value for name, value in given.items() if value}
    try:
        return filters_of(schema.load(given))
    except ValidationError as error:
        return filters_of(schema.load({name: value for name, value in given.items() if name not in error.messages}))


@bp.route("/ledger")
@login_required
def ledger():
    return _ledger_page()


# The ledger counts its rows up to this many: past it an exact figure would cost a scan of
# every match on each visit (a city's years of hazards, a word searched in all of them)
# and tell a reader no more than "over ten thousand"; the export holds them all.
LEDGER_TOTAL_BOUND = 10_000


def _ledger_page(status: int = 200, problem: str | None = None, ticked: Iterable[int] = ()):
    """The ledger table under the address's filters; `problem`: a bulk action refused
    (shown above the list, with the rows that were ticked still ticked)."""
    session, today = db.session(), db.today()
    filters = _filters()
    next_cursor = None
    if request.args.get("sort") == "deadline":
        query = ops.filtered_query(session, current_user, filters, today, db.zone())
        hazards = list(session.scalars(query.order_by(nulls_last(Hazard.deadline.asc()), Hazard.id).limit(200)))
    else:
        try:
            hazards, next_cursor = ops.list_hazards(session, current_user, filters, today, db.zone(), limit=50,
                                                    cursor=request.args.get("cursor") or None)
        except DomainError:
            abort(404)
    args = {k: v for k, v in request.args.items(multi=False) if k not in ("cursor", *BULK_ANSWER)}
    total = session.scalar(select(func.count()).select_from(
        ops.filtered_query(session, current_user, filters, today, db.zone()).limit(LEDGER_TOTAL_BOUND + 1).subquery()))
    return render_template("pages/ledger.html", hazards=hazards, today=today, next_cursor=next_cursor, args=args,
                           states=list(HazardState), total=total, total_bound=LEDGER_TOTAL_BOUND,
                           photos=ops.first_photos(session, [hazard.id for hazard in hazards]),
                           zone=db.zone(), selected_states=[s.value for s in filters.states],
                           here=_kept_address(), nudge_answer=_nudge_answer(), problem=problem,
                           ticked=set(ticked)), status


# the answer of a 催办, carried to the page it redirects to
BULK_ANSWER = ("nudged", "skipped")


def _kept_address() -> dict:
    """The ledger's address (filters, sort, page) for a bulk action to come back to."""
    return {name: request.args.getlist(name) for name in request.args if name not in BULK_ANSWER}


def _nudge_answer() -> str | None:
    counts = [request.args.get(name, "") for name in BULK_ANSWER]
    if not all(_digits(count, 4) for count in counts):
        return None
    return _("已催办 %(nudged)s 项；跳过 %(skipped)s 项（未逾期、不在您的范围内或今天已催办）。",
             nudged=int(counts[0]), skipped=int(counts[1]))


def _digits(text: str, most: int) -> bool:
    """A number typed into an address or a form: ASCII digits only (str.isdigit also says
    yes to "²", which int() refuses, and to "٣", which it reads), at most `most` of them."""
    return text.isascii() and text.isdigit() and len(text) <= most


def _selection() -> list[int]:
    """The hazards ticked on the ledger page, read as the API reads `ids` (the same bounds
    and message); raises ValidationFailed in the page's words when none, or too many."""
    ticked = ",".join(value for value in request.form.getlist("ids") if value.strip())
    try:
        ids = HazardQuery().load({"ids": ticked})["ids"] if ticked else []
    except ValidationError as error:
        raise ValidationFailed.on("ids", flatten_messages(error.messages)["ids"][0]) from None
    if not ids:
        raise ValidationFailed.on("ids", _("请先勾选隐患"))
    return ids


def _ticked() -> list[int]:
    """What was ticked, to tick it again on the page that shows a refusal."""
    return [int(v) for v in request.form.getlist("ids") if _digits(v, 9)]


@bp.route("/ledger/nudge", methods=["POST"])
@login_required
def ledger_nudge():
    """催办 of the ticked hazards: their responsible people hear it (notifications/nudges.py);
    the page then says how many were nudged and how many skipped."""
    if not permissions.may_nudge(current_user):
        abort(403)
    try:
        answer = nudge(db.session(), current_user, _selection(), db.now(), db.zone())
    except ValidationFailed as error:
        db.discard()
        return _ledger_page(422, one_language(error.problem), _ticked())
    return redirect(url_for("work.ledger", **_kept_address(), nudged=answer.nudged, skipped=answer.skipped), 303)


def aging_chart(counts: list[int], chosen: int | None = None) -> Markup:
    """Overdue items by age (ops.AGES, counted by ops.overdue_ages), as a small SVG bar
    chart drawn here (no outside service); each bar links to its items (within the
    enterprise drilled down to)."""
    top = max(counts + [1])
    # (text to translate stays outside the f-strings, where the catalog's extractor finds it)
    title = _("逾期天数分布")
    bars = []
    for index, ((low, high), count) in enumerate(zip(ops.AGES, counts, strict=True)):
        height = 120 * count / top
        x = 30 + index * 90
        days = _("%(span)s 天", span=f"{low}–{high}" if high else f">{low - 1}")
        target = url_for("work.audit", enterprise_id=chosen, age=f"{low}-{high or ''}") + "#items"
        bars.append(f'<a href="{escape(target)}" data-testid="age-{low}">'
                    f'<rect x="{x}" y="{140 - height:.1f}" width="60" height="{max(height, 2):.1f}" fill="#b42318"/>'
                    f'<text x="{x + 30}" y="{134 - height:.1f}" text-anchor="middle" font-size="13">{count}</text>'
                    f'<text x="{x + 30}" y="158" text-anchor="middle" font-size="12">{days}</text></a>')
    return Markup(f'<svg viewBox="0 0 300 165" width="300" height="165" role="img" aria-label="{title}">'
                  f'<line x1="20" y1="140" x2="290" y2="140" stroke="#999"/>{"".join(bars)}</svg>')


def _age_asked() -> tuple[int, int | None] | None:
    """?age=from-to (days overdue; to may be empty), as the chart's bars link it; anything
    else drills down by no age."""
    low, _dash, high = (request.args.get("age") or "").partition("-")
    if not _digits(low, 5) or (high and not _digits(high, 5)):
        return None
    return int(low), int(high) if high else None


# the worst first, a page of them: the ranking and the chart count them all, the
# enterprise's drill-down and the Excel export reach the rest
AUDIT_ROWS = 100


@bp.route("/audit")
@login_required
def audit():
    return _audit_page()


def _audit_page(status: int = 200, refused: dict | None = None):
    """The overdue audit, drilled down by `enterprise_id` and `age`; `refused`: a 督办 that
    failed ({hazard_id, values, errors}), shown again in its row, open, with what was typed
    and each problem next to its input."""
    if not permissions.may_read_overdue(current_user):  # the rule the operation applies to the API too
        abort(403)
    session, today = db.session(), db.today()
    chosen, age = request.args.get("enterprise_id", type=int), _age_asked()
    if chosen is not None and not 1 <= chosen <= MAX_ID:  # no such enterprise: the whole audit
        chosen = None
    enterprises, shown = ops.overdue_audit(session, current_user, today, AUDIT_ROWS, enterprise_id=chosen, days=age)
    counts, total = ops.overdue_ages(session, current_user, today, enterprise_id=chosen, days=age)
    supervised = next((h for h in shown if h.id == request.args.get("supervised", type=int)), None)
    drilled = {"enterprise_id": chosen, "age": request.args.get("age") or None}
    open_link = url_for("work.audit", **drilled)
    may_supervise = bool(shown) and "supervise" in allowed_events(shown[0], current_user, today)
    return render_template("pages/audit.html", enterprises=enterprises, items=shown, today=today,
                           chart=aging_chart(counts, chosen),  # the chart follows the drill-down
                           chosen=chosen, places=ops.places_of(session, {h.enterprise_id for h in shown}),
                           aged=age is not None, supervisions=ops.supervisions_of(session, shown),
                           # every item of the audit is overdue and in the viewer's scope: the rulebook's
                           # answer for one is its answer for all (who may 督办), asked once, not per row
                           supervisable={h.id for h in shown} if may_supervise else set(),
                           opened=request.args.get("supervise", type=int),
                           open_link=f"{open_link}{'&' if '?' in open_link else '?'}supervise=", drilled=drilled,
                           supervised=supervised, refused=refused or {}, total=total), status


@bp.route("/audit/<id:hazard_id>/supervise", methods=["POST"])
@login_required
def supervise(hazard_id: int):
    """督办 from the audit: the rulebook's `supervise`, the same operation as the API; then
    the audit again (as it was drilled down), saying which item was supervised."""
    values = {name: (request.form.get(name) or "").strip() for name in ("note", "due_on")}
    try:
        ops.transition(db.session(), current_user, hazard_id, "supervise",
                       {name: value for name, value in values.items() if value}, version=None, now=db.now(),
                       zone=db.zone())
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except DomainError as error:
        db.discard()
        return _audit_page(error.status, {"hazard_id": hazard_id, "values": values,
                                          "errors": error.fields or {"_form": [error.message]}})
    drilled = {name: request.args.get(name) for name in ("enterprise_id", "age") if request.args.get(name)}
    return redirect(url_for("work.audit", supervised=hazard_id, **drilled) + "#items", 303)


@bp.route("/inbox")
@login_required
def inbox():
    return render_template("pages/inbox.html", items=inbox_ops.inbox(db.session(), current_user, limit=200),
                           zone=db.zone())


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    """全部已读: then back to the inbox (Post/Redirect/Get), which says it was done."""
    inbox_ops.mark_all_read(db.session(), current_user, db.now())
    flash("all-read", "inbox")
    return redirect(url_for("work.inbox"))


@bp.route("/inbox/<id:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    try:
        inbox_ops.mark_read(db.session(), current_user, notification_id, db.now())
    except DomainError:
        abort(404)
    return redirect(url_for("work.inbox"))


@bp.route("/qr/<id:enterprise_id>")
@login_required
def poster(enterprise_id: int):
    try:
        enterprise = visible_enterprise(db.session(), current_user, enterprise_id)
    except DomainError:
        abort(404)
    location = (request.args.get("location") or "").strip()[:100]
    settings = db.settings()
    address = f"{settings['app']['base_url'].rstrip('/')}{url_for('pages.report_form', report_token=enterprise.report_token)}"
    if location:  # the form fills the location in (views/forms.py signed_location)
        address += "?" + urlencode({"location": signed_location(enterprise.report_token, location)})
    return render_template("pages/poster.html", enterprise=enterprise, location=location, address=address,
                           qr=qr_svg(address), default_address=default_base_url_warning(settings) is not None)


@bp.route("/receipt", methods=["GET"])
def receipt_lookup():
    receipt = (request.args.get("receipt") or "").strip()
    if receipt:
        return redirect(url_for("work.receipt_status", receipt=receipt))
    return render_template("pages/receipt_lookup.html")


@bp.route("/receipt/<receipt>", methods=["GET", "POST"])
@limit_public_reports
def receipt_status(receipt: str):
    """What became of a report, by its receipt: what the enterprise did (never anyone's
    identity), and the reward with its claim. The claim is Post/Redirect/Get too."""
    session = db.session()
    try:
        hazard = ops.hazard_by_receipt(session, receipt)
    except DomainError:
        abort(404)
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            claim_award(session, hazard, form.name.data.strip(), form.phone.data.strip(),
                        form.payout_account.data.strip(), db.now(), db.zone())
            return redirect(url_for("work.receipt_status", receipt=receipt, claimed=1), 303)
        except DomainError as error:
            db.discard()
            form.payout_account.errors = [*form.payout_account.errors, error.message]
    message = _("领取信息已提交，工会审核后发放。") if request.args.get("claimed") else None
    status = 422 if form.is_submitted() else 200
    return render_template("pages/receipt_status.html", hazard=hazard, progress=report_progress(session, hazard),
                           reward=receipt_reward(session, hazard), form=form, message=message, zone=db.zone(),
                           photo_address=lambda photo: url_for("work.receipt_photo", receipt=receipt,
                                                               attachment_id=photo.id)), status


@bp.route("/receipt/<receipt>/photos/<id:attachment_id>")
def receipt_photo(receipt: str, attachment_id: int):
    """An after-photo of the rectification, for the holder of the receipt."""
    session = db.session()
    try:
        hazard = ops.hazard_by_receipt(session, receipt)
    except DomainError:
        abort(404)
    shown = reporter_photos(session, hazard)
    photo = next((p for side in shown.values() for p in side if p.id == attachment_id), None)
    if photo is None:
        abort(404)
    return send_file(ops.attachment_path(db.settings().upload_dir, photo), mimetype=photo.content_type, max_age=0)


def reporter_photos(session, hazard) -> dict:
    """The photos its reporter sees of a hazard, by stage (整改前, 整改中, 整改后): only
    this hazard's, each the photo alone, never who took it."""
    return ops.by_side(ops.attachments_of(session, hazard.id))


def report_progress(session, hazard) -> dict:
    """What the enterprise did with a report, for its reporter: dates, the measure and its
    deadline, the photos before and after; never who did it, nor who is responsible."""
    confirmed = next((entry.at for entry in hazard.history if entry.event in ("assign", "reject")), None)
    return {"confirmed_at": confirmed, "stage_photos": reporter_photos(session, hazard),
            "days_overdue": hazard.days_overdue(db.today())}


# ---- a worker's own page ------------------------------------------------------------------

@bp.route("/mine")
@login_required
def mine():
    session, today = db.session(), db.today()
    hazards = ops.reported_by(session, current_user, limit=200)
    try:
        awards = list_awards(session, current_user)
    except DomainError:
        awards = []
    return render_template("pages/mine.html", hazards=hazards, awards=awards, today=today,
                           zone=db.zone())


@bp.route("/mine/<id:hazard_id>")
@login_required
def my_report(hazard_id: int):
    """One's own report as its reporter follows it: the receipt's status page, by account."""
    session = db.session()
    hazard = next((h for h in ops.reported_by(session, current_user, hazard_id=hazard_id)), None)
    if hazard is None:
        abort(404)
    return render_template("pages/receipt_status.html", hazard=hazard, progress=report_progress(session, hazard),
                           reward=receipt_reward(session, hazard), form=None, message=None, zone=db.zone(),
                           photo_address=lambda photo: url_for("records.attachment_file", attachment_id=photo.id))


# ---- reward approvals ------------------------------------------------------------------------

REWARD_FILTERS = ("year", "status", "enterprise")


def _reward_filters() -> dict:
    """The rewards page's filters from its address; a value a hand-typed address gets
    wrong is dropped (never a 500). The year defaults to this year."""
    given = {name: (request.values.get(name) or "").strip() for name in REWARD_FILTERS}
    year = int(given["year"]) if given["year"].isdigit() and 2000 <= int(given["year"]) <= 2100 else db.today().year
    status = given["status"] if given["status"] in AwardStatus.__members__.values() else ""
    enterprise = int(given["enterprise"]) if given["enterprise"].isdigit() and len(given["enterprise"]) < 10 else None
    return {"year": year, "status": status, "enterprise": enterprise}


def _rewards_page(status: int = 200, problems: dict[int, str] | None = None, typed: dict | None = None):
    """The inspector's rewards page: the filtered awards, the year's budget, and the
    problems of a decision that was refused (by award id, next to its row) with what
    was typed into that row's form kept."""
    session, filters = db.session(), _reward_filters()
    awards = list_awards(session, current_user, year=filters["year"], status=filters["status"] or None,
                         enterprise_id=filters["enterprise"])
    return render_template("pages/rewards.html", awards=awards, today=db.today(), filters=filters,
                           budgets=budgets_of_year(session, current_user, filters["year"], db.today()),
                           enterprises=list_enterprises(session, current_user), statuses=list(AwardStatus),
                           problems=problems or {}, typed=typed or {},
                           reporter_of=lambda award: reporter_of(award, current_user)), status


def _back_to_rewards():
    """After a decision, the page with the filters it was made under."""
    filters = {name: request.values.get(name) for name in REWARD_FILTERS if request.values.get(name)}
    return redirect(url_for("work.rewards", **filters))


@bp.route("/rewards")
@login_required
def rewards():
    if permissions.sees_only_own_reports(current_user):  # their own awards, as the API answers them
        return render_template("pages/my_rewards.html", awards=list_awards(db.session(), current_user))
    if not permissions.may_decide_awards(current_user):
        abort(403)
    return _rewards_page()


@bp.route("/rewards/approve", methods=["POST"])
@login_required
def approve_rewards():
    """The ticked proposed awards approved together: all of them, or (on any failure)
    none, and the page says which failed and why next to each."""
    if not permissions.may_decide_awards(current_user):
        abort(403)
    ids = [int(value) for value in request.form.getlist("award") if value.isdigit() and len(value) < 10]
    if not ids:
        return _rewards_page(422, {0: _("请先勾选要批准的奖励")})
    failures = approve_awards(db.session(), current_user, ids, db.now(), db.zone())
    if failures:
        db.discard()  # one failure: nothing of the batch is approved
        return _rewards_page(409, failures, {"ticked": set(ids)})
    return _back_to_rewards()


@bp.route("/rewards/<id:award_id>/<action>", methods=["POST"])
@login_required
def decide_reward(award_id: int, action: str):
    """One award approved, rejected or paid; a refusal is shown on the page next to the
    award, with what was typed."""
    session = db.session()
    typed = {award_id: {name: request.form.get(name, "") for name in ("reason", "paid_on", "reference")}}
    try:
        if action == "approve":
            approve_award(session, current_user, award_id, db.now(), db.zone())
        elif action == "reject":
            reason = (request.form.get("reason") or "").strip()
            if not reason:
                raise ValidationFailed.on("reason", "请填写驳回理由 / a reason for rejecting")
            reject_award(session, current_user, award_id, reason, db.now())
        elif action == "pay":
            try:
                paid_on = date.fromisoformat(request.form.get("paid_on") or db.today().isoformat())
            except ValueError:
                raise ValidationFailed.on("paid_on", "日期格式不正确 / not a date") from None
            reference = (request.form.get("reference") or "").strip()
            if not reference:
                raise ValidationFailed.on("reference", "请填写付款凭证号 / the payment reference")
            pay_award(session, current_user, award_id, paid_on, reference, db.now(), db.zone())
        else:
            abort(404)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except DomainError as error:
        db.discard()
        return _rewards_page(error.status, {award_id: error.problem}, typed)
    return _back_to_rewards()


# ---- compliance ----------------------------------------------------------------------------

@bp.route("/compliance")
@login_required
def compliance():
    if not permissions.may_read_compliance(current_user):  # the rule the operation applies to the API too
        abort(403)
    year = request.args.get("year", type=int) or db.today().year
    profile = request.args.get("profile") if request.args.get("profile") in ("union", "statutory") else None
    config = db.settings()["compliance"]
    answer = check_compliance(db.session(), current_user, max(2000, min(year, 2999)), profile or config["profile"], config)
    return render_template("pages/compliance.html", answer=answer)


@bp.route("/enterprises/<id:enterprise_id>/roster", methods=["GET", "POST"])
@login_required
def roster(enterprise_id: int):
    session = db.session()
    try:
        enterprise = visible_enterprise(session, current_user, enterprise_id)
    except DomainError:
        abort(404)
    problems, message, status = [], None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if not permissions.may_write_for(current_user, enterprise_id):
            abort(403)
        if upload is None or not upload.filename:
            problems, status = [_("请选择 .xlsx 或 .csv 文件")], 422
        else:
            suffix = ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv"
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                upload.save(handle)
                handle.flush()
                try:
                    imported = import_employees(session, enterprise, handle.name)
                    message = _("已导入或更新 %(count)s 名职工", count=len(imported))
                except ImportRefused as refused:
                    db.discard()
                    problems, status = [str(p) for p in refused.problems], 422
                except TableError as error:
                    db.discard()
                    problems, status = [str(error)], 422
    if request.args.get("saved"):
        message = _("已登记")
    return _render_roster(enterprise, problems, message, status)


def _render_roster(enterprise, problems: list[str], message: str | None, status: int, activity: dict | None = None):
    """The roster page; `activity`: a training or drill form that failed, shown again with
    what was typed and each problem next to its field."""
    employees = list_employees(db.session(), current_user, enterprise.id)
    year = db.today().year
    trainings, drills = list_activities(db.session(), current_user, enterprise.id, year)
    return render_template("pages/roster.html", enterprise=enterprise, employees=employees, problems=problems,
                           message=message, activity=activity or {"kind": None, "values": {}, "errors": {}},
                           year=year, trainings=trainings, drills=drills, quarters=recent_quarters(db.today())), status


def recent_quarters(today) -> list[str]:
    """The running quarter and the one before: the statistics forms a safety officer files."""
    running = Period.quarter_of(today)
    return [str(running), str(running.previous)]


@bp.route("/roster-template.xlsx")
@login_required
def roster_template():
    """The roster's import template as a workbook: the columns and example lines shipped in
    config/templates (a CSV there, for the command line)."""
    from hazard_ledger.config import DEFAULTS_DIR

    example = read_table(DEFAULTS_DIR / "templates" / "employees-template.csv")
    columns = [Column(header, 14, "text") for header in example.headers]
    rows = [[row.values.get(header) for header in example.headers] for row in example.rows]
    return send_written(lambda handle: write_table(handle, ".xlsx", columns, rows, title="职工花名册"),
                        "职工花名册模板.xlsx")


@bp.route("/ledger/export", methods=["GET", "POST"])
@login_required
def ledger_export():
    """The ledger table's filters as an Excel (or CSV) file, for the browser session; a
    POST (the page's 导出所选) exports exactly the ticked rows."""
    fmt = ".csv" if request.args.get("format") == "csv" else ".xlsx"
    filters = _filters()
    if request.method == "POST":
        try:
            filters = ops.HazardFilters(ids=_selection())
        except ValidationFailed as error:
            db.discard()
            return _ledger_page(422, one_language(error.problem), _ticked())
    return send_written(lambda handle: export_ledger(db.session(), current_user, filters, handle, fmt, db.today(),
                                                     db.zone()),
                        f"隐患排查治理台账-{db.today().isoformat()}{fmt}")


# the page's forms are read by the API's schemas: the same bounds, the same messages
ACTIVITY_FIELDS = {"training": TrainingIn(), "drill": DrillIn()}
# the form's input names where they differ from the schema's fields
ACTIVITY_INPUTS = {"kind": "drill_kind"}


@bp.route("/enterprises/<id:enterprise_id>/activities", methods=["POST"])
@login_required
def record_activity(enterprise_id: int):
    """A training (with attendees by number) or a drill, from the roster page."""
    session = db.session()
    form = request.form
    kind = "training" if form.get("kind") == "training" else "drill"
    if kind == "training":
        values = {"held_on": form.get("held_on", ""), "topic": form.get("topic", "").strip() or "安全培训",
                  "hours": form.get("hours", "").strip(),
                  "attendees": [n.strip() for n in form.get("attendees", "").replace("，", ",").split(",") if n.strip()]}
    else:
        values = {"held_on": form.get("held_on", ""), "kind": form.get("drill_kind", ""),
                  "scenario": form.get("scenario", "").strip() or "—", "participants": form.get("participants") or "1"}
    record = record_training if kind == "training" else record_drill
    try:
        data = ACTIVITY_FIELDS[kind].load({**values, "enterprise_id": enterprise_id})
        record(session, current_user, now=db.now(), zone=db.zone(), **data)
    except NotFound:
        abort(404)
    except ValidationError as error:
        return _activity_error(enterprise_id, kind, values, flatten_messages(error.messages))
    except DomainError as error:
        db.discard()
        return _activity_error(enterprise_id, kind, values, error.fields or {"_form": [error.message]})
    return redirect(url_for("work.roster", enterprise_id=enterprise_id, saved=1))


def _activity_error(enterprise_id: int, kind: str, values: dict, fields: dict[str, list[str]]):
    shown = {ACTIVITY_INPUTS.get(name, name): problems for name, problems in fields.items()}
    typed = {ACTIVITY_INPUTS.get(name, name): ", ".join(value) if isinstance(value, list) else value
             for name, value in values.items()}
    # a problem with no input of its own (the enterprise, the whole form) heads the page
    inputs = {"held_on", "topic", "hours", "attendees", "drill_kind", "scenario", "participants"}
    problems = [f"{name}: {'; '.join(texts)}" if name != "_form" else "; ".join(texts)
                for name, texts in shown.items() if name not in inputs]
    return _render_roster(visible_enterprise(db.session(), current_user, enterprise_id), problems, None, 422,
                          {"kind": kind, "values": typed, "errors": shown})
