"""The pages of dual prevention: the register and its four-colour picture, the risk point
form (LEC and matrix factors as choices), plans, QR posters that open the due inspection
on a phone, the inspection form, and the coverage inspectors read. They call the same
operations as the API (hazard_ledger.prevention.operations)."""

from __future__ import annotations

import tempfile
from decimal import Decimal

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from marshmallow import ValidationError

from hazard_ledger import permissions
from hazard_ledger.errors import DomainError, NotFound, flatten_messages
from hazard_ledger.prevention import grading
from hazard_ledger.prevention import operations as ops
from hazard_ledger.prevention.models import COLOURS, Frequency, InspectionState, RiskLevel, RiskPointKind
from hazard_ledger.prevention.register import export_register, import_register
from hazard_ledger.prevention.schemas import RiskPointIn
from hazard_ledger.tabular import ImportRefused, TableError
from hazard_ledger.web import db
from hazard_ledger.web.views.qr import qr_svg
from hazard_ledger.web.downloads import send_written

bp = Blueprint("dual_prevention", __name__)

LEVEL_WORDS = {"major": _l("重大风险"), "high": _l("较大风险"), "general": _l("一般风险"), "low": _l("低风险")}
COLOUR_WORDS = {"red": _l("红"), "orange": _l("橙"), "yellow": _l("黄"), "blue": _l("蓝")}
TIER_WORDS = {"company": _l("公司级"), "workshop": _l("车间级"), "team": _l("班组级"), "post": _l("岗位级")}
KIND_WORDS = {"place": _l("场所"), "equipment": _l("设备设施"), "activity": _l("作业活动")}
FREQUENCY_WORDS = {"daily": _l("每日"), "weekly": _l("每周"), "monthly": _l("每月"), "quarterly": _l("每季度")}
STATE_WORDS = {"due": _l("待排查"), "done": _l("已完成"), "missed": _l("未按时完成")}
# what each factor's table values mean (DB37/T 2882 appendix tables), for the choices
FACTOR_MEANINGS = {
    "lec.l": {"10": _l("完全可以预料"), "6": _l("相当可能"), "3": _l("可能，但不经常"), "1": _l("可能性小，完全意外"),
              "0.5": _l("很不可能，可以设想"), "0.2": _l("极不可能"), "0.1": _l("实际不可能")},
    "lec.e": {"10": _l("连续暴露"), "6": _l("每天工作时间内暴露"), "3": _l("每周一次或偶然暴露"), "2": _l("每月一次暴露"),
              "1": _l("每年几次暴露"), "0.5": _l("非常罕见地暴露")},
    "lec.c": {"100": _l("大灾难，许多人死亡"), "40": _l("灾难，数人死亡"), "15": _l("非常严重，一人死亡"),
              "7": _l("严重，重伤"), "3": _l("重大，致残"), "1": _l("引人注目，需要救护")},
}
FACTOR_NAMES = {"lec.l": _l("L 事故发生的可能性"), "lec.e": _l("E 暴露于危险环境的频繁程度"),
                "lec.c": _l("C 发生事故的后果"), "matrix.l": _l("L 可能性（1–5）"), "matrix.s": _l("S 严重性（1–5）")}
# the four colours as drawn: fill and the text that reads on it
PAINT = {"red": ("#d92d20", "#fff"), "orange": ("#f97316", "#fff"), "yellow": ("#facc15", "#1f2933"),
         "blue": ("#2563eb", "#fff")}


def _page_vocabulary() -> dict:
    return {"level_words": LEVEL_WORDS, "colour_words": COLOUR_WORDS, "tier_words": TIER_WORDS,
            "kind_words": KIND_WORDS, "frequency_words": FREQUENCY_WORDS, "inspection_words": STATE_WORDS,
            "level_colour": {level.value: COLOURS[level] for level in RiskLevel},
            "shown": lambda value: grading.shown(Decimal(value)) if value is not None else ""}


def _rules() -> grading.RiskRules:
    return ops.risk_rules(db.settings())


