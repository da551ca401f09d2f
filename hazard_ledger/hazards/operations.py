"""The ledger's operations, gathered so that callers write `ops.transition(...)`: one module a
job, each taking a Session, flushing, never committing.

- reporting: a report from a user, the QR form or a failed planned check (one statement on PostgreSQL)
- queries: one hazard as its viewer may see it, the filters, keyset pages and cursors
- transitions: the rulebook fired, the history chained, the declared effects followed
- attachments: photos stored re-encoded, read by who may see the hazard
- audit: the union's overdue audit, the most overdue first

(writes.py holds the one-statement INSERT machinery that reporting and transitions share.)"""

from __future__ import annotations

from hazard_ledger.hazards.reporting import (  # noqa: F401
    next_hazard_code, Report, Finding, report_as_user, report_finding, report_publicly,
    enterprise_by_report_token, hazard_by_receipt,
)
from hazard_ledger.hazards.queries import (  # noqa: F401
    reported_by, visible_hazard, HazardFilters, filtered_query, encode_cursor, decode_cursor, list_hazards,
    visible_hazard_by_code, codes_like, responsible_candidates,
)
from hazard_ledger.hazards.transitions import (  # noqa: F401
    transition,
)
from hazard_ledger.hazards.attachments import (  # noqa: F401
    Uploads, StoredPhoto, PHOTO_EVENTS, SIDES, store_photo, add_attachment, visible_attachment, attachment_path,
    thumbnail_path, attachments_of, by_side, first_photos, verify_photos,
)
from hazard_ledger.hazards.audit import (  # noqa: F401
    AGES, EnterpriseOverdue, Supervision, overdue_ages, overdue_audit, places_of, supervisions_of,
)

__all__ = ["AGES", "EnterpriseOverdue", "Finding", "HazardFilters", "PHOTO_EVENTS", "Report", "SIDES", "StoredPhoto", "Supervision",
           "Uploads", "add_attachment", "attachment_path", "attachments_of", "by_side", "codes_like", "decode_cursor",
           "encode_cursor", "enterprise_by_report_token", "filtered_query", "first_photos", "hazard_by_receipt",
           "list_hazards", "next_hazard_code", "overdue_ages", "overdue_audit", "places_of", "reported_by", "report_as_user",
           "report_finding", "report_publicly", "responsible_candidates", "store_photo", "supervisions_of",
           "thumbnail_path", "transition", "verify_photos", "visible_attachment", "visible_hazard",
           "visible_hazard_by_code"]
