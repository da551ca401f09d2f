from hazard_ledger.hazards.operations import hazard_by_receipt
from hazard_ledger.rewards import operations as ops
from hazard_ledger.rewards.schemas import (
    ApproveIn, AwardList, AwardOut, AwardQuery, ClaimIn, ClaimOut, ExportQuery, PayIn, RejectIn, SummaryOut, YearQuery,
)
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api
from hazard_ledger.web.downloads import XLSX, send_written
from hazard_ledger.web.i18n import select_locale

blp = Blueprint("rewards", __name__, description="Rewards for real hazards")


def present(award, caller) -> dict:
    language = select_locale()
    return {
        "id": award.id, "hazard_id": award.hazard_id, "amount": award.amount, "status": award.status,
        "profile": award.profile, "explanation": [zh if language == "zh" else en for zh, en in award.explanation],
        "reporter": ops.reporter_of(award, caller), "month": award.month, "claim_deadline": award.claim_deadline,
        "paid_on": award.paid_on, "payment_reference": award.payment_reference,
        "rejected_reason": award.rejected_reason,
    }


@blp.route("/rewards")
@login_required_api
@blp.arguments(AwardQuery, location="query")
@blp.response(200, AwardList)
def list_rewards(query, caller):
    """Awards: workers see their own, inspectors their subtree, admins all."""
    return {"items": [present(a, caller) for a in ops.list_awards(db.session(), caller, query["year"], query["status"])]}


@blp.route("/rewards/<id:award_id>/approve", methods=["POST"])
@login_required_api
@blp.arguments(ApproveIn)
@blp.response(200, AwardOut)
def approve(data, award_id, caller):
    """Approve (optionally adjusting the amount within the profile's range, with a reason)."""
    award = ops.approve_award(db.session(), caller, award_id, db.now(), db.zone(), data["amount"], data["reason"],
                              data["tier"])
    return present(award, caller)


@blp.route("/rewards/<id:award_id>/pay", methods=["POST"])
@login_required_api
@blp.arguments(PayIn)
@blp.response(200, AwardOut)
def pay(data, award_id, caller):
    """Record the payment of an approved award."""
    award = ops.pay_award(db.session(), caller, award_id, data["paid_on"], data["reference"], db.now(), db.zone())
    return present(award, caller)


@blp.route("/rewards/<id:award_id>/reject", methods=["POST"])
@login_required_api
@blp.arguments(RejectIn)
@blp.response(200, AwardOut)
def reject(data, award_id, caller):
    """Reject an award, with a reason."""
    award = ops.reject_award(db.session(), caller, award_id, data["reason"], db.now())
    return present(award, caller)


@blp.route("/rewards/summary")
@login_required_api
@blp.arguments(YearQuery, location="query")
@blp.response(200, SummaryOut)
def summary(query, caller):
    """Approved and paid awards of a year by enterprise and month."""
    return {"items": ops.summary(db.session(), caller, query["year"])}


@blp.route("/rewards/export")
@login_required_api
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type=XLSX)
def export(query, caller):
    """Every approved and paid award of a year as .xlsx (or .csv), for the union's finance office."""
    fmt = f".{query['format']}"
    return send_written(lambda handle: ops.write_finance_export(db.session(), caller, query["year"], handle, fmt),
                        f"rewards-{query['year']}{fmt}")


@blp.route("/public/receipts/<receipt>/claim", methods=["POST"])
@blp.arguments(ClaimIn)
@blp.response(200, ClaimOut)
@blp.doc(security=[])
def claim(data, receipt):
    """An anonymous reporter claims the award with the receipt (details go to inspectors only)."""
    hazard = hazard_by_receipt(db.session(), receipt)
    award = ops.claim_award(db.session(), hazard, data["name"], data["phone"], data["payout_account"], db.now(),
                            db.zone())
    return {"amount": award.amount, "status": award.status, "claim_deadline": award.claim_deadline}
