"""The hazard state machine: one rulebook for every event, its guards and effects."""

from hazard_ledger.workflow.rulebook import RULEBOOK, RULES, TransitionContext, allowed_events, fire

__all__ = ["RULEBOOK", "RULES", "TransitionContext", "allowed_events", "fire"]
