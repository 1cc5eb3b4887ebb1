"""Copying a collector to another database (a city's SQLite to a province's PostgreSQL), verified by counts."""
from __future__ import annotations

from datetime import date
from typing import Callable

from sqlalchemy import Engine, func, insert, select

from .. import schema as t
from .engine import Refused, prepare_for_days


# Derived from the responses, so an empty target may hold rows of its own (``skm collector migrate`` marks the
# lexicon in use complete on an empty database): the source's rows replace them.
DERIVED = (t.theme_daily, t.theme_lexicons)


def copy_database(source: Engine, target: Engine, chunk: int = 5000,
                  progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table's rows from ``source`` to an empty, migrated ``target``; returns rows per table.

    Tables go in foreign-key order, each in chunks inside one transaction per table. The target's own
    schema revision stays. Raises ``Refused`` when the target already holds responses or a tree.
    """
    with target.connect() as conn:
        if conn.execute(select(func.count()).select_from(t.responses)).scalar() or \
                conn.execute(select(func.count()).select_from(t.pemda)).scalar():
            raise Refused("target_not_empty", "the target database already has data; copy into an empty one")
    prepare_for_days(target, days_in(source))
    copied: dict[str, int] = {}
    for table in t.tables(source.dialect.name):
        if table not in t.tables(target.dialect.name):
            continue
        count = 0
        with source.connect() as read, target.begin() as write:
            if table in DERIVED:
                write.execute(table.delete())  # the empty target's own marks: the source's replace them
            result = read.execute(select(table).execution_options(yield_per=chunk))
            for part in result.partitions():
                batch = [dict(r._mapping) for r in part]
                write.execute(insert(table), batch)
                count += len(batch)
                if progress:
                    progress(table.name, count)
        copied[table.name] = count
    if t.response_keys in t.tables(target.dialect.name) and t.response_keys not in t.tables(source.dialect.name):
        with target.begin() as write:  # a SQLite source keeps the ids in responses alone
            copied[t.response_keys.name] = write.exec_driver_sql(
                "INSERT INTO response_keys (id, content_hash) SELECT id, content_hash FROM responses").rowcount
    _reset_sequences(target)
    return copied


def days_in(engine: Engine) -> list[date]:
    """The first day of every month that has responses (for creating partitions ahead of a copy)."""
    with engine.connect() as conn:
        days = [r[0] for r in conn.execute(select(t.responses.c.local_day).distinct())]
    months = {date(d.year, d.month, 1) if isinstance(d, date) else date.fromisoformat(str(d)).replace(day=1)
              for d in days}
    return sorted(months)


def _reset_sequences(engine: Engine) -> None:
    """After copying rows with their ids, move PostgreSQL's id sequences past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in (t.conflicts, t.followups, t.audit_log):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in t.tables(engine.dialect.name)}
