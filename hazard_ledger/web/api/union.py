"""The union's instruments over JSON (CONTRACT.md §5): formal notices, campaigns, and
the public board. Thin: parse, call the operation, answer (the request commits: web/db.py)."""

from __future__ import annotations

from hazard_ledger.tabular import write_table
from hazard_ledger.union import board
from hazard_ledger.union import campaigns as campaign_ops
from hazard_ledger.union import operations as ops
from hazard_ledger.union.schemas import (
    AcceptIn, BoardOut, CampaignIn, CampaignList, CampaignOut, CampaignCoverageOut, EnrolledOut, EnrollIn, EscalateIn,
    ExportQuery, HonourIn, HonourList, HonourOut, NoticeIn, NoticeList, NoticeOut, NoticeQuery, ReplyIn, ScoresIn,
    ScoresOut, YearQuery, present_notice,
)
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api
from hazard_ledger.web.downloads import XLSX, send_written

blp = Blueprint("union_instruments", __name__, description="The union's instruments: notices, campaigns, the public board")


# ---- notices -------------------------------------------------------------------------

def _notice(notice, caller, with_history: bool = True) -> dict:
    session = db.session()
    return present_notice(notice, ops.allowed_moves(session, notice, caller, db.today()),
                          ops.recommendation_of(session, notice), with_history)


@blp.route("/notices", methods=["POST"])
@login_required_api
@blp.arguments(NoticeIn)
@blp.response(201, NoticeOut)
def issue_notice(data, caller):
    """Issue a 提示函 (reminder) or 意见书 (opinion) to an enterprise the caller oversees."""
    notice = ops.issue_notice(db.session(), caller, ops.NewNotice(**data), db.now(), db.settings())
    return _notice(notice, caller)


@blp.route("/notices")
@login_required_api
@blp.arguments(NoticeQuery, location="query")
@blp.response(200, NoticeList)
def list_notices(query, caller):
    """The notices the caller may see: the issuing side's, and an enterprise's own."""
    return {"items": [_notice(n, caller, with_history=False) for n in ops.list_notices(db.session(), caller, **query)]}


@blp.route("/notices/<id:notice_id>")
@login_required_api
@blp.response(200, NoticeOut)
def get_notice(notice_id, caller):
    """One notice with its chained history and the moves the caller may make."""
    return _notice(ops.visible_notice(db.session(), caller, notice_id), caller)


def _move(event: str, data: dict, notice_id: int, caller) -> dict:
    notice = ops.move_notice(db.session(), caller, notice_id, event, data, db.now(), db.settings())
    return _notice(notice, caller)


@blp.route("/notices/<id:notice_id>/reply", methods=["POST"])
@login_required_api
@blp.arguments(ReplyIn)
@blp.response(200, NoticeOut)
def reply(data, notice_id, caller):
    """The enterprise's written answer: what it did (its safety officers)."""
    return _move("reply", data, notice_id, caller)


@blp.route("/notices/<id:notice_id>/accept", methods=["POST"])
@login_required_api
@blp.arguments(AcceptIn)
@blp.response(200, NoticeOut)
def accept(data, notice_id, caller):
    """Accept the answer (inspectors of the issuing union or above)."""
    return _move("accept", data, notice_id, caller)


@blp.route("/notices/<id:notice_id>/escalate", methods=["POST"])
@login_required_api
@blp.arguments(EscalateIn)
@blp.response(200, NoticeOut)
def escalate(data, notice_id, caller):
    """Turn an unheeded opinion into a 建议书 to an authority (a county-level union or higher)."""
    return _move("escalate", data, notice_id, caller)


# ---- campaigns ---------------------------------------------------------------------------

def _campaign(campaign) -> dict:
    return {**{key: getattr(campaign, key) for key in ("id", "jurisdiction_id", "year", "title", "theme", "focus",
                                                       "starts_on", "ends_on", "scoring")},
            "kind": campaign.kind.value, "enrolled": campaign_ops.enrolled_ids(db.session(), campaign)}


@blp.route("/campaigns", methods=["POST"])
@login_required_api
@blp.arguments(CampaignIn)
@blp.response(201, CampaignOut)
def create_campaign(data, caller):
    """A city or county union's campaign of the year (查保促 or 安康杯)."""
    campaign = campaign_ops.create_campaign(db.session(), caller, campaign_ops.NewCampaign(**data), db.now(),
                                            db.settings())
    return _campaign(campaign)


