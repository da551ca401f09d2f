"""The pages of the union's instruments: formal notices (from the audit or an
enterprise), their A4 documents, campaigns with coverage, scores, honours and results,
the public board behind the QR form, and an enterprise's papers of the year. They call
the same operations as the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import case, select

from hazard_ledger import permissions
from hazard_ledger.enums import HazardState
from hazard_ledger.errors import DomainError, NotFound, ValidationFailed
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction
from hazard_ledger.tabular import write_table
from hazard_ledger.union import board
from hazard_ledger.union import campaigns as campaign_ops
from hazard_ledger.union import operations as ops
from hazard_ledger.union.models import Campaign, CampaignKind, Notice, NoticeKind
from hazard_ledger.union.scoring import sheets_of
from hazard_ledger.web import db
from hazard_ledger.web.views.qr import qr_svg
from hazard_ledger.web.downloads import send_written
from hazard_ledger.web.errors import PAGE_TITLES
from hazard_ledger.validation import MAX_ID
from hazard_ledger.web.i18n import one_language

bp = Blueprint("union", __name__)

KIND_WORDS = {"reminder": _l("提示函"), "opinion": _l("意见书"), "recommendation": _l("建议书")}
DOCUMENT_TITLES = {"reminder": _l("劳动保护监督提示函"), "opinion": _l("劳动保护监督意见书"),
                   "recommendation": _l("劳动保护监督建议书")}
NOTICE_STATE_WORDS = {"issued": _l("待回复"), "replied": _l("已回复"), "accepted": _l("已采纳"), "escalated": _l("已提出建议")}
MOVE_WORDS = {"issue": _l("发出"), "reply": _l("书面回复"), "accept": _l("采纳回复"), "escalate": _l("提出建议书")}
CAMPAIGN_WORDS = {"cha_bao_cu": _l("查保促"), "ankang_cup": _l("安康杯竞赛")}
HONOUR_WORDS = {"collective": _l("先进集体"), "individual": _l("先进个人")}


bp.add_app_template_filter(one_language, "one_language")


@bp.app_template_global("union_open_notices")
def union_open_notices() -> list[Notice]:
    """For the home page of a safety officer: the notices waiting for their reply."""
    if not current_user.is_authenticated or not permissions.officer_of(current_user, current_user.enterprise_id):
        return []
    return [n for n in ops.list_notices(db.session(), current_user, state="issued")
            if n.kind is not NoticeKind.RECOMMENDATION]  # a recommendation is answered by an authority


def _words() -> dict:
    return {"kind_words": KIND_WORDS, "document_titles": DOCUMENT_TITLES, "notice_state_words": NOTICE_STATE_WORDS,
            "move_words": MOVE_WORDS, "campaign_words": CAMPAIGN_WORDS,
            "honour_words": HONOUR_WORDS, "zone": db.zone(), "today": db.today()}


def _page(template: str, status: int = 200, **context):
    return render_template(template, **_words(), **context), status


def _refusal(error: DomainError):
    """A refused move, on the site's error page, in the page's language."""
    return _page("errors/error.html", error.status, title=PAGE_TITLES.get(error.status, error.status),
                 message=one_language(error.message),
                 fields={name: [one_language(p) for p in problems] for name, problems in (error.fields or {}).items()})


def _problems(error: DomainError) -> list[str]:
    """What a refused form did wrong, one line a problem, in the page's language."""
    return [one_language(p) for texts in (error.fields or {"_": [error.message]}).values() for p in texts]


def _form_id(values, name: str) -> int | None:
    """A row id from a form or query string; anything else (text, a number no row can
    have) is no id at all."""
    text = (values.get(name) or "").strip()
    return int(text) if text.isdecimal() and 0 < int(text) <= MAX_ID else None


def _not_worker() -> None:
    if not permissions.may_read_notices(current_user):
        abort(404)


# ---- the hub --------------------------------------------------------------------------

@bp.route("/union")
@login_required
def hub():
    _not_worker()
    session = db.session()
    return _page("union/hub.html", notices=ops.list_notices(session, current_user, limit=200),
                 campaigns=campaign_ops.list_campaigns(session, current_user))


# ---- notices ---------------------------------------------------------------------------

