from hazard_ledger import permissions
from hazard_ledger.errors import Forbidden
from hazard_ledger.notifications import delivery as ops
from hazard_ledger.notifications.schemas import DeliveryList, DeliveryQuery, WebhookIn, WebhookList, WebhookOut
from hazard_ledger.web import db
from hazard_ledger.web.api import Blueprint
from hazard_ledger.web.auth import login_required_api

blp = Blueprint("delivery", __name__, description="Webhooks and the delivery outbox (admins)")


def require_admin(caller) -> None:
    if not permissions.may_administer(caller):
        raise Forbidden("仅管理员可操作 / administrators only")


@blp.route("/webhooks", methods=["POST"])
@login_required_api
@blp.arguments(WebhookIn)
@blp.response(201, WebhookOut)
def add_webhook(data, caller):
    """Add a group robot or integration webhook to an enterprise or a jurisdiction."""
    require_admin(caller)
    hook = ops.add_webhook(db.session(), now=db.now(), allowed_hosts=db.settings()["delivery"]["allowed_hosts"], **data)
    return hook


@blp.route("/webhooks")
@login_required_api
@blp.response(200, WebhookList)
def list_webhooks(caller):
    """Every webhook."""
    require_admin(caller)
    return {"items": ops.list_webhooks(db.session())}


@blp.route("/webhooks/<id:webhook_id>", methods=["DELETE"])
@login_required_api
@blp.response(204)
def remove_webhook(webhook_id, caller):
    """Disable a webhook (kept for the record of its deliveries)."""
    require_admin(caller)
    ops.remove_webhook(db.session(), webhook_id)


@blp.route("/deliveries")
@login_required_api
@blp.arguments(DeliveryQuery, location="query")
@blp.response(200, DeliveryList)
def list_deliveries(query, caller):
    """The outbox, newest first; `status=failed` lists what needs an admin's eye."""
    require_admin(caller)
    return {"items": ops.list_deliveries(db.session(), query["status"])}