def _keeps(enterprise_id: int) -> bool:
    return permissions.may_write_for(current_user, enterprise_id)


# ---- the way in ----------------------------------------------------------------------------

@bp.route("/prevention")
@login_required
def home():
    """Each role's own start: an officer's register, an inspector's overview, a worker's inspections."""
    if permissions.officer_of(current_user, current_user.enterprise_id):
        return redirect(url_for("dual_prevention.register", enterprise_id=current_user.enterprise_id))
    if permissions.may_audit(current_user):
        return redirect(url_for("dual_prevention.overview"))
    return redirect(url_for("dual_prevention.inspections"))


# ---- the register and its picture --------------------------------------------------------------

def four_colour_picture(areas: list[ops.Area]) -> Markup:
    """The areas as tiles in their colour (that of their most serious point), each with its
    points as dots and its counts: the 四色分布图, drawn here as SVG (no outside service)."""
    # two tiles a row: at its natural width it fits a phone's screen, with text still legible
    columns, tile_w, tile_h, gap = 2, 190, 96, 10
    rows = max(1, (len(areas) + columns - 1) // columns)
    width, height = max(columns * tile_w + (columns + 1) * gap, 4 * 100), rows * (tile_h + gap) + gap + 26
    parts = []
    for index, area in enumerate(areas):
        x = gap + (index % columns) * (tile_w + gap)
        y = gap + (index // columns) * (tile_h + gap)
        colour = COLOURS[area.level]
        fill, ink = PAINT[colour]
        name = area.name if len(area.name) <= 11 else area.name[:10] + "…"
        counts = " ".join(f"{COLOUR_WORDS[COLOURS[level]]}{area.count(level)}" for level in RiskLevel)
        parts.append(f'<g data-area="{escape(area.name)}" data-colour="{colour}">'
                     f'<title>{escape(area.name)}: {escape(LEVEL_WORDS[area.level.value])}</title>'
                     f'<rect x="{x}" y="{y}" width="{tile_w}" height="{tile_h}" rx="8" fill="{fill}"/>'
                     f'<text x="{x + 10}" y="{y + 24}" font-size="16" font-weight="700" fill="{ink}">'
                     f'{escape(name)}</text>'
                     f'<text x="{x + 10}" y="{y + 46}" font-size="13" fill="{ink}">{escape(counts)}</text>')
        for dot, point in enumerate(area.points[:14]):
            point_fill = PAINT[point.colour][0]
            parts.append(f'<circle cx="{x + 16 + dot * 12}" cy="{y + 72}" r="5" fill="{point_fill}" '
                         f'stroke="#fff" stroke-width="1.5"><title>{escape(point.name)}</title></circle>')
        if len(area.points) > 14:
            parts.append(f'<text x="{x + 16 + 14 * 12}" y="{y + 76}" font-size="12" fill="{ink}">+</text>')
        parts.append("</g>")
    legend_y = height - 10
    for index, level in enumerate(RiskLevel):
        colour = COLOURS[level]
        parts.append(f'<rect x="{gap + index * 100}" y="{legend_y - 12}" width="14" height="14" '
                     f'fill="{PAINT[colour][0]}"/>'
                     f'<text x="{gap + index * 100 + 20}" y="{legend_y}" font-size="13">'
                     f'{escape(LEVEL_WORDS[level.value])}</text>')
    label = escape(_("风险四色分布图"))
    return Markup(f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
                  f'aria-label="{label}" '
                  f'class="four-colour" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


@bp.route("/enterprises/<id:enterprise_id>/risk-points")
@login_required
def register(enterprise_id: int):
    session = db.session()
    enterprise = ops.register_for_reading(session, current_user, enterprise_id)
    points = ops.register_lines(session, enterprise_id)
    areas = ops.areas_of(points)
    return render_template("prevention/register.html", enterprise=enterprise, areas=areas, points=points,
                           counts=ops.level_counts(points), picture=four_colour_picture(areas),
                           keeps=_keeps(enterprise_id), problems=[], message=None, **_page_vocabulary())


@bp.route("/enterprises/<id:enterprise_id>/risk-points/import", methods=["POST"])
@login_required
def import_points(enterprise_id: int):
    session = db.session()
    enterprise = ops.register_for_reading(session, current_user, enterprise_id)
    ops.register_for_writing(session, current_user, enterprise_id)
    upload = request.files.get("file")
    problems, message = [], None
    if upload is None or not upload.filename:
        problems = [_("请选择 .xlsx 或 .csv 文件")]
    else:
        suffix = ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv"
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            upload.save(handle)
            handle.flush()
            try:
                imported = import_register(session, current_user, enterprise, handle.name, _rules(), db.now())
                message = _("已导入或更新 %(count)s 个风险点", count=len(imported))
            except ImportRefused as refused:
                db.discard()
                problems = [str(p) for p in refused.problems]
            except TableError as error:
                db.discard()
                problems = [str(error)]
    points = ops.register_lines(session, enterprise_id)
    areas = ops.areas_of(points)
    return render_template("prevention/register.html", enterprise=enterprise, areas=areas, points=points,
                           counts=ops.level_counts(points), picture=four_colour_picture(areas), keeps=True,
                           problems=problems, message=message, **_page_vocabulary()), 422 if problems else 200


@bp.route("/enterprises/<id:enterprise_id>/risk-points/export")
@login_required
def export_points(enterprise_id: int):
    session = db.session()
    enterprise = ops.register_for_reading(session, current_user, enterprise_id)
    fmt = ".csv" if request.args.get("format") == "csv" else ".xlsx"
    return send_written(lambda handle: export_register(session, current_user, enterprise, handle, fmt),
                        f"风险分级管控清单-{enterprise.code}-{db.today().isoformat()}{fmt}")


# ---- a risk point: the form and the page -------------------------------------------------------

def _factor_choices(rules: grading.RiskRules) -> dict:
    return {key: [(grading.shown(value), FACTOR_MEANINGS.get(key, {}).get(grading.shown(value)))
                  for value in rules.tables[key]] for key in rules.tables}


def _form_payload(form) -> dict:
    """The form as the API's body, so the same schema checks it."""
    method = form.get("method") or "lec"
    payload = {"name": form.get("name", "").strip(), "kind": form.get("kind", ""),
               "location": form.get("location", "").strip(), "method": method,
               "dangers": _lines(form.get("dangers")), "controls": _lines(form.get("controls")),
               "checks": _lines(form.get("checks"))}
    for name in grading.FACTORS.get(method, ()):
        value = form.get(f"{method}_{name}") or None
        if value is not None:
            payload[name] = value
    return payload


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _render_point_form(enterprise, point=None, values=None, errors=None, status=200):
    values = values or {}
    if point is not None and not values:
        values = {"name": point.name, "kind": point.kind.value, "location": point.location,
                  "method": point.method.value, "dangers": "\n".join(point.dangers),
                  "controls": "\n".join(point.controls), "checks": "\n".join(point.checks),
                  **{f"{point.method.value}_{name}": grading.shown(Decimal(getattr(point, name)))
                     for name in grading.FACTORS[point.method.value]}}
    rules = _rules()
    return render_template("prevention/point_form.html", enterprise=enterprise, point=point, values=values,
                           errors=errors or {}, choices=_factor_choices(rules), factor_names=FACTOR_NAMES,
                           thresholds={m: [grading.shown(t) for t in rules.thresholds[m]] for m in grading.METHODS},
                           kinds=[k.value for k in RiskPointKind], **_page_vocabulary()), status


def _save_point(enterprise, point=None):
    session = db.session()
    values = dict(request.form)
    try:
        data = RiskPointIn().load(_form_payload(request.form))
        if point is None:
            point = ops.create_risk_point(session, current_user, enterprise.id, ops.RiskPointInput(**data), _rules(),
                                          db.now())
        else:
            point = ops.update_risk_point(session, current_user, point.id, ops.RiskPointInput(**data), _rules(),
                                          db.now())
    except ValidationError as error:
        return _render_point_form(enterprise, point, values, flatten_messages(error.messages), 422)
    except DomainError as error:
        db.discard()
        if error.status in (403, 404):
            raise
        return _render_point_form(enterprise, point, values, error.fields or {"_form": [error.message]}, error.status)
    return redirect(url_for("dual_prevention.risk_point", risk_point_id=point.id, saved=1))


@bp.route("/enterprises/<id:enterprise_id>/risk-points/new", methods=["GET", "POST"])
@login_required
def new_point(enterprise_id: int):
    enterprise = ops.register_for_writing(db.session(), current_user, enterprise_id)
    if request.method == "POST":
        return _save_point(enterprise)
    return _render_point_form(enterprise, values={"method": "lec", "kind": "place"})


@bp.route("/risk-points/<id:risk_point_id>/edit", methods=["GET", "POST"])
@login_required
def edit_point(risk_point_id: int):
    session = db.session()
    point = ops.visible_risk_point(session, current_user, risk_point_id)
    enterprise = ops.register_for_writing(session, current_user, point.enterprise_id)
    if request.method == "POST":
        return _save_point(enterprise, point)
    return _render_point_form(enterprise, point)


@bp.route("/risk-points/<id:risk_point_id>")
@login_required
def risk_point(risk_point_id: int):
    session = db.session()
    point = ops.visible_risk_point(session, current_user, risk_point_id)
    return render_template("prevention/point.html", point=point, enterprise=point.enterprise,
                           keeps=_keeps(point.enterprise_id), saved=bool(request.args.get("saved")),
                           inspections=ops.recent_inspections(session, current_user, point.id),
                           due=ops.due_inspection_of(session, current_user, point.id, db.today()),
                           **_page_vocabulary())


@bp.route("/risk-points/<id:risk_point_id>/qr")
@login_required
def poster(risk_point_id: int):
    """The poster hung at the risk point: scanning it opens the due inspection."""
    point = ops.visible_risk_point(db.session(), current_user, risk_point_id)
    base = db.settings()["app"]["base_url"].rstrip("/")
    address = f"{base}{url_for('dual_prevention.inspect', risk_point_id=point.id)}"
    return render_template("prevention/poster.html", point=point, enterprise=point.enterprise, address=address,
                           qr=qr_svg(address), **_page_vocabulary())


@bp.route("/risk-points/<id:risk_point_id>/inspect")
@login_required
def inspect(risk_point_id: int):
    """Where the QR code leads (after signing in): the caller's due inspection of this point."""
    session = db.session()
    point = ops.visible_risk_point(session, current_user, risk_point_id)
    due = ops.due_inspection_of(session, current_user, point.id, db.today())
    if due is not None:
        return redirect(url_for("dual_prevention.inspection", inspection_id=due.id))
    return render_template("prevention/nothing_due.html", point=point, **_page_vocabulary())


# ---- plans -----------------------------------------------------------------------------------

@bp.route("/enterprises/<id:enterprise_id>/inspection-plans", methods=["GET", "POST"])
@login_required
def plans(enterprise_id: int):
    session = db.session()
    enterprise = ops.register_for_reading(session, current_user, enterprise_id)
    errors, status = {}, 200
    if request.method == "POST":
        ops.register_for_writing(session, current_user, enterprise_id)
        try:
            ids = [int(v) for v in request.form.getlist("risk_point_ids") if v.isdigit() and len(v) < 10]
            assignee = request.form.get("assignee_user_id", "")
            frequency = request.form.get("frequency", "")
            if frequency not in {f.value for f in Frequency}:
                errors["frequency"] = [_("请选择排查频次")]
            elif not assignee.isdigit() or len(assignee) > 9:
                errors["assignee_user_id"] = [_("请选择排查人")]
            else:
                ops.create_plan(session, current_user, enterprise_id, ids, frequency, int(assignee), db.now(),
                                db.zone())
                return redirect(url_for("dual_prevention.plans", enterprise_id=enterprise_id, saved=1))
        except DomainError as error:
            db.discard()
            if error.status in (403, 404):
                raise
            errors = error.fields or {"_form": [error.message]}
        status = 422
    return render_template("prevention/plans.html", enterprise=enterprise, plans=ops.list_plans(session, current_user,
                                                                                                 enterprise_id),
                           points=ops.register_lines(session, enterprise_id),
                           users=ops.assignable_users(session, enterprise_id), keeps=_keeps(enterprise_id),
                           errors=errors, saved=bool(request.args.get("saved")),
                           frequencies=[f.value for f in Frequency], **_page_vocabulary()), status


@bp.route("/inspection-plans/<id:plan_id>/stop", methods=["POST"])
@login_required
def stop_plan(plan_id: int):
    plan = ops.stop_plan(db.session(), current_user, plan_id)
    return redirect(url_for("dual_prevention.plans", enterprise_id=plan.enterprise_id))


# ---- inspections ----------------------------------------------------------------------------

@bp.route("/inspections")
@login_required
def inspections():
    state = request.args.get("state") if request.args.get("state") in {s.value for s in InspectionState} else None
    try:
        items, next_cursor = ops.list_inspections(db.session(), current_user, state, None, limit=100,
                                                  cursor=request.args.get("cursor") or None)
    except DomainError:
        abort(404)
    return render_template("prevention/inspections.html", items=items, state=state, next_cursor=next_cursor,
                           states=[s.value for s in InspectionState], **_page_vocabulary())


def _render_inspection(inspection, errors=None, values=None, status=200):
    may_submit = (inspection.state is InspectionState.DUE and permissions.may_submit(current_user, inspection)
                  and db.today() <= inspection.period_end)
    return render_template("prevention/inspection.html", inspection=inspection, point=inspection.risk_point,
                           may_submit=may_submit, errors=errors or {}, values=values or {}, zone=db.zone(),
                           **_page_vocabulary()), status


@bp.route("/inspections/<id:inspection_id>", methods=["GET", "POST"])
@login_required
def inspection(inspection_id: int):
    session = db.session()
    found = ops.visible_inspection(session, current_user, inspection_id)
    if request.method == "GET":
        return _render_inspection(found)
    checks = found.risk_point.checks
    items, errors = [], {}
    for index in range(len(checks)):
        answer = request.form.get(f"ok-{index}")
        if answer not in ("1", "0"):
            errors[f"items.{index}"] = [_("请选择合格或不合格")]
            continue
        photo = request.files.get(f"photo-{index}")
        note = (request.form.get(f"note-{index}") or "")[:1000]
        with_photo = photo is not None and photo.filename and answer == "0"
        items.append(ops.CheckResult(check=index, ok=answer == "1", note=note,
                                     photo=photo.stream if with_photo else None))
    values = dict(request.form)
    if errors:
        return _render_inspection(found, errors, values, 422)
    settings = db.settings()
    try:
        done, _hazards = ops.submit_results(session, current_user, inspection_id, items, db.now(), db.zone(),
                                            ops.Uploads(settings.upload_dir, settings["uploads"]["max_bytes"],
                                                        settings["uploads"]["max_pixels"]))
    except NotFound:
        abort(404)
    except DomainError as error:
        db.discard()
        return _render_inspection(ops.visible_inspection(session, current_user, inspection_id),
                                  error.fields or {"_form": [error.message]}, values, error.status)
    return redirect(url_for("dual_prevention.inspection", inspection_id=done.id, submitted=1))


# ---- the overview for inspectors ---------------------------------------------------------------

@bp.route("/prevention/overview")
@login_required
def overview():
    start, end = ops.month_so_far(db.today())
    answer = ops.coverage(db.session(), current_user, start, end)
    enterprises = sorted(answer["enterprises"], key=lambda row: (
        -(row.points["major"] + row.points["high"]), -len(row.unplanned), -row.inspections["missed"], row.code))
    return render_template("prevention/overview.html", start=start, end=end, enterprises=enterprises[:500],
                           jurisdictions=answer["jurisdictions"], total=len(enterprises), **_page_vocabulary())
