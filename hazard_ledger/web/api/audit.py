from hazard_ledger import access
from hazard_ledger.errors import Forbidden
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.schemas import OverdueAuditOut, present_hazard
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("audit", __name__, description="The inspectors' overdue audit")


@blp.route("/audit/overdue")
@login_required_api
@blp.response(200, OverdueAuditOut)
def overdue(caller):
    """Overdue hazards in the caller's scope, the most overdue first (inspectors, admins,
    and safety officers for their own enterprise; workers: 403)."""
    if not access.may_read_overdue(caller):
        raise Forbidden("逾期督办仅限监督检查员、管理员和本企业安全管理人员 / inspectors, admins and the "
                        "enterprise's safety officers only")
    today = db.today()
    enterprises, items = ops.overdue_audit(db.session(), caller, today)
    return {"as_of": today, "enterprises": enterprises,
            "items": [present_hazard(h, caller, today) for h in items]}
