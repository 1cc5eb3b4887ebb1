"""What the dashboard reads: sums of aggregates for a period, and the raw rows only for comments and exports."""
from __future__ import annotations

from datetime import date
from functools import cache
from typing import Iterable

from sqlalchemy import Engine, Select, bindparam, case, extract, func, literal_column, select

from skm import CODES

from .. import schema as t
from .engine import reading, rows

INDEX_COLUMNS = ("responses", *(f"{c}_sum" for c in CODES), *t.SCORE_COLUMNS)  # what the index needs


SUM_COLUMNS = (*INDEX_COLUMNS, *t.PROFILE_COLUMNS.values())


def aggregate_totals(engine: Engine, units: Iterable[str], start: date, end: date, *, suspect: bool | None = False,
                     group_by: tuple[str, ...] = (), columns: tuple[str, ...] = SUM_COLUMNS,
                     leave_out: tuple[str, ...] = (), **filters: str) -> list[dict]:
    """Sums of the daily aggregates of ``units`` for days in [start, end), grouped by key columns.

    ``suspect`` False counts the trusted responses (the index), True the suspect ones, None both.
    ``filters`` narrow by service, counter or channel; ``leave_out`` names channels not counted.
    """
    filters = {f"filter_{column}": value for column, value in filters.items() if value is not None}
    stmt = _totals_statement(tuple(group_by), tuple(columns), suspect, tuple(leave_out), tuple(filters))
    with reading(engine) as conn:
        return [r for r in rows(conn.execute(stmt, {"units": list(units), "start": start, "end": end, **filters}))
                if r["responses"]]


@cache
def _totals_statement(group_by: tuple[str, ...], columns: tuple[str, ...], suspect: bool | None,
                      leave_out: tuple[str, ...], filters: tuple[str, ...]) -> Select:
    """The statement of ``aggregate_totals``, built once per shape (building its dozens of sums cost more
    CPU than running it, on every ingest's alert check): parameters ``units`` (expanding), ``start``,
    ``end`` and ``filter_<column>`` for each of ``filters``."""
    table = t.daily_aggregates
    keys = [table.c[g] for g in group_by]
    stmt = (select(*keys, *[func.coalesce(func.sum(table.c[c]), 0).label(c) for c in columns])
            .where(table.c.unit.in_(bindparam("units", expanding=True)), table.c.day >= bindparam("start"),
                   table.c.day < bindparam("end")))
    if suspect is not None:
        stmt = stmt.where(table.c.suspect == suspect)
    if leave_out:
        stmt = stmt.where(table.c.channel.not_in(leave_out))
    for name in filters:
        stmt = stmt.where(table.c[name.removeprefix("filter_")] == bindparam(name))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return stmt


GROUP_KEYS = ("unit", "service", "counter", "channel")  # what grouped_totals may group by (besides suspect)


COUNT_COLUMNS = tuple(f"{c}_count" for c in CODES)  # how many answered each unsur: its four score counts added
LEAN_COLUMNS = ("responses", *(f"{c}_sum" for c in CODES), *COUNT_COLUMNS, *t.PROFILE_COLUMNS.values())


def _sums(table, lean: bool) -> list:
    """Every aggregate column of ``table`` (daily or monthly) summed or, ``lean``, what the index and the
    profile need: each unsur's answer count summed as one expression instead of four score columns (a third
    fewer sums per row)."""
    if not lean:
        return [func.sum(table.c[c]).label(c) for c in SUM_COLUMNS]
    counts = [func.sum(sum((table.c[f"{code}_{s}"] for s in (2, 3, 4)), table.c[f"{code}_1"])).label(f"{code}_count")
              for code in CODES]
    return [func.sum(table.c.responses).label("responses"), *[func.sum(table.c[f"{c}_sum"]).label(f"{c}_sum")
                                                              for c in CODES],
            *counts, *[func.sum(table.c[c]).label(c) for c in t.PROFILE_COLUMNS.values()]]


