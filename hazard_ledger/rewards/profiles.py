"""Reward profiles: config/rewards/*.toml. A malformed file stops start-up with one line
naming the file and the key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from hazard_ledger.config_error import DEFAULTS_DIR, ConfigError

PROFILE_DIR = DEFAULTS_DIR / "rewards"
GRADES = ("general", "major")
ROLES = ("worker", "safety_officer", "inspector", "admin")


@dataclass(frozen=True)
class Amount:
    minimum: Decimal
    default: Decimal
    maximum: Decimal

    @property
    def adjustable(self) -> bool:
        return self.minimum != self.maximum


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    effective_from: date
    amounts: dict[str, Amount]
    excluded_roles: tuple[str, ...]
    monthly_cap: Decimal
    annual_budget: Decimal
    claim_days: int
    own_unit_bonus_percent: Decimal
    # consequence tiers a reviewer may choose instead of the default: {grade: {tier: amount}}
    tiers: dict[str, dict[str, Decimal]]
    # whether a hazard found by the enterprise's own planned inspection (a failed check,
    # source "inspection") earns its own staff an award: checking is their duty, not a tip-off
    inspection_findings_earn: bool = False


def _money(value, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(where, f"expected an amount of money ≥ 0, got {value!r}")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def parse_profile(path: Path) -> Profile:
    where = lambda key: f"{path.name}: {key}"  # noqa: E731
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path.name, f"not a readable TOML file: {error}") from None
    for key in ("name", "effective_from", "amounts", "rules"):
        if key not in data:
            raise ConfigError(where(key), "missing")
    if not isinstance(data["effective_from"], date):
        raise ConfigError(where("effective_from"), "expected a date such as 2026-01-01")
    amounts = {}
    for grade in GRADES:
        value = data["amounts"].get(grade)
        key = f"amounts.{grade}"
        if isinstance(value, dict):
            for part in ("min", "default", "max"):
                if part not in value:
                    raise ConfigError(where(f"{key}.{part}"), "missing")
            amount = Amount(_money(value["min"], where(f"{key}.min")), _money(value["default"], where(f"{key}.default")),
                            _money(value["max"], where(f"{key}.max")))
            if not amount.minimum <= amount.default <= amount.maximum:
                raise ConfigError(where(key), "expected min ≤ default ≤ max")
        elif value is None:
            raise ConfigError(where(key), "missing")
        else:
            fixed = _money(value, where(key))
            amount = Amount(fixed, fixed, fixed)
        amounts[grade] = amount
    rules = data["rules"]
    excluded = rules.get("excluded_roles", [])
    if not isinstance(excluded, list) or any(role not in ROLES for role in excluded):
        raise ConfigError(where("rules.excluded_roles"), f"expected a list of roles from {', '.join(ROLES)}")
    claim_days = rules.get("claim_days", 30)
    if isinstance(claim_days, bool) or not isinstance(claim_days, int) or claim_days < 1:
        raise ConfigError(where("rules.claim_days"), f"expected a whole number of days ≥ 1, got {claim_days!r}")
    findings_earn = rules.get("inspection_findings_earn", False)
    if not isinstance(findings_earn, bool):
        raise ConfigError(where("rules.inspection_findings_earn"), f"expected true or false, got {findings_earn!r}")
    tiers: dict[str, dict[str, Decimal]] = {}
    for grade, table in data.get("tiers", {}).items():
        if grade not in GRADES or not isinstance(table, dict) or not table:
            raise ConfigError(where(f"tiers.{grade}"), f"expected a table of tier = amount under a grade "
                                                        f"({', '.join(GRADES)})")
        tiers[grade] = {str(name): _money(amount, where(f"tiers.{grade}.{name}")) for name, amount in table.items()}
        band = amounts[grade]
        for name, amount in tiers[grade].items():
            if not band.minimum <= amount <= band.maximum:
                raise ConfigError(where(f"tiers.{grade}.{name}"), f"outside amounts.{grade} ({band.minimum}-{band.maximum})")
    return Profile(
        tiers=tiers,
        name=str(data["name"]), title=str(data.get("title", data["name"])), effective_from=data["effective_from"],
        amounts=amounts, excluded_roles=tuple(excluded),
        monthly_cap=_money(rules.get("monthly_cap", 0), where("rules.monthly_cap")),
        annual_budget=_money(rules.get("annual_budget", 0), where("rules.annual_budget")),
        claim_days=claim_days,
        own_unit_bonus_percent=_money(rules.get("own_unit_bonus_percent", 0), where("rules.own_unit_bonus_percent")),
        inspection_findings_earn=findings_earn,
    )


@lru_cache(maxsize=4)
def load_profiles(directory: Path = PROFILE_DIR) -> tuple[Profile, ...]:
    """Every profile, oldest first. Raises ConfigError for the first bad file."""
    profiles = tuple(sorted((parse_profile(path) for path in sorted(directory.glob("*.toml"))),
                            key=lambda p: p.effective_from))
    if not profiles:
        raise ConfigError(str(directory), "no reward profile (*.toml) found")
    return profiles


def profile_for(reported_on: date, profiles: tuple[Profile, ...] | None = None) -> Profile:
    """The profile in force on the day the hazard was reported."""
    profiles = profiles or load_profiles()
    in_force = [p for p in profiles if p.effective_from <= reported_on]
    return in_force[-1] if in_force else profiles[0]


def profile_named(name: str) -> Profile:
    return next(p for p in load_profiles() if p.name == name)
