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
    and safety officers for their own enterprise; workers: 403); `supervised_until` on an
    item under the union's supervision (督办), null otherwise."""
    today = db.today()
    enterprises, items = ops.overdue_audit(db.session(), caller, today)
    supervisions = ops.supervisions_of(db.session(), items)
    return {"as_of": today, "enterprises": enterprises,
            "items": [{**present_hazard(h, caller, today),
                       "supervised_until": supervisions[h.id].due_on if h.id in supervisions else None}
                      for h in items]}
