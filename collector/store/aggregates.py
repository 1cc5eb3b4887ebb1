"""The daily, hourly, monthly and per-officer aggregates: computed from response rows, added in the ingest
transaction, rebuilt from raw responses with the same result."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from sqlalchemy import (Column, Connection, Date, Engine, Integer, MetaData, PrimaryKeyConstraint, Table, cast,
                        func, select)

from skm import CODES, PROFILE

from .. import schema as t
from .engine import _insert, reading, rows


def _empty_daily() -> dict[str, int]:
    return {"responses": 0, **{f"{c}_sum": 0 for c in CODES}, **{name: 0 for name in t.SCORE_COLUMNS},
            **{name: 0 for name in t.PROFILE_COLUMNS.values()}}


def _empty_officer() -> dict[str, int]:
    return {"responses": 0, "score_sum": 0, "score_sq_sum": 0, **{f"{c}_sum": 0 for c in CODES},
            **{name: 0 for name in t.SCORE_COLUMNS}}


def aggregate_rows(response_rows: Iterable[Mapping[str, Any]]) -> tuple[dict[tuple, dict], ...]:
    """The daily, hourly and per-officer aggregate deltas of raw response rows.

    Daily rows are keyed by (unit, service, counter, channel, day, suspect); hourly rows by
    (unit, day, hour, suspect); officer rows by (officer, unit, day, suspect), for responses with an officer;
    monthly rows, the daily ones summed per month, by (unit, service, counter, channel, month, suspect).
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
    for (unit, service, counter, channel, local_day, suspect), delta in daily.items():  # the daily rows per month
        day = local_day if isinstance(local_day, date) else date.fromisoformat(str(local_day))
        month = monthly.setdefault((unit, service, counter, channel, day.replace(day=1), suspect), _empty_daily())
        for name, n in delta.items():
            month[name] += n
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
    _upsert_adding(conn, t.monthly_aggregates, t.MONTHLY_KEY, monthly)
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


def _count_if(condition) -> Any:
    return func.count().filter(condition)  # count(*) FILTER (WHERE ..): PostgreSQL, SQLite >= 3.30


def _unsur_columns(r) -> list[tuple[str, Any]]:
    """Each unsur's sum and its count per score (1..4), over the group's responses."""
    return [*((f"{code}_sum", func.sum(r.c[code])) for code in CODES),
            *((f"{code}_{score}", _count_if(r.c[code] == score)) for code in CODES for score in (1, 2, 3, 4))]


def _insert_grouped(conn: Connection, table, keys: list[tuple[str, Any]], values: list[tuple[str, Any]],
                    source, where=None) -> None:
    """INSERT INTO table (keys, values) SELECT ... FROM source [WHERE] GROUP BY keys: one statement."""
    query = select(*(expr.label(name) for name, expr in [*keys, *values])).select_from(source)
    if where is not None:
        query = query.where(where)
    query = query.group_by(*(expr for _name, expr in keys))
    conn.execute(table.insert().from_select([name for name, _expr in [*keys, *values]], query))


def _month_of(conn: Connection, day) -> Any:
    if conn.dialect.name == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")  # SQLite keeps a Date as 'YYYY-MM-DD'


