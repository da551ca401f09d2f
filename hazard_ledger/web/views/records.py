"""One hazard's work page (its state, the actions its viewer may take, the timeline) and
the printable records (A4): the hazard with its photos, timeline and chain hash, and the
statutory statistics with the principal's signature line. Same visibility as the API."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from hazard_ledger.errors import (Conflict, DomainError, Forbidden, InvalidTransition, NotFound, TooLarge,
                                  ValidationFailed, flatten_messages)
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.schemas import TransitionIn, present_detail
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.paperwork.statistics import Period, compute_statistics
from hazard_ledger.web import db
from hazard_ledger.web.errors import handle_http_exception
from hazard_ledger.web.i18n import page_problem
from hazard_ledger.web.views.forms import MAX_PHOTOS, accepts_photos
from hazard_ledger.web.words import EVENT_WORDS, PHOTO_SIDE_WORDS

bp = Blueprint("records", __name__)


# the fields of each event's form, in order, with their labels and input types
FIELD_LABELS = {
    "grade": (_l("隐患等级"), "select"), "measure": (_l("整改措施"), "textarea"), "deadline": (_l("整改时限"), "date"),
    "responsible_unit": (_l("整改责任单位"), "text"), "responsible_person": (_l("整改责任人"), "text"),
    "protective_measures": (_l("安全防护措施"), "textarea"), "responsible_user_id": (_l("整改责任人账号（可选）"), "user"),
    "category": (_l("隐患类别（可选）"), "text"), "funds": (_l("治理资金（元，重大隐患必填）"), "number"),
    "emergency_plan": (_l("应急预案（重大隐患必填）"), "textarea"), "reason": (_l("原因"), "text"),
    "duplicate_of": (_l("重复的隐患编号"), "hazard_code"), "comment": (_l("说明"), "textarea"), "note": (_l("说明"), "textarea"),
    "completed_on": (_l("完成日期"), "date"), "due_on": (_l("督办期限"), "date"),
    "photos": (_l("照片（最多 5 张）"), "file"),
}
CHOICES = {"grade": [("general", _l("一般")), ("major", _l("重大"))],
           "reason": [("not_a_hazard", _l("不是隐患")), ("duplicate", _l("重复举报"))]}
# what else a history entry may carry, and what the timeline leaves out as bookkeeping
HISTORY_LABELS = {"location": _l("隐患地点"), "description": _l("隐患描述"), "original_code": _l("原台账编号"),
                  "state": _l("状态"), "reported_at": _l("报告时间"), "closed_at": _l("销号时间"),
                  "rectification_note": _l("整改完成情况"), "verification_note": _l("验收意见"),
                  "category": _l("隐患类别"), "funds": _l("治理资金（元）"), "emergency_plan": _l("应急预案"),
                  "responsible_user_id": _l("整改责任人账号"), "duplicate_of": _l("重复于隐患"),
                  "photos": _l("照片校验值（sha256）"), "stage": _l("照片阶段")}
# names a form does not show, for a problem with one of them (the hidden version)
HIDDEN_LABELS = {"version": _l("版本号"), "event": _l("办理事项")}
HISTORY_HIDDEN = {"channel", "anonymous", "row", "source", "risk_point_id", "inspection_id", "check_index"}


# a field that means something of its own in one event: the form and the timeline say so
EVENT_FIELD_LABELS = {("progress", "note"): _l("整改进展"), ("rectify", "note"): _l("整改完成情况"),
                      ("close", "note"): _l("验收意见"), ("supervise", "note"): _l("督办意见")}


def field_label(event: str | None, name: str):
    return EVENT_FIELD_LABELS.get((event, name)) or FIELD_LABELS.get(name, (name,))[0]


def history_lines(data: dict, known: dict | None = None, event: str | None = None) -> list[tuple[str, str]]:
    """A history entry's data as (label, value) lines in the page's language; a value
    `known` says better (an account's name for its id, a hazard's code for its id) as that."""
    lines = []
    for key, value in data.items():
        if key in HISTORY_HIDDEN or value in (None, ""):
            continue
        label = EVENT_FIELD_LABELS.get((event, key)) or HISTORY_LABELS.get(key) or FIELD_LABELS.get(key, (key,))[0]
        if key == "photos" and isinstance(value, list):  # the chained hashes, short as a person compares them
            value = " ".join(f"{sha256[:12]}…" for sha256 in value)
        elif key == "stage":
            value = PHOTO_SIDE_WORDS.get(ops.SIDES.get(value), value)
        words = {**dict(CHOICES.get(key, ())), **(known or {}).get(key, {})}
        lines.append((str(label), str(words.get(value, value))))
    return lines


def _known_values(hazard, original) -> dict:
    """What the timeline shows instead of the ids its entries carry."""
    known = {}
    if hazard.responsible_user is not None:
        known["responsible_user_id"] = {hazard.responsible_user_id: hazard.responsible_user.display_name}
    if original is not None:
        known["duplicate_of"] = {original.id: original.code}
    return known


def _original_of(hazard):
    """The hazard this one duplicates, when its viewer may see it."""
    if hazard.duplicate_of_id is None:
        return None
    try:
        return ops.visible_hazard(db.session(), current_user, hazard.duplicate_of_id)
    except NotFound:
        return None


def _inputs(event: str) -> dict[str, bool]:
    """The inputs of an event's form, each with whether it is required: the rulebook's
    fields, and photos where the event takes them."""
    from hazard_ledger.workflow import RULEBOOK

    declared = RULEBOOK[event].fields._declared_fields if event in RULEBOOK else {}
    inputs = {name: field.required for name, field in declared.items()}
    return {**inputs, "photos": False} if event in ops.PHOTO_EVENTS else inputs


def event_forms(events: list[str]) -> list[dict]:
    forms = []
    for event in events:
        fields = []
        for name, required in _inputs(event).items():
            label, kind = field_label(event, name), FIELD_LABELS.get(name, (name, "text"))[1]
            choices = CHOICES.get(name) if event != "extend" and not (event == "reopen" and name == "reason") else None
            fields.append({"name": name, "label": str(label), "kind": "select" if choices else kind,
                           "required": required,
                           "choices": [(value, str(text)) for value, text in choices] if choices else None})
        forms.append({"event": event, "title": str(EVENT_WORDS[event]), "fields": fields})
    return forms


def _detail(hazard) -> dict:
    return present_detail(hazard, current_user, db.today(), ops.attachments_of(db.session(), hazard.id))


def _photos(detail: dict) -> dict:
    """What the stage photos' partial (pages/_stage_photos.html) takes, on the hazard's pages."""
    return {"stage_photos": ops.by_side(detail["attachments"]),
            "photo_address": lambda photo: url_for("records.attachment_file", attachment_id=photo.id),
            "thumbnail_address": lambda photo: url_for("records.attachment_thumbnail", attachment_id=photo.id)}


def _render_work_page(hazard, errors=None, failed_event=None, values=None, status=200, conflict=False):
    """The hazard's work page: what it is and where it stands, then what its viewer may
    do (the failed action's form open, with what was typed and every problem), then its
    photos and its timeline."""
    session = db.session()
    detail = _detail(hazard)
    forms = event_forms(detail["allowed_events"])
    kinds = {f["kind"] for form in forms for f in form["fields"]}
    people = ops.responsible_candidates(session, hazard) if "user" in kinds else []
    codes = ops.codes_like(session, current_user, hazard.enterprise_id, exclude_id=hazard.id, limit=50) \
        if "hazard_code" in kinds else []
    original = _original_of(hazard)
    return render_template("pages/hazard.html", hazard=hazard, detail=detail, enterprise=hazard.enterprise,
                           zone=db.zone(), today=db.today(), history_lines=history_lines, forms=forms,
                           original=original, known=_known_values(hazard, original),
                           people=people, codes=codes, errors=errors or {}, failed_event=failed_event,
                           values=values or {}, conflict=conflict, max_bytes=db.uploads().max_bytes,
                           **_photos(detail)), status


@bp.route("/hazards/<id:hazard_id>")
@login_required
def hazard_record(hazard_id: int):
    try:
        hazard = ops.visible_hazard(db.session(), current_user, hazard_id)
    except DomainError:
        abort(404)
    return _render_work_page(hazard)


@bp.route("/hazards/<id:hazard_id>/print")
@login_required
def hazard_print(hazard_id: int):
    """The A4 sheet: the record as it stands, no forms."""
    try:
        hazard = ops.visible_hazard(db.session(), current_user, hazard_id)
    except DomainError:
        abort(404)
    detail = _detail(hazard)
    return render_template("print/hazard.html", hazard=hazard, detail=detail, enterprise=hazard.enterprise,
                           zone=db.zone(), history_lines=history_lines,
                           known=_known_values(hazard, _original_of(hazard)),
                           **{**_photos(detail), "thumbnail_address": None})  # on paper, the photos themselves


@bp.route("/hazards/<id:hazard_id>/codes")
@login_required
def hazard_codes(hazard_id: int):
    """The codes the duplicate picker offers as its user types: hazards of the same
    enterprise this user may see, other than this one."""
    try:
        hazard = ops.visible_hazard(db.session(), current_user, hazard_id)
    except DomainError:
        abort(404)
    found = ops.codes_like(db.session(), current_user, hazard.enterprise_id, request.args.get("q", "")[:50],
                           exclude_id=hazard.id)
    return jsonify(items=[{"code": code, "description": description} for code, description in found])


@bp.route("/hazards/<id:hazard_id>/events/<event>", methods=["POST"])
@login_required
@accepts_photos(MAX_PHOTOS)
def fire_event(hazard_id: int, event: str):
    """The forms of the hazard page post here (multipart: progress, rectify and close
    take photos in the same request); the same operation as the API."""
    session = db.session()
    values = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "version") and v.strip()}
    unknown_code = None
    try:
        # the page's hidden version is read as the API reads it: a number of any length is a 422
        version = TRANSITION.load({"event": event, "version": request.form.get("version") or None})["version"]
        data, unknown_code = _operation_data(session, values)
        photos = _stored_photos(event)
        ops.transition(session, current_user, hazard_id, event, data, version=version, now=db.now(), zone=db.zone(),
                       photos=photos)
    except NotFound:
        abort(404)
    except (DomainError, ValidationError) as error:
        db.discard()
        hazard = ops.visible_hazard(session, current_user, hazard_id)
        status = error.status if isinstance(error, DomainError) and error.status != 404 else 422
        errors = _errors_by_input(event, error)
        if unknown_code is not None:  # said instead of the operation's "name the original"
            errors["duplicate_of"] = [unknown_code]
        return _render_work_page(hazard, errors, event, values, status=status,
                                 conflict=isinstance(error, (Conflict, InvalidTransition)))
    flash(event, "done")
    return redirect(url_for("records.hazard_record", hazard_id=hazard_id))


@bp.route("/hazards/<id:hazard_id>/events/<event>", methods=["GET"])
@login_required
def event_page(hazard_id: int, event: str):
    """The address a refused form was shown at, opened again (the language switch, a
    reload after the fact): the hazard's page."""
    return redirect(url_for("records.hazard_record", hazard_id=hazard_id, lang=request.args.get("lang")))


TRANSITION = TransitionIn()


def _stored_photos(event: str) -> list:
    """The photos sent with an event that takes them, stored (re-encoded) before the
    event is fired; a photo refused is an error next to the photo field."""
    if event not in ops.PHOTO_EVENTS:
        return []
    files = [upload for upload in request.files.getlist("photos") if upload and upload.filename]
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed.on("photos", str(_l("最多 %(count)s 张照片", count=MAX_PHOTOS)))
    stored = []
    for upload in files:
        try:
            stored.append(ops.store_photo(upload.stream, db.uploads()))
        except TooLarge:
            raise ValidationFailed.on("photos", str(_l("有照片超过 %(mb)s MB，请换一张或缩小后再传。",
                                                       mb=round(db.uploads().max_bytes / 1048576, 1)))) from None
        except ValidationFailed:
            raise ValidationFailed.on("photos", str(_l("只接受能完整打开的 JPEG、PNG 或 WebP 照片。"))) from None
    return stored


@bp.errorhandler(RequestEntityTooLarge)
def photos_too_large(error):
    """Photos larger together than the event form's allowance: the hazard's page again,
    the problem next to the photos, never a dead end (what was typed came in the refused
    body). Other pages answer with the common error page."""
    if request.endpoint != "records.fire_event" or not current_user.is_authenticated:
        return handle_http_exception(error)
    try:
        hazard = ops.visible_hazard(db.session(), current_user, request.view_args["hazard_id"])
    except DomainError:
        abort(404)
    event = request.view_args["event"]
    problem = str(_l("照片太大，请少选几张或换小一些的照片。"))
    return _render_work_page(hazard, {"photos" if event in ops.PHOTO_EVENTS else "_form": [problem]}, event,
                             status=413)


def _operation_data(session, values: dict) -> tuple[dict, str | None]:
    """The form's values as the operation takes them: the duplicate's code (YH-…) becomes
    the id the API takes. A code the user cannot see is left out, with the problem to
    show in place of the operation's "name the original"."""
    data = dict(values)
    code = data.pop("duplicate_of", None)
    if code is None:
        return data, None
    try:
        data["duplicate_of"] = ops.visible_hazard_by_code(session, current_user, code).id
    except NotFound:
        return data, str(_l("没有这个编号的隐患，或它不在您的查看范围内"))
    return data, None


def _errors_by_input(event: str, error: DomainError | ValidationError) -> dict[str, list[str]]:
    """Each problem next to its input, in the page's language; one with no input on the
    event's form (the hidden version, a field the form does not have) heads the form, so
    none is lost."""
    if isinstance(error, ValidationError):
        fields = flatten_messages(error.messages)
    elif error.fields:
        fields = error.fields
    elif isinstance(error, (Conflict, InvalidTransition)):
        fields = {"_form": [str(_l("这条隐患刚被他人办理或修改，下面是它现在的状态。请核对后再办理。"))]}
    elif isinstance(error, Forbidden):
        fields = {"_form": [str(_l("您不能办理这一项。"))]}
    else:
        fields = {"_form": [error.message]}
    inputs = set(_inputs(event))
    errors: dict[str, list[str]] = {}
    for name, problems in fields.items():
        if name in inputs or name == "_form":
            errors.setdefault(name, []).extend(page_problem(problem) for problem in problems)
        else:
            label = HIDDEN_LABELS.get(name) or field_label(event, name)
            errors.setdefault("_form", []).extend(str(_l("%(label)s：%(problem)s", label=label, problem=page_problem(problem)))
                                                  for problem in problems)
    return errors


@bp.route("/files/<id:attachment_id>")
@bp.route("/files/<id:attachment_id>/thumbnail", endpoint="attachment_thumbnail")
@login_required
def attachment_file(attachment_id: int):
    """A photo, to whoever may see its hazard; `/thumbnail` a small JPEG of it."""
    try:
        attachment = ops.visible_attachment(db.session(), current_user, attachment_id)
    except DomainError:
        abort(404)
    upload_dir = db.settings().upload_dir
    if request.path.endswith("/thumbnail"):  # a small JPEG, for a row of the ledger: made at upload
        small = ops.thumbnail_path(upload_dir, attachment).read_bytes()  # a few KB: no file left open
        return send_file(io.BytesIO(small), mimetype="image/jpeg", max_age=0)
    return send_file(ops.attachment_path(upload_dir, attachment), mimetype=attachment.content_type, max_age=0)


@bp.route("/statistics/<id:enterprise_id>/<period>")
@login_required
def statistics_record(enterprise_id: int, period: str):
    try:
        enterprise = visible_enterprise(db.session(), current_user, enterprise_id)
        chosen = Period.parse(period)
    except DomainError:
        abort(404)
    stats = compute_statistics(db.session(), enterprise, chosen, db.zone(), db.today())
    return render_template("print/statistics.html", stats=stats)
