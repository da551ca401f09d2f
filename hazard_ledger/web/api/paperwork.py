import tempfile

from flask import send_file
from marshmallow import Schema, fields, validate

from hazard_ledger.hazards.schemas import HazardQuery
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.paperwork.ledger_export import export_ledger
from hazard_ledger.paperwork.statistics import Period, compute_statistics, write_statistics_xlsx
from hazard_ledger.validation import Id
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.api.hazards import filters_from
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("paperwork", __name__, description="The ledger and its statistics as files")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportQuery(HazardQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


class StatisticsQuery(Schema):
    enterprise_id = Id(required=True)
    period = fields.String(required=True, metadata={"description": "2026Q3 or 2026"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


def _spooled():
    # the file is written row by row, then streamed; it never sits in memory whole
    return tempfile.TemporaryFile()


@blp.route("/hazards/export")
@login_required_api
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type=XLSX)
def export(query, caller):
    """The ledger in the standard 隐患排查治理台账 columns, with the same filters as the list."""
    fmt = query.pop("format")
    handle = _spooled()
    export_ledger(db.session(), caller, filters_from({**query, "limit": None, "cursor": None}), handle, f".{fmt}",
                  db.today(), db.zone())
    handle.seek(0)
    return send_file(handle, mimetype=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8", as_attachment=True,
                     download_name=f"hazard-ledger-{db.today().isoformat()}.{fmt}")


@blp.route("/statistics")
@login_required_api
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, content_type=XLSX)
def statistics(query, caller):
    """The statutory statistics of an enterprise for a quarter (2026Q3) or a year (2026)."""
    enterprise = visible_enterprise(db.session(), caller, query["enterprise_id"])
    stats = compute_statistics(db.session(), enterprise, Period.parse(query["period"]), db.zone())
    if query["format"] == "json":
        return stats.as_dict()
    handle = _spooled()
    write_statistics_xlsx(stats, handle)
    handle.seek(0)
    return send_file(handle, mimetype=XLSX, as_attachment=True,
                     download_name=f"statistics-{enterprise.code}-{stats.period}.xlsx")
