"""Grading a risk point (风险分级, DB37/T 2882): pure functions of the assessment and the
`[risk]` configuration, with no database and no Flask.

Two methods:
- LEC (作业条件危险性评价法): D = L × E × C, each factor taken from its standard table
  (likelihood L, exposure E, consequence C); a free number is not an assessment.
- the risk matrix (风险矩阵): R = L × S, likelihood and severity each 1–5.

The score gives the level and its colour (重大/红, 较大/橙, 一般/黄, 低/蓝) by the
configured thresholds, and the level gives the control tier (管控层级)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

METHODS = ("lec", "matrix")
LEVELS = ("major", "high", "general", "low")  # most serious first
COLOURS = {"major": "red", "high": "orange", "general": "yellow", "low": "blue"}
TIERS = ("company", "workshop", "team", "post")

# what each method takes, and what it must not be given
FACTORS = {"lec": ("l", "e", "c"), "matrix": ("l", "s")}
ALL_FACTORS = ("l", "e", "c", "s")


class GradingError(ValueError):
    """An assessment the tables do not allow; `problems` maps each bad factor to why."""

    def __init__(self, problems: Mapping[str, str]):
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class RiskRules:
    """The `[risk]` configuration, read once: factor tables, thresholds (red, orange,
    yellow: a score at or above a threshold has that colour) and the tier of each level."""

    tables: Mapping[str, tuple[Decimal, ...]]  # "lec.l", "lec.e", "lec.c", "matrix.l", "matrix.s"
    thresholds: Mapping[str, tuple[Decimal, Decimal, Decimal]]  # by method
    tiers: Mapping[str, str]  # by level

    def choices(self, method: str, factor: str) -> tuple[Decimal, ...]:
        return self.tables[f"{method}.{factor}"]


@dataclass(frozen=True)
class Assessment:
    method: str
    factors: Mapping[str, Decimal]
    score: Decimal
    level: str
    colour: str
    tier: str


def number(value: Any) -> Decimal:
    """A factor as an exact decimal: 0.5 the float and "0.5" the text are the same choice."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not result.is_finite():
        raise ValueError("not a number")
    return result.normalize() if result != 0 else Decimal(0)


def shown(value: Decimal) -> str:
    """0.50 → "0.5", 100 → "100": as the tables print it."""
    text = format(value.normalize(), "f")
    return text


def level_of(score: Decimal | float | int, method: str, rules: RiskRules) -> str:
    """The level of a score under the method's thresholds: at or above the red one is
    major, at or above orange high, at or above yellow general, else low."""
    red, orange, yellow = rules.thresholds[method]
    score = number(score)
    if score >= red:
        return "major"
    if score >= orange:
        return "high"
    if score >= yellow:
        return "general"
    return "low"


def assess(method: str, given: Mapping[str, Any], rules: RiskRules) -> Assessment:
    """Grade an assessment. Raises GradingError naming every factor that is missing, not
    in its table, or not used by the method."""
    if method not in METHODS:
        raise GradingError({"method": f"须为 lec 或 matrix / one of {', '.join(METHODS)}"})
    problems: dict[str, str] = {}
    factors: dict[str, Decimal] = {}
    for name in ALL_FACTORS:
        value = given.get(name)
        if name not in FACTORS[method]:
            if value is not None:
                problems[name] = f"{method} 方法不使用此项 / not used by the {method} method"
            continue
        if value is None:
            problems[name] = "必填 / required"
            continue
        allowed = rules.choices(method, name)
        try:
            chosen = number(value)
        except ValueError:
            chosen = None
        if chosen is None or chosen not in allowed:
            problems[name] = (f"须为取值表中的值 / must be one of {', '.join(shown(v) for v in allowed)}")
            continue
        factors[name] = chosen
    if problems:
        raise GradingError(problems)
    score = Decimal(1)
    for name in FACTORS[method]:
        score *= factors[name]
    level = level_of(score, method, rules)
    return Assessment(method=method, factors=factors, score=score, level=level, colour=COLOURS[level],
                      tier=rules.tiers[level])


# ---- the configuration ----------------------------------------------------------------

def rules_from(config: Mapping[str, Any]) -> RiskRules:
    """RiskRules from the `[risk]` table. Raises ValueError naming the key and the problem
    (the configuration turns it into a ConfigError at start-up)."""
    tables = {}
    for key in ("lec_l", "lec_e", "lec_c", "matrix_l", "matrix_s"):
        values = config.get(key)
        if not isinstance(values, list) or not values:
            raise ValueError(f"{key}: expected a list of positive numbers, got {values!r}")
        try:
            table = tuple(number(v) for v in values)
        except ValueError:
            raise ValueError(f"{key}: expected a list of positive numbers, got {values!r}") from None
        if any(v <= 0 for v in table) or len(set(table)) != len(table):
            raise ValueError(f"{key}: expected distinct positive numbers, got {values!r}")
        tables[key.replace("_", ".", 1)] = table
    thresholds = {}
    for method in METHODS:
        key = f"{method}_thresholds"
        values = config.get(key)
        try:
            triple = tuple(number(v) for v in values) if isinstance(values, list) else ()
        except ValueError:
            triple = ()
        if len(triple) != 3 or not triple[0] > triple[1] > triple[2] > 0:
            raise ValueError(f"{key}: expected [red, orange, yellow], positive and falling, got {values!r}")
        thresholds[method] = triple
    tiers = config.get("tiers")
    if not isinstance(tiers, Mapping) or set(tiers) != set(LEVELS) or not all(t in TIERS for t in tiers.values()):
        raise ValueError(f"tiers: expected a table of {', '.join(LEVELS)} = one of {', '.join(TIERS)}, got {tiers!r}")
    return RiskRules(tables=tables, thresholds=thresholds, tiers=dict(tiers))
