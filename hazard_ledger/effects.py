"""What else follows an event of a hazard's workflow, declared in one place.

The rulebook (workflow/rulebook.py) says who may fire an event and what it changes on
the hazard. What other domains do when it has fired — a message, an award, and next the
`reported` notification of the pages or an inspection's finding — is declared in
EFFECTS below, one line each, in the order they run. `transition` runs them in its own
transaction, after the history entry and before the flush, so a refused or rolled-back
event has no effect at all.

The ledger names none of these domains: `hazards` imports this module, and this module
imports the effects only when an event first needs them, so rewards and notifications
may read the ledger without a cycle (tests/test_import_graph.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from hazard_ledger.hazards.models import Hazard
    from hazard_ledger.organisations.models import User


@dataclass(frozen=True)
class Fired:
    """An event that has just fired: the hazard as it now stands, who fired it, and the
    event's fields as the rule read them (what its history entry records)."""

    session: Session
    event: str
    hazard: Hazard
    actor: User
    now: datetime
    zone: ZoneInfo
    fields: dict[str, Any] = field(default_factory=dict)


Effect = Callable[[Fired], object]


@cache
def _effects() -> dict[str, tuple[Effect, ...]]:
    from hazard_ledger.notifications.hazard_messages import announce_assignment, announce_supervision
    from hazard_ledger.rewards.operations import propose_award

    return {
        "assign": (
            announce_assignment,  # the responsible user's inbox (and e-mail), the enterprise's group webhooks
            lambda fired: propose_award(fired.session, fired.hazard, fired.now, fired.zone),  # a confirmed report earns
        ),
        "supervise": (announce_supervision,),  # 督办: the enterprise's safety officers and the responsible user
    }


def effects_of(event: str) -> tuple[Effect, ...]:
    return _effects().get(event, ())


def follow(fired: Fired) -> None:
    """Run the effects of `fired.event`, in their order, in the caller's transaction."""
    for effect in effects_of(fired.event):
        effect(fired)
