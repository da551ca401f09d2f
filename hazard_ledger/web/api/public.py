from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.schemas import (
    EnterpriseName,
    PublicReportIn,
    PublicReportOut,
    ReceiptStatus,
)
from hazard_ledger.rewards.operations import receipt_reward
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.limits import limit_public_reports

blp = Blueprint("public", __name__, description="Reporting without an account (the QR code)")


@blp.route("/public/enterprises/<report_token>")
@blp.response(200, EnterpriseName)
@blp.doc(security=[])
def enterprise_name(report_token):
    """The enterprise a report form belongs to."""
    return ops.enterprise_by_report_token(db.session(), report_token)


def public_report(data) -> ops.Report:
    anonymous = data["anonymous"]
    return ops.Report(
        location=data["location"], description=data["description"], category=data["category"], anonymous=anonymous,
        reporter_name=None if anonymous else data["name"], reporter_phone=None if anonymous else data["phone"],
    )


@blp.route("/public/enterprises/<report_token>/hazards", methods=["POST"])
@limit_public_reports
@db.one_statement
@blp.arguments(PublicReportIn)
@blp.response(201, PublicReportOut)
@blp.doc(security=[])
def report_publicly(data, report_token):
    """Report a hazard by name or anonymously; the receipt is shown only here, once."""
    hazard, receipt = ops.report_publicly(db.session(), report_token, public_report(data), db.now(), db.zone())
    return {"code": hazard.code, "receipt": receipt}


@blp.route("/public/receipts/<receipt>")
@blp.response(200, ReceiptStatus)
@blp.doc(security=[])
def receipt_status(receipt):
    """What became of a report, by its receipt."""
    hazard = ops.hazard_by_receipt(db.session(), receipt)
    return {"code": hazard.code, "state": hazard.state.value, "reported_at": hazard.reported_at,
            "closed_at": hazard.closed_at, "reward": receipt_reward(db.session(), hazard)}
