"""The suite's one clock. Every test reads the time from one place, the `clock` fixture:
the app (`app.config["CLOCK"]`), the jobs' Runtime, the `now` fixture and the factories.
It stands still at a fixed instant, so no test depends on the day the suite runs
(`test_lifecycle` once failed from 16:00 UTC on 31 December, when Shanghai's year had
turned and the machine's had not). A test moves it with `clock.set(...)`/`clock.advance(...)`
or starts elsewhere with `@pytest.mark.frozen_at("2027-01-01 00:30")` (read as the service
reads `--now`: without an offset, in Shanghai's time).

Tests where real time must pass — processes killed and restarted, leases that run out while
a subprocess holds them, servers in another process — say `@pytest.mark.wall_clock`: their
clock is the machine's, and everything they make is stamped with it, as those processes do."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hazard_ledger.clock import local_today, parse_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the service's configured zone (config default)
DEFAULT_INSTANT = "2026-06-15 10:00"  # a Monday morning in Shanghai, far from a year's or a quarter's end


class FrozenClock:
    """Answers the same instant until told otherwise."""

    frozen = True

    def __init__(self, instant: datetime):
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant

    def set(self, instant: datetime | str) -> None:
        self.instant = parse_instant(instant, SHANGHAI) if isinstance(instant, str) else instant.astimezone(timezone.utc)

    def advance(self, delta: timedelta | None = None, **parts) -> datetime:
        self.instant += delta or timedelta(**parts)
        return self.instant

    def today(self) -> date:
        """The service's day: Shanghai's, not the machine's."""
        return local_today(self(), SHANGHAI)


class WallClock(FrozenClock):
    """The machine's clock, for tests whose other processes read it too."""

    frozen = False

    def __init__(self):
        super().__init__(datetime.now(timezone.utc))

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc)

    def set(self, instant) -> None:
        raise TypeError("a wall_clock test cannot set the time; drop the marker to freeze it")

    advance = set


_current: FrozenClock | None = None


def current() -> FrozenClock:
    """The running test's clock, for helpers called without the fixture at hand; while
    tests are collected (parameters built at import), the suite's default instant."""
    return _current if _current is not None else frozen()


def install(clock: FrozenClock | None) -> None:
    global _current
    _current = clock


def frozen(text: str = DEFAULT_INSTANT) -> FrozenClock:
    return FrozenClock(parse_instant(text, SHANGHAI))


def service_now() -> datetime:
    """The running test's instant, for helpers that are not fixtures."""
    return current()()


def service_today() -> date:
    """The service's (Shanghai's) day by the running test's clock."""
    return current().today()
