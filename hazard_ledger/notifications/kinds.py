"""Every kind of notification, its e-mail and webhook subject, and which kinds a group
webhook hears unless told otherwise; the kinds of webhook and the states of a delivery. One
place: a new kind is a member here (and, for its column's CHECK, a migration)."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """What a notification is about (Notification.kind, Delivery.kind)."""

    ASSIGNED = "assigned"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    STALE_PROGRESS = "stale_progress"
    UNTRIAGED = "untriaged"
    TRAINING_DUE = "training_due"
    DRILL_DUE = "drill_due"
    REWARD = "reward"
    STATISTICS_DUE = "statistics_due"
    INSPECTION_MISSED = "inspection_missed"
    # the union's formal notices (hazard_ledger/union)
    NOTICE_ISSUED = "notice_issued"
    NOTICE_REPLIED = "notice_replied"
    NOTICE_DUE = "notice_due"
    NOTICE_OVERDUE = "notice_overdue"
    # the pages: a new report, an inspector's 督办, a reminder pressed on the ledger
    REPORTED = "reported"
    SUPERVISED = "supervised"
    NUDGED = "nudged"


KINDS = frozenset(Kind)  # `"assigned" in KINDS`: a member compares equal to its value

SUBJECTS: dict[Kind, str] = {
    Kind.ASSIGNED: "隐患整改任务", Kind.DUE_SOON: "整改即将到期", Kind.OVERDUE: "整改逾期", Kind.ESCALATION: "逾期督办",
    Kind.STALE_PROGRESS: "整改情况未更新", Kind.UNTRIAGED: "隐患待处理", Kind.TRAINING_DUE: "安全培训提醒",
    Kind.DRILL_DUE: "应急演练提醒", Kind.REWARD: "隐患举报奖励", Kind.STATISTICS_DUE: "统计报送提醒",
    Kind.INSPECTION_MISSED: "隐患排查未完成",
    Kind.NOTICE_ISSUED: "工会监督文书", Kind.NOTICE_REPLIED: "文书已回复", Kind.NOTICE_DUE: "文书即将到期",
    Kind.NOTICE_OVERDUE: "文书逾期未复",
    Kind.REPORTED: "新的隐患报告", Kind.SUPERVISED: "隐患督办", Kind.NUDGED: "整改催办",
}

# what a webhook of an enterprise, or of a jurisdiction, hears unless told otherwise
ENTERPRISE_HEARS = (Kind.ASSIGNED, Kind.DUE_SOON, Kind.OVERDUE, Kind.STALE_PROGRESS, Kind.UNTRIAGED)
JURISDICTION_HEARS = (Kind.ESCALATION, Kind.UNTRIAGED)


def subject(kind: str) -> str:
    """The subject line of an e-mail or a webhook message of `kind`."""
    return f"【{SUBJECTS.get(kind, kind)}】"


class WebhookKind(enum.StrEnum):
    """The dialect a webhook speaks (notifications/channels.py)."""

    GENERIC = "generic"
    DINGTALK = "dingtalk"
    WECOM = "wecom"


class DeliveryStatus(enum.StrEnum):
    """pending -> sending (claimed, with a lease) -> sent, or pending again (a retry), or failed."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

