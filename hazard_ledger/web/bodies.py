"""Reading what a request carries, in one place. Every JSON body (the API's webargs
parser and any `request.get_json`) goes through `loads`; every page form's text through
`unreadable_form_fields`. What no field could ever store is refused here, named, before
a view sees it: nothing deeper in the code has to guess at it."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

from flask import Request

from hazard_ledger.errors import DomainError, ValidationFailed

# No body of this API nests more than three levels; the limit leaves room and keeps
# every later walk of a body (marshmallow, error messages) far from the recursion limit.
MAX_DEPTH = 32
# The widest integer either database stores is 2^63 - 1 (19 digits). A longer one is
# out of range for every field; Python would refuse to read one of over 4300 digits.
MAX_DIGITS = 19

NUL = "不能包含 NUL 字符 / must not contain NUL characters"
SURROGATE = "含有无效的 Unicode 字符（孤立的代理项）/ contains an invalid Unicode character (a lone surrogate)"
OUT_OF_RANGE = "数值超出范围 / the number is out of range"
NOT_UTF8 = "含有无法识别的字符（不是 UTF-8）/ contains characters that are not valid UTF-8"

# the characters no text field stores: NUL (PostgreSQL cannot) and lone surrogates (no
# encoding can); in JSON they arrive only as \u escapes, since the body is strict UTF-8
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ESCAPED_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class TooDeep(ValueError):
    """JSON nested beyond MAX_DEPTH: not a body this API reads (400)."""

    def __init__(self) -> None:
        super().__init__(f"JSON 嵌套过深 / the JSON is nested more than {MAX_DEPTH} levels deep")


class _OutOfRange:
    """Stands in for an integer literal too long to be any field's value, so that the
    walk can name the field it was given for."""


def loads(data: bytes | str) -> Any:
    """A request body as JSON: strict UTF-8, at most MAX_DEPTH deep (TooDeep), and no
    field holding NUL, a lone surrogate or an integer beyond 19 digits (ValidationFailed,
    422 naming each such field). Other malformed JSON raises ValueError (400)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    oversized: list[str] = []

    def integer(digits: str) -> int | _OutOfRange:
        if len(digits.lstrip("-")) > MAX_DIGITS:
            oversized.append(digits)
            return _OutOfRange()
        return int(digits)

    try:
        value = json.loads(text, parse_int=integer)
    except RecursionError:
        raise TooDeep() from None
    # the walk costs a visit per value: only for a body that might hold what it looks for
    if oversized or text.count("[") + text.count("{") > MAX_DEPTH or _ESCAPED_UNSTORABLE.search(text):
        problems = _problems(value)
        if problems:
            raise ValidationFailed(f"{', '.join(problems)}: {'; '.join(next(iter(problems.values())))}", problems)
    return value


def _problems(value: Any) -> dict[str, list[str]]:
    """The fields ("a.b", "0.name"; "_body" for the body itself) that hold what no field
    stores. Iterative, so depth costs no stack; TooDeep past MAX_DEPTH."""
    problems: dict[str, list[str]] = {}
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    while pending:
        item, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooDeep()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                problems.setdefault(path or "_body", []).append(problem)
        elif isinstance(item, _OutOfRange):
            problems.setdefault(path or "_body", []).append(OUT_OF_RANGE)
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _text_problem(key)
                if problem:
                    problems.setdefault(path or "_body", []).append(problem)
                pending.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}.{index}" if path else str(index), depth + 1)
                           for index, child in enumerate(item))
    return problems


def _text_problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL if found.group() == "\x00" else SURROGATE


def unreadable_form_fields(form) -> dict[str, list[str]]:
    """A page form's fields holding NUL, or U+FFFD: werkzeug reads bytes that are not
    UTF-8 (a lone surrogate among them) as that replacement character, and a browser
    sends it for a surrogate too, so it is what unreadable input becomes."""
    problems: dict[str, list[str]] = {}
    for name, value in form.items(multi=True):
        if "\x00" in name or "\x00" in value:
            problems.setdefault(name, []).append(NUL)
        elif "\ufffd" in name or "\ufffd" in value:
            problems.setdefault(name, []).append(NOT_UTF8)
    return problems


_READER = SimpleNamespace(loads=loads, dumps=json.dumps)


class JsonBodyRequest(Request):
    """Flask's request, reading JSON with `loads` above."""

    @property
    def json_module(self) -> SimpleNamespace:
        return _READER

    @json_module.setter
    def json_module(self, _provider) -> None:
        """Flask hands each request the app's JSON provider; a body is read by `loads` alone."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not declared as JSON: Flask's 415
            return super().on_json_loading_failed(e)
        raise DomainError(str(e) if isinstance(e, TooDeep) else "请求体不是有效的 JSON / the body is not valid JSON")
