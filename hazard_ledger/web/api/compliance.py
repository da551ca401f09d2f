from hazard_ledger.compliance import operations as ops
from hazard_ledger.compliance.schemas import (
    ComplianceOut, ComplianceQuery, Created, DrillIn, EmployeeIn, EmployeeList, ReportsOut, ReportsQuery,
    TrainingClassIn, TrainingIn,
)
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("compliance", __name__, description="Training and drill duties")


@blp.route("/enterprises/<id:enterprise_id>/employees", methods=["PUT"])
@login_required_api
@blp.arguments(EmployeeIn(many=True))
@blp.response(200, EmployeeList)
def put_employees(rows, enterprise_id, caller):
    """Insert or update roster lines by employee number."""
    ops.upsert_employees(db.session(), caller, enterprise_id, rows)
    return {"items": ops.list_employees(db.session(), caller, enterprise_id)}


@blp.route("/enterprises/<id:enterprise_id>/employees")
@login_required_api
@blp.response(200, EmployeeList)
def get_employees(enterprise_id, caller):
    """The enterprise's roster."""
    return {"items": ops.list_employees(db.session(), caller, enterprise_id)}


@blp.route("/trainings", methods=["POST"])
@login_required_api
@blp.arguments(TrainingIn)
@blp.response(201, Created)
def post_training(data, caller):
    """A safety training with its attendees (employee numbers) and hours."""
    training = ops.record_training(db.session(), caller, now=db.now(), zone=db.zone(), **data)
    return training


@blp.route("/drills", methods=["POST"])
@login_required_api
@blp.arguments(DrillIn)
@blp.response(201, Created)
def post_drill(data, caller):
    """An emergency drill: comprehensive, special or onsite."""
    drill = ops.record_drill(db.session(), caller, now=db.now(), zone=db.zone(), **data)
    return drill


@blp.route("/training-classes", methods=["POST"])
@login_required_api
@blp.arguments(TrainingClassIn)
@blp.response(201, Created)
def post_class(data, caller):
    """A union's mass safety-training class."""
    item = ops.record_class(db.session(), caller, now=db.now(), zone=db.zone(), **data)
    return item


@blp.route("/compliance")
@login_required_api
@blp.arguments(ComplianceQuery, location="query")
@blp.response(200, ComplianceOut)
def compliance(query, caller):
    """Who met the year's training and drill duties, with the coverage of each jurisdiction."""
    config = db.settings()["compliance"]
    return ops.check(db.session(), caller, query["year"], query["profile"] or config["profile"], config,
                     query["enterprise_id"])


@blp.route("/compliance/reports")
@login_required_api
@blp.arguments(ReportsQuery, location="query")
@blp.response(200, ReportsOut)
def reports(query, caller):
    """The stored year-end reports (made by the `compliance` job on 1 January)."""
    return {"items": [{"jurisdiction_id": r.jurisdiction_id, "year": r.year, "profile": r.profile, **r.data}
                      for r in ops.stored_reports(db.session(), caller, query["year"])]}
