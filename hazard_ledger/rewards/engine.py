"""The reward engine: a pure, deterministic function from the facts of a report to an
amount and an explanation, one line per rule applied (Chinese, with English)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hazard_ledger.rewards.profiles import Profile

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Facts:
    grade: str                       # general | major
    reporter_role: str | None        # a user's role, or None for the public form
    own_unit: bool                   # the reporter works in the hazard's enterprise
    duplicate: bool                  # rejected as a duplicate of an earlier report
    month_so_far: Decimal            # the reporter's awards this calendar month (not rejected/lapsed)
    budget_used: Decimal             # the top jurisdiction's awards this calendar year (not rejected/lapsed)
    adjusted_amount: Decimal | None = None  # a reviewer's choice within the profile's range
    adjustment_reason: str | None = None
    tier: str | None = None  # a consequence tier of the profile, chosen by the reviewer


class AssessmentRefused(ValueError):
    """A reviewer's choice the profile does not allow; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass
class Assessment:
    amount: Decimal
    lines: list[tuple[str, str]] = field(default_factory=list)

    def explain(self, language: str = "zh") -> list[str]:
        return [zh if language == "zh" else en for zh, en in self.lines]


def assess(facts: Facts, profile: Profile, approving: bool = False) -> Assessment:
    """Apply `profile` to `facts`: at the proposal, and again at the approval with the
    reviewer's tier or adjusted amount, so every rule (bonus, cap, budget) applies to
    whatever amount is chosen. Raises AssessmentRefused (a ValueError) for a tier the
    profile does not have or an adjustment outside its range."""
    result = Assessment(Decimal("0.00"), [(f"适用奖励办法：{profile.title}（{profile.name}）",
                                           f"profile: {profile.name}")])
    if facts.reporter_role in profile.excluded_roles:
        result.lines.append((f"{_role_zh(facts.reporter_role)}本职范围内报告，不予奖励",
                             f"reports by a {facts.reporter_role} earn nothing"))
        return result
    if facts.duplicate:
        result.lines.append(("重复举报，仅奖励首位有效举报人", "a duplicate earns nothing: first valid reporter only"))
        return result
    band = profile.amounts[facts.grade]
    grade_zh = "重大隐患" if facts.grade == "major" else "一般隐患"
    amount = band.default
    result.lines.append((f"{grade_zh}奖励 {band.default} 元" + (f"（可在 {band.minimum}–{band.maximum} 元间调整）"
                                                            if band.adjustable else ""),
                         f"{facts.grade} hazard: {band.default} CNY"
                         + (f" (adjustable {band.minimum}-{band.maximum})" if band.adjustable else "")))
    if facts.tier is not None:
        tiers = profile.tiers.get(facts.grade, {})
        if facts.tier not in tiers:
            raise AssessmentRefused("tier", f"本办法无此分档 / the profile has no tier {facts.tier!r}; "
                                            f"one of {', '.join(tiers) or '(none)'}")
        amount = tiers[facts.tier]
        result.lines.append((f"按后果分档“{facts.tier}”：{amount} 元", f"consequence tier {facts.tier}: {amount}"))
    if facts.adjusted_amount is not None and facts.adjusted_amount != amount:
        if not band.minimum <= facts.adjusted_amount <= band.maximum:
            raise AssessmentRefused("amount", f"须在 {band.minimum}–{band.maximum} 元之间 / must be within "
                                              f"{band.minimum}-{band.maximum}")
        amount = facts.adjusted_amount.quantize(CENT)
        result.lines.append((f"审核调整为 {amount} 元：{facts.adjustment_reason or ''}",
                             f"adjusted by the reviewer to {amount}: {facts.adjustment_reason or ''}"))
    if facts.own_unit and profile.own_unit_bonus_percent:
        bonus = (amount * profile.own_unit_bonus_percent / 100).quantize(CENT, ROUND_HALF_UP)
        amount += bonus
        result.lines.append((f"举报本单位隐患，加奖 {profile.own_unit_bonus_percent}%（{bonus} 元）",
                             f"own unit bonus {profile.own_unit_bonus_percent}% ({bonus})"))
    if profile.monthly_cap:
        left = max(profile.monthly_cap - facts.month_so_far, Decimal("0.00"))
        if amount > left:
            amount = left
            result.lines.append((f"本月已获奖励 {facts.month_so_far} 元，月度上限 {profile.monthly_cap} 元，按剩余额度 {left} 元",
                                 f"monthly cap {profile.monthly_cap}: {facts.month_so_far} already, {left} left"))
    if profile.annual_budget:
        left = max(profile.annual_budget - facts.budget_used, Decimal("0.00"))
        if amount > left:
            amount = left
            result.lines.append((f"年度奖励预算 {profile.annual_budget} 元仅余 {left} 元",
                                 f"annual budget {profile.annual_budget}: {left} left"))
    result.amount = amount.quantize(CENT)
    result.lines.append((f"核定奖励 {result.amount} 元", f"approved: {result.amount} CNY") if approving else
                        (f"拟奖励 {result.amount} 元", f"proposed: {result.amount} CNY"))
    return result


def _role_zh(role: str | None) -> str:
    return {"safety_officer": "安全管理人员", "inspector": "监督检查员", "admin": "管理员"}.get(role or "", "")
