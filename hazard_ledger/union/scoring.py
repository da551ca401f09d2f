"""Campaign scoring sheets (config/campaigns/*.toml) and the engine that scores them.

A sheet is `name`, `title`, `line` (the points that pass: 安康杯 优胜单位) and `[[items]]`,
each `{key, title, max}` and either `auto = RULE` (with the rule's parameters) or no
`auto`: an item an inspector scores with a note. A malformed sheet stops start-up with
one line naming the file and the key, as a malformed reward profile does.

Every automatic item is a pure function of an enterprise's facts within the campaign's
dates (`Facts`, gathered by union/campaigns.py from the ledger, the compliance check and
the rewards), and answers its points with its evidence: the figures behind them.

Rules:
- `reports_per_100`: reports (not rejected) per 100 counted employees; full points at
  `full_at`, in proportion below it.
- `rectified_on_time`: of the hazards whose deadline fell within the dates (up to
  today), the share rectified by the deadline; full points when none fell due.
- `major_overdue`: full points less `per_item` (default: all of them) for each major
  hazard that passed its deadline within the dates unrectified.
- `training`: the share of counted employees trained, by the compliance `profile`
  (`union` or `statutory`).
- `drills`: drills held against those the compliance `profile` requires (capped; full
  points when none is required and none missing).
- `rewards_paid`: rewards paid within the dates; full points at `full_at`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from hazard_ledger.config_error import DEFAULTS_DIR, ConfigError

SHEET_DIR = DEFAULTS_DIR / "campaigns"
RULES = ("reports_per_100", "rectified_on_time", "major_overdue", "training", "drills", "rewards_paid")
PROFILES = ("union", "statutory")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    max: Decimal
    auto: str | None = None  # the rule, or None: an inspector's item
    full_at: Decimal | None = None
    per_item: Decimal | None = None
    profile: str = "union"


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    line: Decimal
    items: tuple[Item, ...]
    source: str = ""

    @property
    def total(self) -> Decimal:
        return sum((item.max for item in self.items), Decimal("0"))

    def item(self, key: str) -> Item | None:
        return next((item for item in self.items if item.key == key), None)


def _number(value: Any, where: str, positive: bool = True) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        raise ConfigError(where, f"expected a number {'> 0' if positive else '≥ 0'}, got {value!r}")
    return Decimal(str(value)).quantize(CENT)


def parse_sheet(path: Path) -> Sheet:
    where = lambda key: f"{path.name}: {key}"  # noqa: E731
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path.name, f"not a readable TOML file: {error}") from None
    for key in ("name", "line", "items"):
        if key not in data:
            raise ConfigError(where(key), "missing")
    if not isinstance(data["name"], str) or not KEY.match(data["name"].replace("-", "_")):
        raise ConfigError(where("name"), f"expected a short name of letters, digits and dashes, got {data['name']!r}")
    if not isinstance(data["items"], list) or not data["items"]:
        raise ConfigError(where("items"), "expected one or more [[items]]")
    items, seen = [], set()
    for index, raw in enumerate(data["items"]):
        at = f"items[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(where(at), "expected a table")
        key = raw.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            raise ConfigError(where(f"{at}.key"), f"expected lower-case letters, digits and _, got {key!r}")
        if key in seen:
            raise ConfigError(where(f"{at}.key"), f"{key!r} appears twice")
        seen.add(key)
        if not isinstance(raw.get("title"), str) or not raw["title"].strip():
            raise ConfigError(where(f"{at}.title"), "missing")
        if "max" not in raw:
            raise ConfigError(where(f"{at}.max"), "missing")
        maximum = _number(raw["max"], where(f"{at}.max"))
        auto = raw.get("auto")
        if auto is not None and auto not in RULES:
            raise ConfigError(where(f"{at}.auto"), f"unknown rule {auto!r}; one of {', '.join(RULES)}")
        full_at = per_item = None
        if auto in ("reports_per_100", "rewards_paid"):
            if "full_at" not in raw:
                raise ConfigError(where(f"{at}.full_at"), "missing")
            full_at = _number(raw["full_at"], where(f"{at}.full_at"))
        if auto == "major_overdue":
            per_item = _number(raw.get("per_item", raw["max"]), where(f"{at}.per_item"))
        profile = raw.get("profile", "union")
        if auto in ("training", "drills") and profile not in PROFILES:
            raise ConfigError(where(f"{at}.profile"), f"expected one of {', '.join(PROFILES)}, got {profile!r}")
        unknown = set(raw) - {"key", "title", "max", "auto", "full_at", "per_item", "profile"}
        if unknown:
            raise ConfigError(where(f"{at}.{sorted(unknown)[0]}"), "unknown setting")
        items.append(Item(key=key, title=raw["title"].strip(), max=maximum, auto=auto, full_at=full_at,
                          per_item=per_item, profile=profile))
    sheet = Sheet(name=data["name"], title=str(data.get("title", data["name"])),
                  line=_number(data["line"], where("line"), positive=False), items=tuple(items), source=path.name)
    if sheet.line > sheet.total:
        raise ConfigError(where("line"), f"{sheet.line} is more than the items' total {sheet.total}")
    return sheet


@lru_cache(maxsize=8)
def load_sheets(extra_dir: str = "") -> dict[str, Sheet]:
    """Every sheet by name: the packaged ones and those in `extra_dir`. Raises
    ConfigError for the first bad file, or a name given twice."""
    directories = [SHEET_DIR] + ([Path(extra_dir)] if extra_dir else [])
    sheets: dict[str, Sheet] = {}
    for directory in directories:
        if not directory.is_dir():
            raise ConfigError("campaigns.sheets_dir", f"no such directory: {directory}")
        for path in sorted(directory.glob("*.toml")):
            sheet = parse_sheet(path)
            if sheet.name in sheets:
                raise ConfigError(f"{path.name}: name", f"{sheet.name!r} is also the name of {sheets[sheet.name].source}")
            sheets[sheet.name] = sheet
    return sheets


def sheets_of(settings) -> dict[str, Sheet]:
    return load_sheets(str(settings["campaigns"]["sheets_dir"] or ""))


def check_union_settings(values: Mapping) -> None:
    """Start-up checks of the union's settings: `[notices]`, `[campaigns]` and every
    scoring sheet; raises ConfigError with one line naming the file or setting."""
    from hazard_ledger.union.operations import check_notice_settings

    check_notice_settings(values)
    campaigns = values.get("campaigns", {})
    sheets_dir = campaigns.get("sheets_dir", "")
    if not isinstance(sheets_dir, str):
        raise ConfigError("campaigns.sheets_dir", f"expected a directory path, got {sheets_dir!r}")
    sheets = load_sheets(sheets_dir)
    if campaigns.get("default_sheet") not in sheets:
        raise ConfigError("campaigns.default_sheet", f"no scoring sheet named {campaigns.get('default_sheet')!r}; "
                                                     f"one of {', '.join(sorted(sheets))}")


# ---- the engine ---------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What the ledger, the compliance check and the rewards say of one enterprise
    within a campaign's dates."""

    employees: int = 0  # counted for the year by the compliance rules
    reports: int = 0  # reported within the dates, not rejected
    due: int = 0  # hazards whose deadline fell within the dates, up to today
    on_time: int = 0  # of those, rectified by the deadline
    majors_overdue: tuple[str, ...] = ()  # codes of major hazards that passed their deadline unrectified
    trained: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # profile: (employees, trained)
    drills: Mapping[str, tuple[int, int, tuple[str, ...]]] = field(default_factory=dict)  # (required, held, missing)
    rewards_paid: int = 0
    rewards_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Scored:
    key: str
    title: str
    max: Decimal
    points: Decimal | None  # None: an inspector's item not scored yet
    auto: bool
    evidence: dict


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return min(Decimal("1"), part / whole) if whole else Decimal("0")


