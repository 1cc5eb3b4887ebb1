"""The engine, the monthly partitions of PostgreSQL, and the small helpers every resource's SQL uses."""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite


READ_ONLY = "skm_read_only"  # the execution option that makes a connection's transactions read transactions


def make_engine(url: str) -> Engine:
    """An engine for a database URL. SQLite gets WAL, synchronous=FULL and write transactions that take
    the lock up front (BEGIN IMMEDIATE), so concurrent ingests queue instead of failing midway; a
    connection from ``reading`` begins a plain deferred transaction instead (a WAL reader, which neither
    waits for a writer nor holds one up) with ``PRAGMA query_only`` on, so a write in it fails."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()
            record.info["query_only"] = False

        @event.listens_for(engine, "begin")
        def _begin(conn):
            read_only = bool(conn.get_execution_options().get(READ_ONLY))
            info = conn.connection.info
            if info.get("query_only") != read_only:  # a pooled connection keeps the pragma: set it on change
                conn.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
                info["query_only"] = read_only
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: every statement in it sees one snapshot, and none may write. On SQLite
    a deferred transaction (a WAL reader: it never waits for an ingest holding the write lock) with
    ``PRAGMA query_only``; on PostgreSQL ``BEGIN READ ONLY``. Writes go through ``engine.begin()``."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    with engine.connect().execution_options(**options) as conn:
        yield conn


MONTHS_AHEAD = 3


PARTITION_LOCK = 0x736B6D01  # pg_advisory_xact_lock key held while a partition is made


_PARTITIONS_KNOWN: "weakref.WeakKeyDictionary[Engine, set[date]]" = weakref.WeakKeyDictionary()


def _month(day: date, offset: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def prepare_for_days(engine: Engine, days: Iterable[date]) -> None:
    """On PostgreSQL, make sure the monthly partitions of these days, and of the months ahead of them,
    exist, each created in its own short transaction under an advisory lock (several collectors starting at
    once queue on it; the later ones find it made). Nothing to do on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    known = _PARTITIONS_KNOWN.setdefault(engine, set())  # per engine: a recreated database starts afresh
    wanted = {_month(d, i) for d in days for i in range(MONTHS_AHEAD + 1)} - known
    if not wanted:
        return
    with engine.connect() as conn:
        existing = {r[0] for r in conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'responses'")}
    for month in sorted(wanted):
        name = f"responses_{month.year}_{month.month:02d}"
        if name not in existing:
            try:
                with engine.begin() as conn:
                    # Processes starting together queue here; each then finds the partition made or makes it.
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
                    conn.exec_driver_sql(
                        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF responses "
                        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{_month(month, 1).isoformat()}')")
            except Exception as exc:  # noqa: BLE001 - the default partition already holds rows of that month
                if "would be violated" not in str(exc):
                    raise
        known.add(month)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def rows(result) -> list[dict]:
    return [dict(r._mapping) for r in result]


class NotFound(Exception):
    """A named thing (unit, kiosk, enrollment code) does not exist."""


class Refused(Exception):
    """The request is understood but not allowed (revoked kiosk, used enrollment code)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def upsert(conn: Connection, table, values: Mapping[str, Any]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={k: v for k, v in values.items() if k not in keys})
    conn.execute(stmt)


def schema_is_current(engine: Engine) -> bool:
    """Whether the database answers and its schema is at the head revision: the one place that knows what
    "at head" means (for /readyz). Cheap: it reads the one-row revision table, never a response."""
    from .. import migrations
    try:
        migrations.check(engine)
    except migrations.SchemaNotCurrent:
        return False
    return True
