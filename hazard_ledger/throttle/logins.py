"""Failed logins, counted in the database so that every worker, host and login path
(the page and the API) shares one count.

Three limits, each a number of failures in a sliding window:
- per account from one address: the guesser is refused, while the same account from
  another address, or once the window has moved on, still signs in;
- per address over all accounts: guessing many usernames from one place;
- per account over all addresses: guessing from many places. Beyond it only addresses
  the account signed in from recently may try: the real user's usual address keeps
  working while a botnet's new ones are refused.

An attempt is written (and committed by the caller) before its password is checked, and
the limits then count every committed attempt, this one included: of many attempts at
once, no more than a limit's number reach the password check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItem, parse
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from hazard_ledger.throttle.models import LoginAttempt


@dataclass(frozen=True)
class LoginLimits:
    per_account_address: RateLimitItem
    per_address: RateLimitItem
    per_account: RateLimitItem
    known_address_days: int

    @classmethod
    def from_settings(cls, limits) -> "LoginLimits":
        return cls(parse(limits["failed_login"]), parse(limits["failed_login_per_address"]),
                   parse(limits["failed_login_per_account"]), limits["known_address_days"])

    @property
    def longest_window(self) -> timedelta:
        return timedelta(seconds=max(limit.get_expiry() for limit in
                                     (self.per_account_address, self.per_address, self.per_account)))


def begin_attempt(session: Session, limits: LoginLimits, account: str, address: str, now: datetime) -> LoginAttempt:
    """Write the attempt as a failure (until `attempt_succeeded` says otherwise). The
    caller commits it, then calls `refusal`."""
    session.execute(delete(LoginAttempt).where(or_(
        and_(LoginAttempt.succeeded.is_(False), LoginAttempt.at < now - limits.longest_window),
        LoginAttempt.at < now - timedelta(days=limits.known_address_days),
    )))
    attempt = LoginAttempt(account=account, address=address, at=now, succeeded=False)
    session.add(attempt)
    session.flush()
    return attempt


def refusal(session: Session, limits: LoginLimits, attempt: LoginAttempt, now: datetime) -> int | None:
    """None when the attempt is within every limit. Over one: the attempt is refused
    without a look at its password, and taken back (a refused attempt does not count:
    the guesser gets the limit's number of guesses per window, no fewer); the answer is
    the seconds to wait before trying again."""
    failures = [LoginAttempt.succeeded.is_(False)]
    scopes = [(limits.per_account_address, [LoginAttempt.account == attempt.account,
                                            LoginAttempt.address == attempt.address]),
              (limits.per_address, [LoginAttempt.address == attempt.address])]
    if not _known_address(session, attempt, now - timedelta(days=limits.known_address_days)):
        scopes.append((limits.per_account, [LoginAttempt.account == attempt.account]))
    waits = [_wait(session, limit, failures + scope, attempt, now) for limit, scope in scopes]
    if all(wait is None for wait in waits):
        return None
    session.delete(attempt)
    session.flush()
    return max(wait for wait in waits if wait is not None)


def attempt_succeeded(session: Session, attempt: LoginAttempt) -> None:
    """The password was right: the account's failures from this address are forgiven, and
    the address is remembered as one the account signs in from."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.account == attempt.account,
                                               LoginAttempt.address == attempt.address,
                                               LoginAttempt.id != attempt.id))
    attempt.succeeded = True
    session.flush()


def _known_address(session: Session, attempt: LoginAttempt, since: datetime) -> bool:
    return bool(session.scalar(select(exists().where(
        LoginAttempt.account == attempt.account, LoginAttempt.address == attempt.address,
        LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since))))


def _wait(session: Session, limit: RateLimitItem, scope: list[ColumnElement[bool]], attempt: LoginAttempt,
          now: datetime) -> int | None:
    """None when the attempt is within `limit`; otherwise the seconds until enough of
    the earlier failures have left the window for it to be."""
    window = timedelta(seconds=limit.get_expiry())
    in_window = [*scope, LoginAttempt.at > now - window]
    if session.scalar(select(func.count()).select_from(LoginAttempt).where(*in_window)) <= limit.amount:
        return None
    # the limit's number of earlier failures fill the window until the oldest of them leaves it
    oldest_of_last = session.scalar(select(LoginAttempt.at).where(*in_window, LoginAttempt.id != attempt.id)
                                    .order_by(LoginAttempt.at.desc()).offset(limit.amount - 1).limit(1))
    return max(1, math.ceil((oldest_of_last + window - now).total_seconds())) if oldest_of_last else 1