def _points(item: Item, share: Decimal) -> Decimal:
    return (item.max * share).quantize(CENT, rounding=ROUND_HALF_UP)


def score_item(item: Item, facts: Facts) -> Scored:
    """An automatic item's points and evidence."""
    rule = item.auto
    if rule == "reports_per_100":
        per_100 = (Decimal(facts.reports) * 100 / facts.employees).quantize(CENT) if facts.employees else Decimal("0")
        points = _points(item, _share(per_100, item.full_at))
        evidence = {"reports": facts.reports, "employees": facts.employees, "per_100": per_100,
                    "full_at": item.full_at}
    elif rule == "rectified_on_time":
        points = item.max if not facts.due else _points(item, Decimal(facts.on_time) / facts.due)
        evidence = {"due": facts.due, "on_time": facts.on_time}
    elif rule == "major_overdue":
        lost = item.per_item * len(facts.majors_overdue)
        points = max(Decimal("0"), item.max - lost).quantize(CENT)
        evidence = {"majors_overdue": len(facts.majors_overdue), "codes": list(facts.majors_overdue),
                    "per_item": item.per_item}
    elif rule == "training":
        employees, trained = facts.trained.get(item.profile, (0, 0))
        points = _points(item, _share(Decimal(trained), Decimal(employees)))
        evidence = {"profile": item.profile, "employees": employees, "trained": trained}
    elif rule == "drills":
        required, held, missing = facts.drills.get(item.profile, (0, 0, ()))
        if not missing:
            points = item.max
        else:
            points = _points(item, _share(Decimal(held), Decimal(max(required, held + len(missing)))))
        evidence = {"profile": item.profile, "required": required, "held": held, "missing": list(missing)}
    elif rule == "rewards_paid":
        points = _points(item, _share(Decimal(facts.rewards_paid), item.full_at))
        evidence = {"rewards_paid": facts.rewards_paid, "amount": facts.rewards_amount, "full_at": item.full_at}
    else:
        raise ValueError(f"not an automatic item: {item.key}")
    return Scored(item.key, item.title, item.max, points, True, evidence)


def score_sheet(sheet: Sheet, facts: Facts, inspector_scores: Mapping[str, tuple[Decimal, str | None]]
                ) -> tuple[list[Scored], Decimal, bool]:
    """Every item of the sheet for one enterprise, its total and whether it passes the line."""
    scored = []
    for item in sheet.items:
        if item.auto:
            scored.append(score_item(item, facts))
        else:
            points, note = inspector_scores.get(item.key, (None, None))
            scored.append(Scored(item.key, item.title, item.max, points, False, {"note": note}))
    total = sum((s.points for s in scored if s.points is not None), Decimal("0")).quantize(CENT)
    return scored, total, total >= sheet.line