def _open_hazards(session, enterprise_id: int) -> list[Hazard]:
    today = db.today()
    overdue_first = case((Hazard.deadline < today, 0), else_=1)
    return list(session.scalars(select(Hazard).where(
        Hazard.enterprise_id == enterprise_id, Hazard.state.in_([HazardState.ASSIGNED, HazardState.RECTIFIED,
                                                                 HazardState.REPORTED]))
        .order_by(overdue_first, Hazard.deadline.asc(), Hazard.id).limit(300)))


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def new_notice():
    """The form of a notice: for an enterprise (?enterprise_id=), or for the overdue items
    chosen on the audit page (?hazard_ids=…, all of one enterprise)."""
    session = db.session()
    source = request.form if request.method == "POST" else request.args
    chosen = sorted({int(v) for v in source.getlist("hazard_ids") if v.isdecimal() and len(v) < 10})
    enterprise_id = _form_id(source, "enterprise_id")
    problems: list[str] = []
    if chosen and enterprise_id is None:
        owners = set(session.scalars(select(Hazard.enterprise_id).where(Hazard.id.in_(chosen),
                                                                       permissions.hazard_clause(session, current_user))))
        if len(owners) > 1:
            return _refusal(ValidationFailed.on("hazard_ids", "所选隐患属于多个企业，请只选一个企业的隐患 / the chosen items "
                                                              "belong to several enterprises: choose one enterprise's"))
        enterprise_id = next(iter(owners), None)
    enterprises = list(session.scalars(select(Enterprise).where(permissions.enterprise_clause(session, current_user))
                                       .order_by(Enterprise.code)))
    enterprise = next((e for e in enterprises if e.id == enterprise_id), None)
    if enterprise is not None and not permissions.may_issue_notice(session, current_user, enterprise):
        abort(403)
    if enterprise is None and not permissions.may_audit(current_user):
        abort(403)
    values = {"kind": source.get("kind", "opinion"), "subject": source.get("subject", ""),
              "findings": source.get("findings", ""), "reply_working_days": source.get("reply_working_days", "")}
    if request.method == "POST" and enterprise is not None:
        try:
            days_text = values["reply_working_days"].strip()
            days = int(days_text) if days_text.isdecimal() and len(days_text) < 4 else None
            if days_text and days is None:
                raise ValidationFailed.on("reply_working_days", "须为 1 至 60 个工作日 / between 1 and 60 working days")
            for field in ("subject", "findings"):
                if not values[field].strip():
                    raise ValidationFailed.on(field, "必填 / required")
            notice = ops.issue_notice(session, current_user, ops.NewNotice(
                enterprise_id=enterprise.id, kind=values["kind"], subject=values["subject"].strip()[:200],
                findings=values["findings"].strip()[:8000], hazard_ids=chosen, reply_working_days=days),
                db.now(), db.settings())
            return redirect(url_for("union.notice_page", notice_id=notice.id))
        except DomainError as error:
            db.discard()
            problems = _problems(error)
    elif request.method == "POST":
        problems = [str(_l("请选择企业"))]
    hazards = _open_hazards(session, enterprise.id) if enterprise else []
    return _page("union/notice_form.html", 422 if problems else 200, enterprise=enterprise, enterprises=enterprises,
                 hazards=hazards, chosen=chosen, values=values, problems=problems,
                 default_days=db.settings()["notices"]["reply_working_days"])


def _visible(notice_id: int) -> Notice:
    try:
        return ops.visible_notice(db.session(), current_user, notice_id)
    except NotFound:
        abort(404)


def _cited(session, notice: Notice) -> list[Hazard]:
    if not notice.hazard_ids:
        return []
    return list(session.scalars(select(Hazard).where(Hazard.id.in_(notice.hazard_ids)).order_by(Hazard.code)))


def _render_notice(notice: Notice, template: str, status: int = 200, problems=None, failed=None):
    session = db.session()
    origin = session.get(Notice, notice.escalated_from_id) if notice.escalated_from_id else None
    return _page(template, status, notice=notice, hazards=_cited(session, notice), origin=origin,
                 recommendation=ops.recommendation_of(session, notice),
                 moves=ops.allowed_moves(session, notice, current_user, db.today()), problems=problems or [],
                 failed=failed, issuer=session.get(Jurisdiction, notice.jurisdiction_id))


@bp.route("/notices/<id:notice_id>")
@login_required
def notice_page(notice_id: int):
    return _render_notice(_visible(notice_id), "union/notice.html")


@bp.route("/notices/<id:notice_id>/print")
@login_required
def notice_print(notice_id: int):
    return _render_notice(_visible(notice_id), "union/notice_print.html")


@bp.route("/notices/<id:notice_id>/<event>", methods=["POST"])
@login_required
def notice_move(notice_id: int, event: str):
    if event not in ops.MOVES:
        abort(404)
    session = db.session()
    data = {key: (request.form.get(key) or "").strip() for key in ops.MOVES[event].fields._declared_fields}
    try:
        ops.move_notice(session, current_user, notice_id, event, data, db.now(), db.settings())
    except NotFound:
        abort(404)
    except DomainError as error:
        db.discard()
        problems = _problems(error)
        return _render_notice(_visible(notice_id), "union/notice.html", error.status, problems, event)
    return redirect(url_for("union.notice_page", notice_id=notice_id))


