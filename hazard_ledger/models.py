"""Every model, imported once so the metadata is complete (migrations, tests)."""

from hazard_ledger.db import Base
from hazard_ledger.hazards.models import Attachment, Hazard, HazardCodeCounter, HazardEvent
from hazard_ledger.notifications.models import Delivery, Notification, Webhook
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.paperwork.models import StatisticsReport

metadata = Base.metadata

__all__ = ["Attachment", "Delivery", "Enterprise", "Hazard", "HazardCodeCounter", "HazardEvent", "Jurisdiction",
           "Notification", "StatisticsReport", "User", "Webhook", "metadata"]
