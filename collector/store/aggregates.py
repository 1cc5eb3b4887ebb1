"""The daily, hourly, monthly and per-officer aggregates: computed from response rows, added in the ingest
transaction, rebuilt from raw responses with the same result."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from sqlalchemy import Connection, Engine, func, select

from skm import CODES, PROFILE

from .. import schema as t
from .engine import _insert, reading, rows


def _empty_daily() -> dict[str, int]:
    return {"responses": 0, **{f"{c}_sum": 0 for c in CODES}, **{name: 0 for name in t.SCORE_COLUMNS},
            **{name: 0 for name in t.PROFILE_COLUMNS.values()}}


def _empty_monthly() -> dict[str, int]:
    return {"responses": 0, **{f"{c}_sum": 0 for c in CODES}, **{name: 0 for name in t.SCORE_COLUMNS}}


def _empty_officer() -> dict[str, int]:
    return {"responses": 0, "score_sum": 0, "score_sq_sum": 0, **{f"{c}_sum": 0 for c in CODES},
            **{name: 0 for name in t.SCORE_COLUMNS}}


def aggregate_rows(response_rows: Iterable[Mapping[str, Any]]) -> tuple[dict[tuple, dict], ...]:
    """The daily, hourly and per-officer aggregate deltas of raw response rows.

    Daily rows are keyed by (unit, service, counter, channel, day, suspect); hourly rows by
    (unit, day, hour, suspect); officer rows by (officer, unit, day, suspect), for responses with an officer.
    """
    daily: dict[tuple, dict[str, int]] = {}
    hourly: dict[tuple, dict[str, int]] = {}
    officer: dict[tuple, dict[str, int]] = {}
    monthly: dict[tuple, dict[str, int]] = {}
    for row in response_rows:
        suspect = bool(row["suspect"])
        key = (row["unit"], row["service"], row["counter"], row["channel"], row["local_day"], suspect)
        delta = daily.get(key)
        if delta is None:
            delta = daily[key] = _empty_daily()
        delta["responses"] += 1
        total = 0
        for code in CODES:
            score = row[code]
            total += score
            delta[f"{code}_sum"] += score
            delta[f"{code}_{score}"] += 1
        for field in PROFILE:
            delta[t.PROFILE_COLUMNS[(field.name, row.get(field.name))]] += 1
        day = row["local_day"] if isinstance(row["local_day"], date) else date.fromisoformat(str(row["local_day"]))
        month = monthly.get((row["unit"], day.replace(day=1), suspect))
        if month is None:
            month = monthly[(row["unit"], day.replace(day=1), suspect)] = _empty_monthly()
        month["responses"] += 1
        for code in CODES:
            month[f"{code}_sum"] += row[code]
            month[f"{code}_{row[code]}"] += 1
        cell = hourly.setdefault((row["unit"], row["local_day"], row["local_hour"], suspect),
                                 {"responses": 0, "score_sum": 0})
        cell["responses"] += 1
        cell["score_sum"] += total
        if row.get("officer"):
            own = officer.get((row["officer"], row["unit"], row["local_day"], suspect))
            if own is None:
                own = officer[(row["officer"], row["unit"], row["local_day"], suspect)] = _empty_officer()
            own["responses"] += 1
            own["score_sum"] += total
            own["score_sq_sum"] += total * total
            for code in CODES:
                own[f"{code}_sum"] += row[code]
                own[f"{code}_{row[code]}"] += 1
    return daily, hourly, officer, monthly


def _upsert_adding(conn: Connection, table, key_columns: tuple[str, ...], deltas: Mapping[tuple, Mapping[str, int]]):
    """Add each delta to its row (made when missing): one statement, executed for every key at once, in key
    order, so that concurrent ingests lock the rows they share in the same order (no deadlock on PostgreSQL)."""
    if not deltas:
        return
    columns = list(next(iter(deltas.values())))
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=list(key_columns),
                                      set_={c: table.c[c] + stmt.excluded[c] for c in columns})
    conn.execute(stmt, [{**dict(zip(key_columns, key)), **deltas[key]} for key in sorted(deltas)])


def add_to_aggregates(conn: Connection, deltas: tuple[dict, ...]) -> None:
    daily, hourly, officer, monthly = deltas
    _upsert_adding(conn, t.daily_aggregates, t.AGGREGATE_KEY, daily)
    _upsert_adding(conn, t.monthly_aggregates, ("unit", "month", "suspect"), monthly)
    _upsert_adding(conn, t.hourly_aggregates, ("unit", "day", "hour", "suspect"), hourly)
    _upsert_adding(conn, t.officer_daily, ("officer", "unit", "day", "suspect"), officer)


def drop_empty_aggregates(conn: Connection, units: Iterable[str]) -> None:
    """Remove the units' aggregate rows left with no response (after responses moved to suspect), so the
    aggregates stay what a rebuild from the raw responses makes."""
    units = sorted(set(units))
    for table in (t.daily_aggregates, t.monthly_aggregates, t.hourly_aggregates, t.officer_daily):
        conn.execute(table.delete().where(table.c.unit.in_(units), table.c.responses == 0))


AGGREGATE_SOURCE = ("unit", "service", "counter", "channel", "officer", "local_day", "local_hour", "suspect", *CODES,
                    *(f.name for f in PROFILE))


def rebuild_aggregates_in(conn: Connection, chunk: int = 5000) -> int:
    """Recompute every aggregate from the raw responses inside the caller's transaction."""
    conn.execute(t.daily_aggregates.delete())
    conn.execute(t.hourly_aggregates.delete())
    conn.execute(t.officer_daily.delete())
    conn.execute(t.monthly_aggregates.delete())
    # yield_per on the statement, not the connection: the connection goes on to write in this transaction.
    result = conn.execute(select(*[t.responses.c[c] for c in AGGREGATE_SOURCE]).execution_options(yield_per=chunk))
    totals_by_kind: tuple[dict[tuple, dict[str, int]], ...] = ({}, {}, {}, {})
    for part in result.partitions():
        for totals, deltas in zip(totals_by_kind, aggregate_rows(dict(r._mapping) for r in part)):
            for key, delta in deltas.items():
                into = totals.setdefault(key, dict.fromkeys(delta, 0))
                for name, value in delta.items():
                    into[name] += value
    add_to_aggregates(conn, totals_by_kind)
    return len(totals_by_kind[0])


