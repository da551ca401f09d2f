"""A storage for the `limits` library (and so Flask-Limiter) in the service's own
database, `database://`: every worker and every host counts in the same rows, with no
other server to run. One fixed window per key: a row of hits and when they expire."""

from __future__ import annotations

import time
from abc import abstractmethod

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hazard_ledger.db import Database
from hazard_ledger.throttle.models import RateLimitCounter

COUNTERS = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    """A subclass names its scheme and says which Database to count in and how a limiter
    key (which names a client address) is turned into what is stored: both are asked at
    each use, so one storage serves whichever app is handling the request."""

    STORAGE_SCHEME = None

    @abstractmethod
    def database(self) -> Database:
        raise NotImplementedError

    @abstractmethod
    def digest(self, key: str) -> str:
        raise NotImplementedError

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        database = self.database()
        dialect = postgresql if database.is_postgresql else sqlite
        expired = COUNTERS.c.expires_at <= now
        statement = (
            dialect.insert(COUNTERS).values(key=self.digest(key), hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(index_elements=[COUNTERS.c.key], set_={
                # one statement, so two processes hitting the same key both count
                "hits": case((expired, amount), else_=COUNTERS.c.hits + amount),
                "expires_at": case((expired, now + expiry), else_=COUNTERS.c.expires_at),
            })
            .returning(COUNTERS.c.hits)
        )
        with database.unit_of_work() as session:
            hits = session.execute(statement).scalar_one()
            if hits == amount:  # a window began: the moment to sweep away the windows that have ended
                session.execute(delete(COUNTERS).where(COUNTERS.c.expires_at < now))
        return hits

    def get(self, key: str) -> int:
        with self.database().unit_of_work(write=False) as session:
            hits = session.scalar(select(COUNTERS.c.hits).where(COUNTERS.c.key == self.digest(key),
                                                                COUNTERS.c.expires_at > time.time()))
        return hits or 0

    def get_expiry(self, key: str) -> float:
        with self.database().unit_of_work(write=False) as session:
            expires_at = session.scalar(select(COUNTERS.c.expires_at).where(COUNTERS.c.key == self.digest(key)))
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with self.database().unit_of_work(write=False) as session:
                session.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.database().unit_of_work() as session:
            return session.execute(delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self.database().unit_of_work() as session:
            session.execute(delete(COUNTERS).where(COUNTERS.c.key == self.digest(key)))
