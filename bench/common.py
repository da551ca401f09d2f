"""Helpers shared by the benchmarks: a PostgreSQL schema of one's own, timing, percentiles."""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import time
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("HAZARD_LEDGER_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any failure to connect means: no PostgreSQL to measure on
        return False


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema for one benchmark; yields a URL whose search_path selects it."""
    schema = f"hl_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def describe(samples: list[float]) -> str:
    return (f"p50 {percentile(samples, .5) * 1000:.2f} ms, p95 {percentile(samples, .95) * 1000:.2f} ms, "
            f"p99 {percentile(samples, .99) * 1000:.2f} ms, mean {statistics.fmean(samples) * 1000:.2f} ms")


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result