def rebuild_aggregates(engine: Engine) -> int:
    """Recompute every aggregate from the raw responses, in one transaction. Returns the daily row count."""
    with engine.begin() as conn:
        return rebuild_aggregates_in(conn)


def aggregates(engine: Engine) -> list[dict]:
    """Every daily aggregate row, in key order (for tests and the rebuild check)."""
    with reading(engine) as conn:
        return rows(conn.execute(select(t.daily_aggregates).order_by(*[t.daily_aggregates.c[k]
                                                                       for k in t.AGGREGATE_KEY])))


def all_aggregates(engine: Engine) -> tuple[list[dict], ...]:
    """Every kind of aggregate row, for checking that a rebuild gives what the incremental path gave."""
    return aggregates(engine), hourly(engine), officer_aggregates(engine), monthly(engine)


def monthly(engine: Engine) -> list[dict]:
    table = t.monthly_aggregates
    with reading(engine) as conn:
        return rows(conn.execute(select(table).order_by(table.c.unit, table.c.month, table.c.suspect)))


def officer_aggregates(engine: Engine) -> list[dict]:
    table = t.officer_daily
    with reading(engine) as conn:
        return rows(conn.execute(select(table).order_by(table.c.officer, table.c.unit, table.c.day, table.c.suspect)))


def hourly(engine: Engine) -> list[dict]:
    with reading(engine) as conn:
        table = t.hourly_aggregates
        return rows(conn.execute(select(table).order_by(table.c.unit, table.c.day, table.c.hour, table.c.suspect)))


def response_count(engine: Engine, **where: Any) -> int:
    with reading(engine) as conn:
        stmt = select(func.count()).select_from(t.responses)
        for column, value in where.items():
            stmt = stmt.where(t.responses.c[column] == value)
        return conn.execute(stmt).scalar_one()


def response_ids(engine: Engine) -> list[str]:
    with reading(engine) as conn:
        return [r[0] for r in conn.execute(select(t.responses.c.id))]


def conflict_count(engine: Engine) -> int:
    with reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(t.conflicts)).scalar_one()