# ---- the public board ----------------------------------------------------------------------

@bp.route("/b/<report_token>")
def public_board(report_token: str):
    """The 公示栏 that employees open from the QR form, printable as a poster with its QR."""
    try:
        shown = board.public_board(db.session(), report_token, db.now(), db.zone())
    except NotFound:
        abort(404)
    address = f"{db.settings()['app']['base_url'].rstrip('/')}/b/{report_token}"
    return _page("union/board.html", board=shown, report_token=report_token, address=address,
                 qr=qr_svg(address, box_size=10), days=board.BOARD_DAYS)


# ---- an enterprise's papers --------------------------------------------------------------------

def _year() -> int:
    year = request.args.get("year", type=int) or db.today().year
    return max(2000, min(year, 2999))


@bp.route("/enterprises/<id:enterprise_id>/major-hazards-report")
@login_required
def major_hazards_report(enterprise_id: int):
    try:
        report = board.major_hazards_report(db.session(), current_user, enterprise_id, _year(), db.today(), db.zone())
    except NotFound:
        abort(404)
    return _page("union/major_hazards.html", report=report)


@bp.route("/enterprises/<id:enterprise_id>/evidence")
@login_required
def evidence(enterprise_id: int):
    try:
        pack = board.evidence_pack(db.session(), current_user, enterprise_id, _year(), db.today(), db.zone(),
                                   db.settings()["compliance"])
    except NotFound:
        abort(404)
    return _page("union/evidence.html", pack=pack)


# ---- campaigns ------------------------------------------------------------------------------

def _campaign(campaign_id: int) -> Campaign:
    try:
        return campaign_ops.visible_campaign(db.session(), current_user, campaign_id)
    except NotFound:
        abort(404)


def _creatable_unions(session) -> list[Jurisdiction]:
    unions = session.scalars(select(Jurisdiction).where(permissions.jurisdiction_clause(session, current_user))
                             .order_by(Jurisdiction.code))
    return [j for j in unions if permissions.may_create_campaign(session, current_user, j)]


@bp.route("/campaigns", methods=["GET", "POST"])
@login_required
def campaigns():
    _not_worker()
    session = db.session()
    unions = _creatable_unions(session)
    problems, values = [], dict(request.form)
    if request.method == "POST":
        if not unions:
            abort(403)
        try:
            starts_on, ends_on = (date.fromisoformat(request.form.get(k, "")) for k in ("starts_on", "ends_on"))
        except ValueError:
            problems = [str(_l("日期格式不正确"))]
        else:
            try:
                if not (request.form.get("title") or "").strip():
                    raise ValidationFailed.on("title", "必填 / required")
                campaign = campaign_ops.create_campaign(session, current_user, campaign_ops.NewCampaign(
                    jurisdiction_id=_form_id(request.form, "jurisdiction_id") or 0, year=starts_on.year,
                    kind=request.form.get("kind", ""), title=(request.form.get("title") or "").strip()[:200],
                    theme=(request.form.get("theme") or "").strip()[:2000],
                    focus=[line.strip()[:200] for line in (request.form.get("focus") or "").splitlines()
                           if line.strip()][:50],
                    starts_on=starts_on, ends_on=ends_on, scoring=request.form.get("scoring") or None),
                    db.now(), db.settings())
                return redirect(url_for("union.campaign_page", campaign_id=campaign.id))
            except DomainError as error:
                db.discard()
                problems = _problems(error)
    return _page("union/campaigns.html", 422 if problems else 200,
                 campaigns=campaign_ops.list_campaigns(session, current_user),
                 unions=unions, sheets=sheets_of(db.settings()), problems=problems, values=values,
                 kinds=[k.value for k in CampaignKind])


@bp.route("/campaigns/<id:campaign_id>", methods=["GET", "POST"])
@login_required
def campaign_page(campaign_id: int):
    session = db.session()
    campaign = _campaign(campaign_id)
    problems = []
    if request.method == "POST":  # enrolment
        ids = [int(v) for v in request.form.getlist("enterprise_ids") if v.isdecimal() and len(v) < 10]
        try:
            campaign_ops.enrol(session, current_user, campaign.id, ids, db.now())
            return redirect(url_for("union.campaign_page", campaign_id=campaign.id))
        except DomainError as error:
            db.discard()
            problems = _problems(error)
    running = permissions.may_run_campaign(session, current_user, campaign)
    _c, sheet, results = campaign_ops.compute_scores(session, current_user, campaign.id, db.today(), db.settings())
    enrolled = set(campaign_ops.enrolled_ids(session, campaign))
    subtree = tree.subtree(session, campaign.jurisdiction_id)
    candidates = [e for e in session.scalars(select(Enterprise).where(
        Enterprise.jurisdiction_id.in_(subtree), permissions.enterprise_clause(session, current_user))
        .order_by(Enterprise.code)) if e.id not in enrolled and permissions.may_enrol(session, current_user, e)]
    return _page("union/campaign.html", 422 if problems else 200, campaign=campaign, sheet=sheet, results=results,
                 coverage=campaign_ops.coverage(session, current_user, campaign.id) if running else None,
                 candidates=candidates, running=running, problems=problems,
                 union=session.get(Jurisdiction, campaign.jurisdiction_id))


