"""The words of the stored values in the page's language: a hazard's states, grades,
events and sources; an award's statuses; a roster's job categories, drill kinds and
compliance profiles.

Every page takes them from here (a context processor puts them in every template), so a
state reads the same on the ledger, the record, the audit and the union's documents, and
in English on an English page. The Excel ledger keeps its own Chinese words
(paperwork/columns.py): its columns are the form the regulations prescribe."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from hazard_ledger.hazards.schemas import source_of

STATE_WORDS = {"reported": _l("待确认"), "assigned": _l("整改中"), "rectified": _l("待验收"), "closed": _l("已销号"),
               "rejected": _l("已驳回")}
GRADE_WORDS = {"general": _l("一般"), "major": _l("重大")}
EVENT_WORDS = {"report": _l("上报"), "assign": _l("确认并制定整改方案"), "reject": _l("驳回"), "progress": _l("整改进展"),
               "extend": _l("延期"), "rectify": _l("整改完成"), "reopen": _l("验收不通过，退回整改"), "close": _l("验收销号"),
               "supervise": _l("督办"), "import": _l("从原台账导入"), "photo": _l("补充照片")}
# a photo's stage (hazards/attachments.py SIDES), as the pages group them
PHOTO_SIDE_WORDS = {"before": _l("整改前"), "during": _l("整改中"), "after": _l("整改后")}
REJECTION_WORDS = {"not_a_hazard": _l("经核实不是隐患"), "duplicate": _l("与已报告的隐患重复")}
SOURCE_WORDS = {"report": _l("隐患报告"), "import": _l("台账导入"), "inspection": _l("隐患排查")}
JOB_WORDS = {"principal": _l("主要负责人"), "safety_manager": _l("安全管理人员"), "high_risk_frontline": _l("高危岗位"),
             "other": _l("其他从业人员")}
DRILL_WORDS = {"comprehensive": _l("综合应急预案"), "special": _l("专项应急预案"), "onsite": _l("现场处置方案")}
AWARD_WORDS = {"proposed": _l("待审批"), "approved": _l("已批准"), "rejected": _l("未予奖励"), "paid": _l("已发放"),
               "lapsed": _l("逾期未领取")}
PROFILE_WORDS = {"union": _l("工会活动要求"), "statutory": _l("法定要求")}
YES_NO = {True: _l("是"), False: _l("否")}


def hazard_source(hazard) -> str:
    """A hazard's source in the page's language, for the ledger and the hazard's page."""
    return str(SOURCE_WORDS[source_of(hazard)])


def hazard_words() -> dict:
    """For every template (registered with app.context_processor), translated once a page
    rather than once a row: a lazy word looks its translation up each time it is shown,
    and a board or an audit shows hundreds."""
    return {"state_words": _translated(STATE_WORDS), "grade_words": _translated(GRADE_WORDS),
            "event_words": _translated(EVENT_WORDS), "rejection_words": _translated(REJECTION_WORDS),
            "hazard_source": hazard_source, "job_words": _translated(JOB_WORDS), "drill_words": _translated(DRILL_WORDS),
            "profile_words": _translated(PROFILE_WORDS), "yes_no": _translated(YES_NO),
            "award_words": _translated(AWARD_WORDS), "photo_side_words": _translated(PHOTO_SIDE_WORDS)}


def _translated(words: dict) -> dict:
    return {key: str(word) for key, word in words.items()}
