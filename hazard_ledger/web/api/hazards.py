from flask import request, send_file

from hazard_ledger import effects
from hazard_ledger.errors import ValidationFailed
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.schemas import (
    AttachmentOut, HazardDetail, HazardIn, HazardListQuery, HazardPage, TransitionIn, filters_of, present_detail,
    present_hazard,
)
from hazard_ledger.notifications.nudges import nudge
from hazard_ledger.notifications.schemas import NudgeIn, NudgeOut
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("hazards", __name__, description="The ledger and its workflow")


def detail(hazard, caller, attachments=None):
    if attachments is None:
        attachments = ops.attachments_of(db.session(), hazard.id)
    return present_detail(hazard, caller, db.today(), attachments)


@blp.route("/hazards", methods=["POST"])
@db.one_statement
@login_required_api
@blp.arguments(HazardIn)
@blp.response(201, HazardDetail)
def report_hazard(data, caller):
    """Report a hazard; it starts in state `reported`."""
    report = ops.Report(location=data["location"], description=data["description"], category=data["category"])
    hazard = ops.report_as_user(db.session(), caller, report, data["enterprise_id"], db.now(), db.zone())
    return detail(hazard, caller, attachments=[])  # photos come after, by their own requests


@blp.route("/hazards")
@login_required_api
@blp.arguments(HazardListQuery, location="query")
@blp.response(200, HazardPage)
def list_hazards(query, caller):
    """The ledger in the caller's scope, newest first, by keyset pages."""
    today = db.today()
    items, next_cursor = ops.list_hazards(db.session(), caller, filters_of(query), today, db.zone(),
                                          limit=query["limit"], cursor=query["cursor"])
    return {"items": [present_hazard(h, caller, today) for h in items], "next_cursor": next_cursor}


@blp.route("/hazards/nudge", methods=["POST"])
@login_required_api
@blp.arguments(NudgeIn)
@blp.response(200, NudgeOut)
def nudge_hazards(body, caller):
    """催办: remind the responsible user and the safety officers of each overdue hazard
    among `hazard_ids` (once a day per hazard); safety officers, inspectors, admins."""
    answer = nudge(db.session(), caller, body["hazard_ids"], db.now(), db.zone())
    return {"nudged": answer.nudged, "skipped": answer.skipped}


@blp.route("/hazards/<id:hazard_id>")
@login_required_api
@blp.response(200, HazardDetail)
def get_hazard(hazard_id, caller):
    """One hazard with its history and the events the caller may fire now."""
    return detail(ops.visible_hazard(db.session(), caller, hazard_id), caller)


def _event_without_effects() -> bool:
    """Whether the requested event writes one statement: the hazard and its history
    entry, no effect (a message, an award) besides."""
    body = request.get_json(silent=True)
    event = body.get("event") if isinstance(body, dict) else None
    return isinstance(event, str) and not effects.effects_of(event)


@blp.route("/hazards/<id:hazard_id>/transitions", methods=["POST"])
@db.one_statement(when=_event_without_effects)
@login_required_api
@blp.arguments(TransitionIn)
@blp.response(200, HazardDetail)
def fire_transition(body, hazard_id, caller):
    """Fire a workflow event: `{event, version?, ...the event's fields}`."""
    event, version = body.pop("event"), body.pop("version")
    hazard = ops.transition(db.session(), caller, hazard_id, event, body, version=version, now=db.now(), zone=db.zone())
    return detail(hazard, caller)


@blp.route("/hazards/<id:hazard_id>/attachments", methods=["POST"])
@login_required_api
@blp.response(201, AttachmentOut)
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}})
def upload_attachment(hazard_id, caller):
    """Add a photo (JPEG, PNG or WebP, checked by content). It is chained by a history
    entry of its own (event `photo`, with its `stage` and sha256), and moves the version."""
    session = db.session()
    hazard = ops.visible_hazard(session, caller, hazard_id)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed.on("file", "请选择图片文件 / send the image as multipart field 'file'")
    return ops.add_attachment(session, caller, hazard, upload.stream, uploads=db.uploads(), now=db.now())


@blp.route("/attachments/<id:attachment_id>")
@login_required_api
@blp.response(200, content_type="application/octet-stream")
def download_attachment(attachment_id, caller):
    """The photo, to those who may see its hazard."""
    attachment = ops.visible_attachment(db.session(), caller, attachment_id)
    path = ops.attachment_path(db.settings().upload_dir, attachment)
    return send_file(path, mimetype=attachment.content_type, max_age=0, etag=attachment.sha256)
