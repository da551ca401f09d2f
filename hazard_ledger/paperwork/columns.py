"""The standard columns of the 隐患排查治理台账, and the Chinese words for states and grades."""

from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.tabular import Column

# widths for A4 landscape one page wide (about 60 %): long text wraps within its column
LEDGER_COLUMNS = [
    Column("序号", 5, "integer"),
    Column("隐患编号", 15),
    Column("报告时间", 16, "datetime"),
    Column("隐患地点", 12),
    Column("隐患描述", 22),
    Column("隐患类别", 8),
    Column("隐患等级", 6),
    Column("整改措施", 18),
    Column("整改责任单位", 10),
    Column("整改责任人", 8),
    Column("整改时限", 11, "date"),
    Column("安全防护措施", 14),
    Column("整改完成情况", 14),
    Column("完成时间", 11, "date"),
    Column("验收意见", 12),
    Column("销号时间", 16, "datetime"),
    Column("状态", 7),
    Column("是否逾期", 6),
    Column("逾期天数", 6, "integer"),
    # beyond the standard columns: the 五落实 items a major hazard also needs
    Column("治理资金（元）", 10, "number"),
    Column("应急预案", 14),
    # where the hazard came from: a report, an imported ledger, or a failed check of a planned inspection
    Column("来源", 7),
    # who accepted the rectification and closed the item (the close event's actor); last, so that
    # the standard columns keep their places for ledgers mapped by position
    Column("验收人", 8),
]
HEADERS = [column.header for column in LEDGER_COLUMNS]

STATE_WORDS = {
    HazardState.REPORTED: "待确认",
    HazardState.ASSIGNED: "整改中",
    HazardState.RECTIFIED: "待验收",
    HazardState.CLOSED: "已销号",
    HazardState.REJECTED: "已驳回",
}
GRADE_WORDS = {Grade.GENERAL: "一般", Grade.MAJOR: "重大"}
# hazards.schemas.source_of: where a hazard came from
SOURCE_WORDS = {"report": "隐患报告", "import": "台账导入", "inspection": "隐患排查"}


def state_from_word(word: str) -> HazardState:
    for state, chinese in STATE_WORDS.items():
        if word in (chinese, state.value):
            return state
    raise ValueError(f"未知状态 / unknown state {word!r}; one of {', '.join(STATE_WORDS.values())}")


def grade_from_word(word: str) -> Grade:
    for grade, chinese in GRADE_WORDS.items():
        if word in (chinese, grade.value, chinese + "隐患"):
            return grade
    raise ValueError(f"未知等级 / unknown grade {word!r}; 一般 or 重大")
