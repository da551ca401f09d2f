"""Dual prevention over JSON (CONTRACT §6): the register of risk points, inspection
plans, inspections and their results, and the coverage inspectors read."""

from hazard_ledger.prevention import operations as ops
from hazard_ledger.prevention.schemas import (
    InspectionCoverageOut, CoverageQuery, InspectionOut, InspectionPage, InspectionQuery, PlanIn, PlanList, PlanOut,
    ResultsIn, ResultsOut, RiskPointIn, RiskPointList, RiskPointOut, present_inspection, present_plan,
    present_point,
)
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("prevention", __name__, description="Risk points, inspection plans and inspections (双重预防)")


def _rules():
    return ops.risk_rules(db.settings())


@blp.route("/enterprises/<id:enterprise_id>/risk-points", methods=["POST"])
@login_required_api
@blp.arguments(RiskPointIn)
@blp.response(201, RiskPointOut)
def create_risk_point(data, enterprise_id, caller):
    """Register a risk point, graded by LEC (l, e, c) or the risk matrix (l, s)."""
    point = ops.create_risk_point(db.session(), caller, enterprise_id, ops.RiskPointInput(**data), _rules(), db.now())
    return present_point(point)


@blp.route("/enterprises/<id:enterprise_id>/risk-points")
@login_required_api
@blp.response(200, RiskPointList)
def list_risk_points(enterprise_id, caller):
    """The enterprise's register, by area, most serious first."""
    return {"items": [present_point(p) for p in ops.list_risk_points(db.session(), caller, enterprise_id)]}


@blp.route("/risk-points/<id:risk_point_id>")
@login_required_api
@blp.response(200, RiskPointOut)
def get_risk_point(risk_point_id, caller):
    """One risk point."""
    return present_point(ops.visible_risk_point(db.session(), caller, risk_point_id))


@blp.route("/risk-points/<id:risk_point_id>", methods=["PUT"])
@login_required_api
@blp.arguments(RiskPointIn)
@blp.response(200, RiskPointOut)
def update_risk_point(data, risk_point_id, caller):
    """Replace a risk point (its checklist too) and grade it again."""
    point = ops.update_risk_point(db.session(), caller, risk_point_id, ops.RiskPointInput(**data), _rules(), db.now())
    return present_point(point)


@blp.route("/enterprises/<id:enterprise_id>/inspection-plans", methods=["POST"])
@login_required_api
@blp.arguments(PlanIn)
@blp.response(201, PlanOut)
def create_plan(data, enterprise_id, caller):
    """Plan inspections of risk points: daily, weekly, monthly or quarterly, by one user of
    the enterprise. The current period's inspections are written at once."""
    session = db.session()
    plan = ops.create_plan(session, caller, enterprise_id, data["risk_point_ids"], data["frequency"],
                           data["assignee_user_id"], db.now(), db.zone())
    session.refresh(plan)
    return present_plan(plan)


@blp.route("/enterprises/<id:enterprise_id>/inspection-plans")
@login_required_api
@blp.response(200, PlanList)
def list_plans(enterprise_id, caller):
    """The enterprise's plans."""
    return {"items": [present_plan(p) for p in ops.list_plans(db.session(), caller, enterprise_id)]}


@blp.route("/inspection-plans/<id:plan_id>/stop", methods=["POST"])
@login_required_api
@blp.response(200, PlanOut)
def stop_plan(plan_id, caller):
    """Stop a plan: no new inspections; those written stay."""
    session = db.session()
    plan = ops.stop_plan(session, caller, plan_id)
    session.refresh(plan)
    return present_plan(plan)


@blp.route("/inspections")
@login_required_api
@blp.arguments(InspectionQuery, location="query")
@blp.response(200, InspectionPage)
def list_inspections(query, caller):
    """Inspections in the caller's scope (a worker: their own), newest first."""
    items, next_cursor = ops.list_inspections(db.session(), caller, query["state"], query["enterprise_id"],
                                              limit=query["limit"], cursor=query["cursor"])
    return {"items": [present_inspection(i) for i in items], "next_cursor": next_cursor}


@blp.route("/inspections/<id:inspection_id>")
@login_required_api
@blp.response(200, InspectionOut)
def get_inspection(inspection_id, caller):
    """One inspection with its checklist and, once done, its results."""
    return present_inspection(ops.visible_inspection(db.session(), caller, inspection_id))


@blp.route("/inspections/<id:inspection_id>/results", methods=["POST"])
@login_required_api
@blp.arguments(ResultsIn)
@blp.response(200, ResultsOut)
def submit_results(data, inspection_id, caller):
    """Record the results, every check once; each failed check becomes a hazard in `reported`."""
    items = [ops.CheckResult(check=item["check"], ok=item["ok"], note=item["note"]) for item in data["items"]]
    inspection, hazards = ops.submit_results(db.session(), caller, inspection_id, items, db.now(), db.zone())
    return {"id": inspection.id, "state": inspection.state.value, "hazard_ids": [h.id for h in hazards]}


@blp.route("/risk-coverage")
@login_required_api
@blp.arguments(CoverageQuery, location="query")
@blp.response(200, InspectionCoverageOut)
def risk_coverage(query, caller):
    """Per enterprise and jurisdiction in scope: points by colour, inspections by state whose
    period meets the window (default: this month), red and orange points without a plan."""
    start, end = ops.month_so_far(db.today())
    answer = ops.coverage(db.session(), caller, query["from_"] or start, query["to"] or end)
    return {**answer, "from_": answer["from"], "enterprises": [row.as_dict() for row in answer["enterprises"]]}
