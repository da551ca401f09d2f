"""Domain errors. The web layer maps each to one status and error code of the
contract; the CLI prints its message as one line."""

from __future__ import annotations

from typing import Any, Mapping


class DomainError(Exception):
    code = "bad_request"
    status = 400

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else None

    @property
    def problem(self) -> str:
        """What a person reads next to the thing refused: a field's problem says more
        than the message's "field: problem"."""
        return next((problem for problems in (self.fields or {}).values() for problem in problems), self.message)


class ValidationFailed(DomainError):
    code, status = "validation_error", 422

    @classmethod
    def on(cls, field: str, problem: str) -> "ValidationFailed":
        return cls(f"{field}: {problem}", {field: [problem]})

    @classmethod
    def of(cls, problems: Mapping[str, list[str]]) -> "ValidationFailed":
        """Every problem found, by field; one alone is told as `on` tells it."""
        (field, found), *others = problems.items()
        if not others and len(found) == 1:
            return cls.on(field, found[0])
        return cls("输入有误 / invalid input", problems)


class NotFound(DomainError):
    code, status = "not_found", 404


class Forbidden(DomainError):
    code, status = "forbidden", 403


class Conflict(DomainError):
    code, status = "conflict", 409


class InvalidTransition(DomainError):
    code, status = "invalid_transition", 409


class TooLarge(DomainError):
    code, status = "too_large", 413


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages {"a": {"b": [..]}} as the contract's fields {"a.b": [..]}."""
    if isinstance(messages, (list, tuple)):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_messages(value, name))
    return flat