def rebuild_aggregates_in(conn: Connection) -> int:
    """Recompute every aggregate from the raw responses inside the caller's transaction, set-based, on
    SQLite and PostgreSQL alike: INSERT .. SELECT .. GROUP BY statements (the monthly rows from the daily
    ones, whose sums add up). The rows are those the incremental path (``aggregate_rows``) adds up; tests
    check both against each other."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # the groups hashed in memory, not spilled to disk
        return _rebuild(conn)
    # SQLite groups by sorting: the sorts in memory (256 MB at most) instead of spilling to temporary files.
    cache_size: int = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    temp_cache_size: int = conn.exec_driver_sql("PRAGMA temp.cache_size").scalar_one()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")
    conn.exec_driver_sql("PRAGMA temp.cache_size=-262144")  # and the TEMP table of sums in memory too
    try:
        return _rebuild_sqlite(conn)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
        conn.exec_driver_sql(f"PRAGMA temp.cache_size={int(temp_cache_size)}")


def _delete_aggregates(conn: Connection) -> None:
    for table in (t.daily_aggregates, t.hourly_aggregates, t.officer_daily, t.monthly_aggregates):
        conn.execute(table.delete())


def _score_total(r) -> Any:
    return sum((r.c[code] for code in CODES[1:]), r.c[CODES[0]])


def _profile_columns(r) -> list[tuple[str, Any]]:
    return [(name, _count_if(r.c[field] == value) if value is not None else _count_if(r.c[field].is_(None)))
            for (field, value), name in t.PROFILE_COLUMNS.items()]


def _insert_monthly(conn: Connection) -> int:
    d = t.daily_aggregates
    _insert_grouped(conn, t.monthly_aggregates,
                    [("unit", d.c.unit), ("service", d.c.service), ("counter", d.c.counter), ("channel", d.c.channel),
                     ("month", _month_of(conn, d.c.day)), ("suspect", d.c.suspect)],
                    [(c.name, func.sum(c)) for c in d.c if c.name not in t.AGGREGATE_KEY], d)
    return conn.execute(select(func.count()).select_from(d)).scalar_one()


def _rebuild(conn: Connection) -> int:
    """One INSERT .. SELECT .. GROUP BY from the responses per aggregate table (PostgreSQL hashes each)."""
    _delete_aggregates(conn)
    r = t.responses
    total = _score_total(r)
    responses = ("responses", func.count())
    _insert_grouped(conn, t.daily_aggregates,
                    [("unit", r.c.unit), ("service", r.c.service), ("counter", r.c.counter),
                     ("channel", r.c.channel), ("day", r.c.local_day), ("suspect", r.c.suspect)],
                    [responses, *_unsur_columns(r), *_profile_columns(r)], r)
    _insert_grouped(conn, t.hourly_aggregates,
                    [("unit", r.c.unit), ("day", r.c.local_day), ("hour", r.c.local_hour), ("suspect", r.c.suspect)],
                    [responses, ("score_sum", func.sum(total))], r)
    _insert_grouped(conn, t.officer_daily,
                    [("officer", r.c.officer), ("unit", r.c.unit), ("day", r.c.local_day), ("suspect", r.c.suspect)],
                    [responses, ("score_sum", func.sum(total)), ("score_sq_sum", func.sum(total * total)),
                     *_unsur_columns(r)], r, where=(r.c.officer.is_not(None)) & (r.c.officer != ""))
    return _insert_monthly(conn)


_FINE_KEY = ("unit", "day", "service", "counter", "channel", "suspect", "officer")
_FINE_SUMS = ("responses", "score_sum", "score_sq_sum", *(f"{code}_sum" for code in CODES), *t.SCORE_COLUMNS,
              *t.PROFILE_COLUMNS.values())


def _fine_table() -> Table:
    """A TEMP table of the responses summed per daily key and officer ('' for none), keyed in the order the
    daily rows group by, so that reading it grouped by the daily key needs no sort."""
    d = t.daily_aggregates
    key = [Column(name, d.c[name].type if name in d.c else t.responses.c.officer.type, nullable=False)
           for name in _FINE_KEY]
    return Table("rebuild_fine", MetaData(), *key, *(Column(name, Integer, nullable=False) for name in _FINE_SUMS),
                 PrimaryKeyConstraint(*_FINE_KEY), prefixes=["TEMPORARY"], sqlite_with_rowid=False)


def _rebuild_sqlite(conn: Connection) -> int:
    """SQLite groups by sorting, so the responses are sorted once by (daily key, officer) into a TEMP table
    of their sums (a few rows per daily row), and the daily and per-officer rows are summed from it; the
    hourly rows need their own sort of the responses (by hour), of two columns only. Measured in
    bench/bench_rebuild.py: a quarter less than a sort of the responses per aggregate table."""
    _delete_aggregates(conn)
    r = t.responses
    total = _score_total(r)
    fine = _fine_table()
    fine.drop(conn, checkfirst=True)
    fine.create(conn)
    try:
        _insert_grouped(conn, fine,
                        [("unit", r.c.unit), ("day", r.c.local_day), ("service", r.c.service),
                         ("counter", r.c.counter), ("channel", r.c.channel), ("suspect", r.c.suspect),
                         ("officer", func.coalesce(r.c.officer, ""))],
                        [("responses", func.count()), ("score_sum", func.sum(total)),
                         ("score_sq_sum", func.sum(total * total)), *_unsur_columns(r), *_profile_columns(r)], r)
        daily_sums = ("responses", *(f"{code}_sum" for code in CODES), *t.SCORE_COLUMNS,
                      *t.PROFILE_COLUMNS.values())
        _insert_grouped(conn, t.daily_aggregates, [(name, fine.c[name]) for name in _FINE_KEY[:-1]],
                        [(name, func.sum(fine.c[name])) for name in daily_sums], fine)
        officer_sums = ("responses", "score_sum", "score_sq_sum", *(f"{code}_sum" for code in CODES),
                        *t.SCORE_COLUMNS)
        _insert_grouped(conn, t.officer_daily, [(name, fine.c[name]) for name in ("officer", "unit", "day", "suspect")],
                        [(name, func.sum(fine.c[name])) for name in officer_sums], fine, where=fine.c.officer != "")
    finally:
        fine.drop(conn)
    _insert_grouped(conn, t.hourly_aggregates,
                    [("unit", r.c.unit), ("day", r.c.local_day), ("hour", r.c.local_hour), ("suspect", r.c.suspect)],
                    [("responses", func.count()), ("score_sum", func.sum(total))], r)
    return _insert_monthly(conn)


def rebuild_aggregates(engine: Engine) -> int:
    """Recompute every aggregate from the raw responses, in one transaction. Returns the daily row count."""
    with engine.begin() as conn:
        return rebuild_aggregates_in(conn)


def aggregates(engine: Engine) -> list[dict]:
    """Every daily aggregate row, in key order (for tests and the rebuild check)."""
    with reading(engine) as conn:
        return rows(conn.execute(select(t.daily_aggregates).order_by(*[t.daily_aggregates.c[k]
                                                                       for k in t.AGGREGATE_KEY])))


def all_aggregates(engine: Engine, monthly: bool = True) -> tuple[list[dict], ...]:
    """Every kind of aggregate row, for checking that a rebuild gives what the incremental path gave
    (``monthly`` False: no monthly rows, for a database of a revision before their present keys)."""
    return (aggregates(engine), hourly(engine), officer_aggregates(engine),
            monthly_rows(engine) if monthly else [])


def monthly_rows(engine: Engine) -> list[dict]:
    table = t.monthly_aggregates
    with reading(engine) as conn:
        return rows(conn.execute(select(table).order_by(*[table.c[k] for k in t.MONTHLY_KEY])))


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
