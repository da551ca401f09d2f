"""Printable records (A4): one hazard with its photos, timeline and chain hash, and the
statutory statistics with the principal's signature line. Same visibility as the API."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required

from hazard_ledger.errors import DomainError
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.schemas import present_detail
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.paperwork.columns import GRADE_WORDS, STATE_WORDS
from hazard_ledger.paperwork.statistics import Period, compute_statistics
from hazard_ledger.web import db

bp = Blueprint("records", __name__)

EVENT_WORDS = {"report": "上报", "assign": "确认并制定整改方案", "reject": "驳回", "progress": "整改进展",
               "extend": "延期", "rectify": "整改完成", "reopen": "验收不通过，退回整改", "close": "验收销号",
               "import": "从原台账导入"}


@bp.route("/hazards/<id:hazard_id>")
@bp.route("/hazards/<id:hazard_id>/print")
@login_required
def hazard_record(hazard_id: int):
    session = db.session()
    try:
        hazard = ops.visible_hazard(session, current_user, hazard_id)
    except DomainError:
        abort(404)
    detail = present_detail(hazard, current_user, db.today(), ops.attachments_of(session, hazard.id))
    return render_template("print/hazard.html", hazard=hazard, detail=detail, enterprise=hazard.enterprise,
                           state_words=STATE_WORDS, grade_words=GRADE_WORDS, event_words=EVENT_WORDS,
                           zone=db.zone())


@bp.route("/files/<id:attachment_id>")
@login_required
def attachment_file(attachment_id: int):
    try:
        attachment = ops.visible_attachment(db.session(), current_user, attachment_id)
    except DomainError:
        abort(404)
    return send_file(ops.attachment_path(db.settings().upload_dir, attachment), mimetype=attachment.content_type,
                     max_age=0)


@bp.route("/statistics/<id:enterprise_id>/<period>")
@login_required
def statistics_record(enterprise_id: int, period: str):
    try:
        enterprise = visible_enterprise(db.session(), current_user, enterprise_id)
        chosen = Period.parse(period)
    except DomainError:
        abort(404)
    stats = compute_statistics(db.session(), enterprise, chosen, db.zone())
    return render_template("print/statistics.html", stats=stats)
