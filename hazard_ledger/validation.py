"""Shared field rules. Row ids are 32-bit on every database we support: a larger number
is simply not an id (a 404 in a path, a 422 in a body), never an overflow."""

from datetime import date

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
# a telephone number as people write it: digits, +, - and spaces (the API, the forms and the claim)
PHONE = r"^[0-9+\- ]{5,32}$"


def Id(**kwargs) -> fields.Integer:  # noqa: N802 (a field factory, used like a field class)
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID, error="不是有效的编号 / not an id"),
                          **kwargs)


class IdConverter(IntegerConverter):
    """`<id:hazard_id>`: a positive 32-bit integer, or the route does not match (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def Day(**kwargs) -> fields.Date:  # noqa: N802
    """A calendar date a ledger can mean (1970 to 2999): arithmetic on it never overflows."""
    return fields.Date(validate=validate.Range(min=EARLIEST, max=LATEST, error="日期超出范围 / date out of range"),
                       **kwargs)


def non_negative_money(value) -> None:
    """A sum of money ≥ 0 and sane (a function, not Range: OpenAPI would print Decimal
    bounds as strings)."""
    if not 0 <= value <= 10**9:
        raise ValidationError("须为 0 至 10 亿之间的金额 / an amount between 0 and 1e9")


def DecimalString(**kwargs) -> fields.Decimal:  # noqa: N802
    """A sum the API sends (funds, an award's amount) as a decimal string, "1000.00":
    exact where a JSON number may not be, and documented as the string it is."""
    return fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal"}, **kwargs)
