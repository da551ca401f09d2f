"""Every model, imported once so the metadata is complete (migrations, tests)."""

from hazard_ledger.compliance.models import (
    ComplianceReport, Drill, Employee, Training, TrainingAttendance, TrainingClass,
)
from hazard_ledger.db import Base
from hazard_ledger.hazards.models import Attachment, Hazard, HazardCodeCounter, HazardEvent
from hazard_ledger.notifications.models import Delivery, Notification, Webhook
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.paperwork.models import StatisticsReport
from hazard_ledger.prevention.models import Inspection, InspectionPlan, InspectionPlanPoint, RiskPoint
from hazard_ledger.reliability.models import IdempotencyKey, JobRun, SchedulerLeadership
from hazard_ledger.rewards.models import Award
from hazard_ledger.throttle.models import LoginAttempt, RateLimitCounter
from hazard_ledger.union.models import (
    Campaign, Enrollment, Honour, InspectorScore, Notice, NoticeEvent, NoticeHazard, NoticeNumberCounter,
)

metadata = Base.metadata

__all__ = ["Attachment", "Award", "ComplianceReport", "Drill", "Employee", "Training", "TrainingAttendance",
           "TrainingClass", "Delivery", "Enterprise", "Hazard", "HazardCodeCounter", "HazardEvent", "IdempotencyKey",
           "Inspection", "InspectionPlan", "InspectionPlanPoint", "JobRun", "Jurisdiction", "LoginAttempt",
           "Notification", "RateLimitCounter", "RiskPoint", "SchedulerLeadership", "StatisticsReport", "User",
           "Webhook", "metadata",
           "Campaign", "Enrollment", "Honour", "InspectorScore", "Notice", "NoticeEvent", "NoticeHazard",
           "NoticeNumberCounter"]