@cache
def _grouped_statement(group_by: tuple[str, ...], split: bool, lean: bool, monthly: bool = False) -> Select:
    """The statement of ``grouped_totals``, built once per shape (its 71 sums cost more to build than to
    run): parameters ``units`` (expanding), ``start``, ``end`` and, with a split, ``split``. ``monthly``: over
    the monthly aggregates, months starting in [start, end)."""
    table = t.monthly_aggregates if monthly else t.daily_aggregates
    when = table.c.month if monthly else table.c.day
    head = [case((when >= bindparam("split"), 1), else_=0).label("current")] if split else []
    keys = [table.c[g] for g in (*group_by, "suspect")]
    stmt = (select(*head, *keys, *_sums(table, lean))
            .where(table.c.unit.in_(bindparam("units", expanding=True)), when >= bindparam("start"),
                   when < bindparam("end")))
    # By position: a CASE with a parameter repeated in GROUP BY is not "the same expression" to PostgreSQL.
    return stmt.group_by(*(literal_column(str(i)) for i in range(1, len(head) + len(keys) + 1)))


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The whole months within [start, end) as [first, last) (first days of months), or None."""
    first = start if start.day == 1 else _first_of_next_month(start)
    last = end.replace(day=1)
    return (first, last) if first < last else None


def grouped_totals(engine: Engine, units: Iterable[str], start: date, end: date, group_by: tuple[str, ...],
                   split: date | None = None, lean: bool = False) -> list[dict]:
    """Sums of the daily aggregates of ``units`` for days in [start, end), one row per group of ``group_by``
    (from GROUP_KEYS) and ``suspect`` (nothing is filtered here), in one read: every column of SUM_COLUMNS,
    or with ``lean`` those of LEAN_COLUMNS. With ``split``, rows are grouped by ``current`` too (True for
    days from ``split`` on): a period and the one before it. The caller picks and adds up the rows each
    figure needs; rows come in no particular order.

    The whole months of [start, end) are read from the monthly aggregates (the daily rows summed per month:
    a few rows per key and month instead of one per key and day), the days before and after them from the
    daily ones, in one snapshot; without a split only (a split date need not fall on a month's first day)."""
    unknown = set(group_by) - set(GROUP_KEYS)
    if unknown:
        raise ValueError(f"grouped_totals cannot group by {sorted(unknown)}")
    units = list(units)
    months = whole_months(start, end) if split is None else None
    with reading(engine) as conn:
        if months is None:
            params = {"units": units, "start": start, "end": end, **({"split": split} if split else {})}
            result = rows(conn.execute(_grouped_statement(tuple(group_by), split is not None, lean), params))
        else:
            first, last = months
            parts = [rows(conn.execute(_grouped_statement(tuple(group_by), False, lean, True),
                                       {"units": units, "start": first, "end": last}))]
            for edge in ((start, first), (last, end)):
                if edge[0] < edge[1]:
                    parts.append(rows(conn.execute(_grouped_statement(tuple(group_by), False, lean),
                                                   {"units": units, "start": edge[0], "end": edge[1]})))
            result = _added(parts, (*group_by, "suspect"))
    for row in result:
        row["suspect"] = bool(row["suspect"])
        if split is not None:
            row["current"] = bool(row["current"])
    return [row for row in result if row["responses"]]


def _added(parts: list[list[dict]], keys: tuple[str, ...]) -> list[dict]:
    """Rows of the same keys from several reads added up (every other column is a sum)."""
    if len(parts) == 1:
        return parts[0]
    by_key: dict[tuple, dict] = {}
    for part in parts:
        for row in part:
            key = tuple(bool(row[k]) if k == "suspect" else row[k] for k in keys)
            into = by_key.get(key)
            if into is None:
                by_key[key] = dict(row)
            else:
                for name, value in row.items():
                    if name not in keys:
                        into[name] = (into[name] or 0) + (value or 0)
    return list(by_key.values())


def monthly_totals(engine: Engine, units: Iterable[str], first_month: date, end: date,
                   leave_out: tuple[str, ...] = ()) -> list[dict]:
    """The trusted index columns per month (first day) for months starting in [first_month, end), without the
    channels of ``leave_out``."""
    table = t.monthly_aggregates
    stmt = (select(table.c.month, *[func.sum(table.c[c]).label(c) for c in INDEX_COLUMNS])
            .where(table.c.unit.in_(list(units)), table.c.month >= first_month, table.c.month < end,
                   table.c.suspect.is_(False)).group_by(table.c.month).order_by(table.c.month))
    if leave_out:
        stmt = stmt.where(table.c.channel.not_in(leave_out))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def hourly_totals(engine: Engine, units: Iterable[str], start: date, end: date,
                  leave_out: tuple[str, ...] = ()) -> list[dict]:
    """Trusted responses and their score sum per local day and hour. The hourly aggregates know no channel:
    channels left out are taken off them from their raw responses (a bounded read by the unit/day index)."""
    totals = _hourly_aggregate_totals(engine, units, start, end)
    if leave_out:
        taken = {(row["day"], row["hour"]): row for row in _hourly_channel_totals(engine, units, start, end, leave_out)}
        for row in totals:
            off = taken.get((row["day"], row["hour"]))
            if off:
                row["responses"] -= off["responses"]
                row["score_sum"] -= off["score_sum"]
        totals = [row for row in totals if row["responses"]]
    return totals


@cache
def _weekday_hour_statement() -> Select:
    table = t.hourly_aggregates
    return (select(extract("dow", table.c.day).label("dow"), table.c.hour,
                   func.sum(table.c.responses).label("responses"), func.sum(table.c.score_sum).label("score_sum"))
            .where(table.c.unit.in_(bindparam("units", expanding=True)), table.c.day >= bindparam("start"),
                   table.c.day < bindparam("end"), table.c.suspect.is_(False))
            .group_by(literal_column("1"), literal_column("2")))


def weekday_hour_totals(engine: Engine, units: Iterable[str], start: date, end: date) -> list[dict]:
    """Trusted responses and their score sum per local weekday (0 = Monday) and hour, summed in SQL from
    the hourly aggregates (a few dozen rows, however many days)."""
    with reading(engine) as conn:
        result = rows(conn.execute(_weekday_hour_statement(), {"units": list(units), "start": start, "end": end}))
    for row in result:
        row["weekday"] = (int(row.pop("dow")) + 6) % 7  # SQL's day of week counts from Sunday = 0
    return result


def _hourly_channel_totals(engine: Engine, units: Iterable[str], start: date, end: date,
                           channels: tuple[str, ...]) -> list[dict]:
    r = t.responses
    stmt = (select(r.c.local_day.label("day"), r.c.local_hour.label("hour"), func.count().label("responses"),
                   func.sum(sum((r.c[c] for c in CODES[1:]), r.c[CODES[0]])).label("score_sum"))
            .where(r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end, r.c.suspect.is_(False),
                   r.c.channel.in_(channels))
            .group_by(r.c.local_day, r.c.local_hour))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def _hourly_aggregate_totals(engine: Engine, units: Iterable[str], start: date, end: date) -> list[dict]:
    table = t.hourly_aggregates
    stmt = (select(table.c.day, table.c.hour, func.sum(table.c.responses).label("responses"),
                   func.sum(table.c.score_sum).label("score_sum"))
            .where(table.c.unit.in_(list(units)), table.c.day >= start, table.c.day < end, table.c.suspect.is_(False))
            .group_by(table.c.day, table.c.hour))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))



