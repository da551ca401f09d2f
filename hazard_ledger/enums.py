"""Vocabularies shared by models, schemas and the rulebook."""

import enum

from sqlalchemy import Enum


class Role(str, enum.Enum):
    WORKER = "worker"
    SAFETY_OFFICER = "safety_officer"
    INSPECTOR = "inspector"
    ADMIN = "admin"


class HazardState(str, enum.Enum):
    REPORTED = "reported"
    ASSIGNED = "assigned"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    REJECTED = "rejected"


class Grade(str, enum.Enum):
    GENERAL = "general"
    MAJOR = "major"


class ReportChannel(str, enum.Enum):
    """How a hazard reached the ledger; decides reward eligibility and confidentiality."""

    LOGIN = "login"
    PUBLIC_FORM = "public_form"
    IMPORT = "import"


def enum_column(kind: type[enum.Enum], name: str, length: int | None = None) -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint, storing the values.
    `length`: room for values to come, where the column is wider than today's longest."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length or max(len(member.value) for member in kind),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
