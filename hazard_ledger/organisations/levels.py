"""The level of a union organisation in the administrative hierarchy: province, city,
county (or district), township (or street). Duties follow the level, never the depth
in our tree, which starts wherever the installation's root happens to be (a province
federation, a city one, a county one).

A level is chosen, in this order: given explicitly; read from a GB/T 2260 division
code (6 digits: xx0000 a province, xxxx00 a city, any other a county or district;
9 or 12 digits, the statistical division codes below a county: a township or street);
one level below the parent's; for a root without a code, a city (the federation the
service was made for)."""

from __future__ import annotations

import enum
import re


class Level(str, enum.Enum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


ORDER = tuple(Level)
WORDS = {Level.PROVINCE: "省级", Level.CITY: "市级", Level.COUNTY: "县级", Level.TOWNSHIP: "乡镇（街道）级"}
# GB/T 2260 province codes run from 11 (Beijing) to 82 (Macao)
DIVISION_CODE = re.compile(r"^(?:1[1-5]|[2-8][0-9])(?:[0-9]{4}|[0-9]{7}|[0-9]{10})$")


def level_from_code(code: str) -> Level | None:
    """The level a GB/T 2260 (or statistical division) code states, or None for another code."""
    if not DIVISION_CODE.match(code):
        return None
    if len(code) > 6:
        return Level.TOWNSHIP
    if code.endswith("0000"):
        return Level.PROVINCE
    return Level.CITY if code.endswith("00") else Level.COUNTY


def level_below(parent: Level) -> Level:
    """One level below `parent` (a township's sub-unions are township-level too)."""
    return ORDER[min(ORDER.index(parent) + 1, len(ORDER) - 1)]


def choose_level(code: str, given: Level | None, parent: Level | None) -> Level:
    return given or level_from_code(code) or (level_below(parent) if parent is not None else Level.CITY)


def above(level: Level, other: Level) -> bool:
    """Whether `level` is strictly higher than `other`."""
    return ORDER.index(level) < ORDER.index(other)


def county_or_higher(level: Level) -> bool:
    """县级以上: provinces, cities, counties and districts."""
    return not above(Level.COUNTY, level)
