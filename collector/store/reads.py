"""What the dashboard reads: sums of aggregates for a period, and the raw rows only for comments and exports."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Engine, func, select

from skm import CODES

from .. import schema as t
from .engine import rows

INDEX_COLUMNS = ("responses", *(f"{c}_sum" for c in CODES), *t.SCORE_COLUMNS)  # what the index needs


SUM_COLUMNS = (*INDEX_COLUMNS, *t.PROFILE_COLUMNS.values())


def aggregate_totals(engine: Engine, units: Iterable[str], start: date, end: date, *, suspect: bool = False,
                     group_by: tuple[str, ...] = (), columns: tuple[str, ...] = SUM_COLUMNS,
                     **filters: str) -> list[dict]:
    """Sums of the daily aggregates of ``units`` for days in [start, end), grouped by key columns.

    ``suspect`` False counts the trusted responses (the index), True the suspect ones. ``filters`` narrow
    by service, counter or channel.
    """
    table = t.daily_aggregates
    keys = [table.c[g] for g in group_by]
    stmt = (select(*keys, *[func.coalesce(func.sum(table.c[c]), 0).label(c) for c in columns])
            .where(table.c.unit.in_(list(units)), table.c.day >= start, table.c.day < end,
                   table.c.suspect == suspect))
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(table.c[column] == value)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    with engine.connect() as conn:
        return [r for r in rows(conn.execute(stmt)) if r["responses"]]


def monthly_totals(engine: Engine, units: Iterable[str], first_month: date, end: date) -> list[dict]:
    """The trusted index columns per month (first day) for months starting in [first_month, end)."""
    table = t.monthly_aggregates
    stmt = (select(table.c.month, *[func.sum(table.c[c]).label(c) for c in INDEX_COLUMNS])
            .where(table.c.unit.in_(list(units)), table.c.month >= first_month, table.c.month < end,
                   table.c.suspect.is_(False)).group_by(table.c.month).order_by(table.c.month))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def hourly_totals(engine: Engine, units: Iterable[str], start: date, end: date) -> list[dict]:
    table = t.hourly_aggregates
    stmt = (select(table.c.day, table.c.hour, func.sum(table.c.responses).label("responses"),
                   func.sum(table.c.score_sum).label("score_sum"))
            .where(table.c.unit.in_(list(units)), table.c.day >= start, table.c.day < end, table.c.suspect.is_(False))
            .group_by(table.c.day, table.c.hour))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def comments(engine: Engine, units: Iterable[str], start: date, end: date, limit: int = 100) -> list[dict]:
    """The newest comments of a period (a bounded read of raw responses, by the unit/day index).

    Newest local day first: the unit/day index yields the days in that order, so only the last days' rows
    are read and sorted, not the whole period's.
    """
    r = t.responses
    stmt = (select(r.c.submitted_at, r.c.service, r.c.counter, r.c.channel, r.c.comment, r.c.suspect)
            .where(r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end,
                   r.c.comment.is_not(None), r.c.comment != "")
            .order_by(r.c.local_day.desc(), r.c.submitted_at.desc()).limit(limit))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def raw_responses(engine: Engine, units: Iterable[str], start: date, end: date) -> Iterable[dict]:
    """Every response of a period in submission order, streamed (for exports)."""
    r = t.responses
    stmt = (select(*[c for c in r.c if c.name not in ("content_hash", "batch_id")])
            .where(r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end)
            .order_by(r.c.submitted_at, r.c.id))
    with engine.connect() as conn:
        for part in conn.execute(stmt.execution_options(yield_per=2000)).partitions():
            for row in part:
                yield dict(row._mapping)
