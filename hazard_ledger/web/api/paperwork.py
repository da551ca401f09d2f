from marshmallow import Schema, fields, validate

from hazard_ledger.hazards.schemas import HazardQuery
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.paperwork.ledger_export import export_ledger
from hazard_ledger.paperwork.statistics import Period, compute_statistics, write_statistics_xlsx
from hazard_ledger.validation import Id
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.hazards.schemas import filters_of
from hazard_ledger.web.auth import login_required_api
from hazard_ledger.web.downloads import XLSX, send_written

blp = Blueprint("paperwork", __name__, description="The ledger and its statistics as files")


class ExportQuery(HazardQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


class StatisticsQuery(Schema):
    enterprise_id = Id(required=True)
    period = fields.String(required=True, metadata={"description": "2026Q3 or 2026"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


@blp.route("/hazards/export")
@login_required_api
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type=XLSX)
def export(query, caller):
    """The ledger in the standard 隐患排查治理台账 columns, with the same filters as the list."""
    fmt = query.pop("format")
    filters = filters_of({**query, "limit": None, "cursor": None})
    return send_written(lambda handle: export_ledger(db.session(), caller, filters, handle, f".{fmt}", db.today(),
                                                     db.zone()),
                        f"hazard-ledger-{db.today().isoformat()}.{fmt}")


@blp.route("/statistics")
@login_required_api
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, content_type=XLSX)
def statistics(query, caller):
    """The statutory statistics of an enterprise for a quarter (2026Q3) or a year (2026)."""
    enterprise = visible_enterprise(db.session(), caller, query["enterprise_id"])
    stats = compute_statistics(db.session(), enterprise, Period.parse(query["period"]), db.zone(), db.today())
    if query["format"] == "json":
        return stats.as_dict()
    return send_written(lambda handle: write_statistics_xlsx(stats, handle),
                        f"statistics-{enterprise.code}-{stats.period}.xlsx")