def period_comments(engine: Engine, units: Iterable[str], start: date, end: date,
                    leave_out: tuple[str, ...] = ()) -> Iterable[dict]:
    """Every trusted (not suspect) comment of a period with its time, service, counter, channel and nine
    scores, newest first, streamed (for the themes and the report's summary of what citizens wrote): a read
    of raw responses by the unit/day index."""
    r = t.responses
    stmt = (select(r.c.submitted_at, r.c.service, r.c.counter, r.c.channel, r.c.comment, *[r.c[c] for c in CODES])
            .where(r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end, r.c.suspect.is_(False),
                   r.c.comment.is_not(None), r.c.comment != "", r.c.channel.not_in(leave_out))
            .order_by(r.c.local_day.desc(), r.c.submitted_at.desc()))
    with reading(engine) as conn:
        for part in conn.execute(stmt.execution_options(yield_per=2000)).partitions():
            for row in part:
                yield dict(row._mapping)


def raw_responses(engine: Engine, units: Iterable[str], start: date, end: date,
                  leave_out: tuple[str, ...] = ()) -> Iterable[dict]:
    """Every response of a period in submission order, streamed (for exports); ``leave_out``: channels not read."""
    r = t.responses
    stmt = (select(*[c for c in r.c if c.name not in ("content_hash", "batch_id")])
            .where(r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end,
                   r.c.channel.not_in(leave_out))
            .order_by(r.c.submitted_at, r.c.id))
    with reading(engine) as conn:
        for part in conn.execute(stmt.execution_options(yield_per=2000)).partitions():
            for row in part:
                yield dict(row._mapping)
