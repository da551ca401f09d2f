from hazard_ledger.enums import Role
from hazard_ledger.organisations import operations as ops
from hazard_ledger.organisations.schemas import (
    EnterpriseDetail, EnterpriseIn, EnterpriseList, EnterpriseQuery, JurisdictionIn, JurisdictionList,
    JurisdictionOut, UserIn, UserOut,
)
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("organisations", __name__, description="Jurisdictions, enterprises and users")


@blp.route("/jurisdictions", methods=["POST"])
@login_required_api
@blp.arguments(JurisdictionIn)
@blp.response(201, JurisdictionOut)
def create_jurisdiction(data, caller):
    """Add a union organisation (admin)."""
    jurisdiction = ops.create_jurisdiction(db.session(), caller, now=db.now(), **data)
    return jurisdiction


@blp.route("/jurisdictions")
@login_required_api
@blp.response(200, JurisdictionList)
def list_jurisdictions(caller):
    """The union tree the caller may read: all for admins, their subtree for inspectors."""
    return {"items": ops.list_jurisdictions(db.session(), caller)}


@blp.route("/enterprises", methods=["POST"])
@login_required_api
@blp.arguments(EnterpriseIn)
@blp.response(201, EnterpriseDetail)
def create_enterprise(data, caller):
    """Add an enterprise (admin); it gets its public report token."""
    enterprise = ops.create_enterprise(db.session(), caller, now=db.now(), **data)
    return enterprise


@blp.route("/enterprises")
@login_required_api
@blp.arguments(EnterpriseQuery, location="query")
@blp.response(200, EnterpriseList)
def list_enterprises(query, caller):
    """Enterprises in the caller's scope, optionally by code."""
    return {"items": ops.list_enterprises(db.session(), caller, query["code"])}


@blp.route("/enterprises/<id:enterprise_id>")
@login_required_api
@blp.response(200, EnterpriseDetail)
def get_enterprise(enterprise_id, caller):
    """One enterprise, with its report token."""
    return ops.visible_enterprise(db.session(), caller, enterprise_id)


@blp.route("/users", methods=["POST"])
@login_required_api
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(data, caller):
    """Add a user (admin)."""
    user = ops.create_user(db.session(), caller, ops.NewUser(**{**data, "role": Role(data["role"])}),
                           db.passwords(), db.now())
    return user
