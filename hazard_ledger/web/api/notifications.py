from hazard_ledger.notifications import operations as ops
from hazard_ledger.notifications.schemas import Inbox, InboxQuery, NotificationOut, ReadAll
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("notifications", __name__, description="The caller's inbox")


@blp.route("/notifications")
@login_required_api
@blp.arguments(InboxQuery, location="query")
@blp.response(200, Inbox)
def inbox(query, caller):
    """The caller's notifications, newest first."""
    return {"items": ops.inbox(db.session(), caller, unread_only=query["unread"])}


@blp.route("/notifications/<id:notification_id>/read", methods=["POST"])
@login_required_api
@blp.response(200, NotificationOut)
def mark_read(notification_id, caller):
    """Mark one notification read."""
    notification = ops.mark_read(db.session(), caller, notification_id, db.now())
    return notification


@blp.route("/notifications/read-all", methods=["POST"])
@login_required_api
@blp.response(200, ReadAll)
def mark_all_read(caller):
    """Mark every unread notification of the caller read; answers how many were unread."""
    return {"read": ops.mark_all_read(db.session(), caller, db.now())}