@bp.route("/campaigns/<id:campaign_id>/scores/<id:enterprise_id>", methods=["GET", "POST"])
@login_required
def campaign_score(campaign_id: int, enterprise_id: int):
    session = db.session()
    campaign = _campaign(campaign_id)
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        items = {}
        for key in request.form.getlist("keys"):
            text = (request.form.get(f"points-{key}") or "").strip()
            if not text:
                continue
            try:
                points = Decimal(text[:12])
                if not points.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems[f"items.{key}.points"] = [str(_l("须为数字"))]
                continue
            items[key] = {"points": points, "note": (request.form.get(f"note-{key}") or "").strip()[:2000] or None}
        if not problems:
            try:
                campaign_ops.put_scores(session, current_user, campaign.id, enterprise_id, items, db.now(), db.settings())
                return redirect(url_for("union.campaign_score", campaign_id=campaign.id, enterprise_id=enterprise_id,
                                        saved=1))
            except NotFound:
                abort(404)
            except DomainError as error:
                db.discard()
                problems = {k: [one_language(p) for p in v] for k, v in (error.fields or {"_": [error.message]}).items()}
    _c, sheet, results = campaign_ops.compute_scores(session, current_user, campaign.id, db.today(), db.settings(),
                                                     enterprise_id=enterprise_id)
    if not results:
        abort(404)
    enterprise = session.get(Enterprise, enterprise_id)
    return _page("union/campaign_score.html", 422 if problems else 200, campaign=campaign, sheet=sheet,
                 result=results[0], problems=problems, saved=request.args.get("saved"),
                 may_score=permissions.may_score(session, current_user, enterprise))


@bp.route("/campaigns/<id:campaign_id>/honours", methods=["GET", "POST"])
@login_required
def campaign_honours(campaign_id: int):
    session = db.session()
    campaign = _campaign(campaign_id)
    if not permissions.may_run_campaign(session, current_user, campaign):
        abort(403)
    problems = []
    if request.method == "POST":
        form = request.form
        try:
            campaign_ops.add_honour(
                session, current_user, campaign.id, kind=form.get("kind", ""),
                enterprise_id=_form_id(form, "enterprise_id"), user_id=_form_id(form, "user_id"),
                name=(form.get("name") or "").strip()[:100] or None,
                reason=(form.get("reason") or "").strip()[:2000] or str(_l("事迹突出")), now=db.now())
            return redirect(url_for("union.campaign_honours", campaign_id=campaign.id))
        except DomainError as error:
            db.discard()
            problems = _problems(error)
    candidates = campaign_ops.honour_candidates(session, current_user, campaign.id, db.today(), db.settings())
    honours = campaign_ops.list_honours(session, current_user, campaign.id)
    names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_({h.enterprise_id for h in honours if h.enterprise_id}))).all())
    return _page("union/campaign_honours.html", 422 if problems else 200, campaign=campaign, candidates=candidates,
                 honours=honours, enterprise_names=names, problems=problems)


@bp.route("/campaigns/<id:campaign_id>/result")
@login_required
def campaign_result(campaign_id: int):
    session = db.session()
    campaign = _campaign(campaign_id)
    if not permissions.may_run_campaign(session, current_user, campaign):
        abort(403)
    _c, sheet, results = campaign_ops.compute_scores(session, current_user, campaign.id, db.today(), db.settings())
    honours = campaign_ops.list_honours(session, current_user, campaign.id)
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    return _page("union/campaign_result.html", campaign=campaign, sheet=sheet, results=results, honours=honours,
                 enterprise_names=names, union=session.get(Jurisdiction, campaign.jurisdiction_id))


@bp.route("/campaigns/<id:campaign_id>/export.xlsx")
@login_required
def campaign_export(campaign_id: int):
    try:
        title, columns, rows = campaign_ops.results_table(db.session(), current_user, campaign_id, db.today(),
                                                          db.settings())
    except NotFound:
        abort(404)
    except DomainError:
        abort(403)
    return send_written(lambda handle: write_table(handle, ".xlsx", columns, rows, title=title),
                        f"{title}-{campaign_id}.xlsx")