@blp.route("/campaigns")
@login_required_api
@blp.arguments(YearQuery, location="query")
@blp.response(200, CampaignList)
def list_campaigns(query, caller):
    """The campaigns whose subtree meets the caller's scope."""
    return {"items": [_campaign(c) for c in campaign_ops.list_campaigns(db.session(), caller, query["year"])]}


@blp.route("/campaigns/<id:campaign_id>")
@login_required_api
@blp.response(200, CampaignOut)
def get_campaign(campaign_id, caller):
    """One campaign."""
    return _campaign(campaign_ops.visible_campaign(db.session(), caller, campaign_id))


@blp.route("/campaigns/<id:campaign_id>/enrollments", methods=["POST"])
@login_required_api
@blp.arguments(EnrollIn)
@blp.response(200, EnrolledOut)
def enrol(data, campaign_id, caller):
    """Enrol enterprises (inspectors), or one's own enterprise (its safety officer)."""
    enrolled = campaign_ops.enrol(db.session(), caller, campaign_id, data["enterprise_ids"], db.now())
    return {"campaign_id": campaign_id, "enrolled": enrolled}


@blp.route("/campaigns/<id:campaign_id>/coverage")
@login_required_api
@blp.response(200, CampaignCoverageOut)
def coverage(campaign_id, caller):
    """Each union of the subtree: unionized enterprises, enrolled, share; the worst first."""
    return campaign_ops.coverage(db.session(), caller, campaign_id)


def present_scores(campaign, sheet, results) -> dict:
    return {"campaign_id": campaign.id, "sheet": sheet.name, "line": sheet.line, "max_total": sheet.total,
            "enterprises": [{"enterprise_id": r.enterprise.id, "name": r.enterprise.name, "total": r.total,
                             "passed": r.passed,
                             "items": [{"key": i.key, "title": i.title, "max": i.max, "points": i.points, "auto": i.auto,
                                        "evidence": _plain(i.evidence)} for i in r.items]}
                            for r in results]}


def _plain(evidence: dict) -> dict:
    # figures as JSON numbers
    return {key: float(value) if hasattr(value, "as_tuple") else value for key, value in evidence.items()}


@blp.route("/campaigns/<id:campaign_id>/scores")
@login_required_api
@blp.response(200, ScoresOut)
def scores(campaign_id, caller):
    """The scoring sheet for each enrolled enterprise, best first, each item with its evidence."""
    return present_scores(*campaign_ops.compute_scores(db.session(), caller, campaign_id, db.today(), db.settings()))


@blp.route("/campaigns/<id:campaign_id>/scores/<id:enterprise_id>", methods=["PUT"])
@login_required_api
@blp.arguments(ScoresIn)
@blp.response(200, ScoresOut)
def put_scores(data, campaign_id, enterprise_id, caller):
    """An inspector's points (0 to the item's max) and notes for the items that are not automatic."""
    session = db.session()
    campaign_ops.put_scores(session, caller, campaign_id, enterprise_id, data["items"], db.now(), db.settings())
    return present_scores(*campaign_ops.compute_scores(session, caller, campaign_id, db.today(), db.settings(),
                                                       enterprise_id=enterprise_id))


@blp.route("/campaigns/<id:campaign_id>/honours", methods=["POST"])
@login_required_api
@blp.arguments(HonourIn)
@blp.response(201, HonourOut)
def add_honour(data, campaign_id, caller):
    """Select a 先进集体 (an enterprise) or 先进个人 (a user, or a person by name)."""
    honour = campaign_ops.add_honour(db.session(), caller, campaign_id, now=db.now(), **data)
    return honour


@blp.route("/campaigns/<id:campaign_id>/honours")
@login_required_api
@blp.response(200, HonourList)
def list_honours(campaign_id, caller):
    """The honours selected."""
    return {"items": campaign_ops.list_honours(db.session(), caller, campaign_id)}


@blp.route("/campaigns/<id:campaign_id>/export")
@login_required_api
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type=XLSX)
def export(query, campaign_id, caller):
    """The results as .xlsx: every enrolled enterprise's items, total and verdict."""
    title, columns, rows = campaign_ops.results_table(db.session(), caller, campaign_id, db.today(), db.settings())
    return send_written(lambda handle: write_table(handle, ".xlsx", columns, rows, title=title),
                        f"campaign-{campaign_id}-results.xlsx")


# ---- the public board ------------------------------------------------------------------

@blp.route("/public/enterprises/<report_token>/board")
@blp.response(200, BoardOut)
@blp.doc(security=[])
def public_board(report_token):
    """The enterprise's 公示栏: open hazards and those closed in the last 90 days; no names."""
    return board.public_board(db.session(), report_token, db.now(), db.zone())
