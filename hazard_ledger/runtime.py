"""What a process outside Flask needs (CLI, scheduler, jobs): settings, the database,
the password hasher, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from hazard_ledger.clock import utcnow
from hazard_ledger.config import Settings, load_settings
from hazard_ledger.db import Database
from hazard_ledger.security import Passwords


@dataclass
class Runtime:
    settings: Settings
    database: Database
    passwords: Passwords
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Runtime":
        settings = settings or load_settings()
        hashing = settings["passwords"]
        return cls(
            settings=settings,
            database=Database.for_role(settings, "jobs"),
            passwords=Passwords(hashing["argon2_time_cost"], hashing["argon2_memory_kib"], hashing["argon2_parallelism"]),
        )
