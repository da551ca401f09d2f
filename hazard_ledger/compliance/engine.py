"""The compliance check: pure functions of a year's roster, trainings and drills.

Profiles:
- `union` (the campaign): every counted employee of a unionized enterprise attends at
  least one safety training in the year; a high-risk enterprise holds at least one drill
  in the year; a county-level or higher union holds at least one mass training class.
- `statutory`: training hours by job category (refresher hours: 12 h principals and
  safety managers, 16 h for them in high-risk sectors, 20 h high-risk front line, 8 h
  others — configurable); drills per 《生产安全事故应急预案管理办法》Art. 33: a
  comprehensive or special drill each year and an onsite drill each half-year; a
  high-risk enterprise some drill in each half-year.

An enterprise asked for training with no active employee on its roster is not
compliant ("no roster on file"): a roster of nobody proves nobody was trained.

Who is counted (both profiles): active employees on the roster who were employed during
the year; those who left during the year and those who joined on or after
`joined_late_from` (default 1 October: too late to be fairly required) are not counted
for that year. Days are calendar days in the configured time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

from hazard_ledger.organisations.levels import Level, county_or_higher


@dataclass(frozen=True)
class Person:
    number: str
    job_category: str
    active: bool = True
    joined_on: date | None = None
    left_on: date | None = None


@dataclass(frozen=True)
class Session:
    held_on: date
    hours: Decimal
    attendees: frozenset[str]


@dataclass(frozen=True)
class DrillHeld:
    held_on: date
    kind: str


@dataclass
class EnterpriseResult:
    employees: int
    trained: int
    untrained: list[str]
    training_compliant: bool
    drills_required: int
    drills_held: int
    drills_compliant: bool
    missing: list[str] = field(default_factory=list)
    # no active employee on the roster where the profile asks for training: nobody
    # untrained is then no evidence of training, so the enterprise is not compliant
    no_roster: bool = False

    @property
    def compliant(self) -> bool:
        return self.training_compliant and self.drills_compliant


def counted(people: Iterable[Person], year: int, joined_late_from: tuple[int, int]) -> list[Person]:
    late = date(year, *joined_late_from)
    return [p for p in people
            if p.active and (p.joined_on is None or p.joined_on < late)
            and (p.left_on is None or p.left_on > date(year, 12, 31))]


def required_hours(person: Person, high_risk: bool, hours: Mapping[str, int]) -> Decimal:
    if person.job_category in ("principal", "safety_manager"):
        return Decimal(hours["hours_high_risk_managers"] if high_risk else hours[f"hours_{person.job_category}"])
    if person.job_category == "high_risk_frontline":
        return Decimal(hours["hours_high_risk_frontline"])
    return Decimal(hours["hours_other"])


def check_enterprise(profile: str, year: int, *, unionized: bool, high_risk: bool, people: Iterable[Person],
                     trainings: Iterable[Session], drills: Iterable[DrillHeld], settings: Mapping) -> EnterpriseResult:
    joined_late = tuple(int(part) for part in str(settings["joined_late_from"]).split("-"))
    people = list(people)
    population = counted(people, year, joined_late)
    # the campaign asks training of unionized enterprises; the law of every one
    training_required = unionized or profile != "union"
    no_roster = training_required and not any(p.active for p in people)
    this_year = [t for t in trainings if t.held_on.year == year]
    if profile == "union":
        attended = {number for t in this_year for number in t.attendees}
        untrained = sorted(p.number for p in population if p.number not in attended) if unionized else []
    else:
        hours: dict[str, Decimal] = {}
        for training in this_year:
            for number in training.attendees:
                hours[number] = hours.get(number, Decimal("0")) + training.hours
        untrained = sorted(p.number for p in population
                           if hours.get(p.number, Decimal("0")) < required_hours(p, high_risk, settings))
    held = [d for d in drills if d.held_on.year == year]
    missing: list[str] = []
    if profile == "union":
        required = 1 if high_risk else 0
        if len(held) < required:
            missing.append("高危企业全年至少开展一次应急演练 / a high-risk enterprise holds a drill every year")
    else:
        halves = {1: [d for d in held if d.held_on.month <= 6], 2: [d for d in held if d.held_on.month > 6]}
        required = 3 + (2 if high_risk else 0)
        if not any(d.kind in ("comprehensive", "special") for d in held):
            missing.append("全年至少一次综合或专项应急预案演练 / a comprehensive or special drill every year")
        for half, label in ((1, "上半年"), (2, "下半年")):
            if not any(d.kind == "onsite" for d in halves[half]):
                missing.append(f"{label}至少一次现场处置方案演练 / an onsite drill in half-year {half}")
            if high_risk and not halves[half]:
                missing.append(f"高危单位{label}至少一次演练 / a high-risk unit drills in half-year {half}")
    return EnterpriseResult(
        employees=len(population), trained=len(population) - len(untrained), untrained=untrained,
        training_compliant=not untrained and not no_roster, drills_required=required, drills_held=len(held),
        drills_compliant=not missing, missing=missing, no_roster=no_roster,
    )


def class_required(level: Level) -> bool:
    """A county-level or higher union (县级以上) holds the class: by its level, never by
    where it sits in our tree."""
    return county_or_higher(level)
