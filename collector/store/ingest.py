"""Storing a validated batch exactly once: ids claimed, rows inserted, conflicts kept aside, the batch recorded.

The write path works at the driver's speed: each response becomes one tuple in the column order of
``responses``, written by ``executemany`` of SQL text built once per dialect (``COPY`` on PostgreSQL); its
aggregates are summed in flat lists of integers and added by one upsert per aggregate table (a set-based
``INSERT ... SELECT FROM unnest(...)`` on PostgreSQL). SQLAlchemy still owns the connection, the
transaction and the wrapping of driver errors.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, exc

from skm import CODES, PROFILE
from skm.themes import Lexicon
from skm.wire import WireResponse

from .. import schema as t
from ..columns import hex_text, sqlite_hex, sqlite_uuid, uuid_text
from .engine import now_iso, prepare_for_days
from .kiosks import Arrival, InstallNote, before_arrival, note_arrival
from .themes import add_theme_counts, counting_lexicon


@dataclass(frozen=True)
class Outcome:
    id: str
    status: str  # accepted | duplicate | conflict | invalid
    reason: str | None = None


RESPONSE_COLUMNS: tuple[str, ...] = tuple(c.name for c in t.responses.c)
_ID, _DAY, _HASH = (RESPONSE_COLUMNS.index(name) for name in ("id", "local_day", "content_hash"))
_COMMENT_OF = itemgetter(*(RESPONSE_COLUMNS.index(name) for name in ("unit", "local_day", "channel", "comment")))
_SUSPECT = RESPONSE_COLUMNS.index("suspect")
_KIOSK, _BATCH = RESPONSE_COLUMNS.index("kiosk_id"), RESPONSE_COLUMNS.index("batch_id")
_PROFILE_NAMES = tuple(f.name for f in PROFILE)
_SCORES = itemgetter(*CODES)


def response_values(response: WireResponse, kiosk_id: str | None, zone: ZoneInfo, batch_id: str,
                    received_at: str, content_hash: str, clock_skew_ms: int = 0) -> tuple:
    """The stored row as a tuple in ``RESPONSE_COLUMNS`` order: times corrected by the kiosk's clock skew
    (ms, its clock minus the server's), filed under the corrected local day (ISO text, as SQLite keeps a
    date and PostgreSQL reads one) and hour; the claimed submit time kept beside them."""
    claimed = response.submitted_at.isoformat()
    if clock_skew_ms:
        skew = timedelta(milliseconds=clock_skew_ms)
        submitted = response.submitted_at - skew
        started = (response.started_at - skew).isoformat() if response.started_at else None
        submitted_text = submitted.isoformat()
    else:  # the common case (a skew within the tolerance is 0): the times as claimed, written once
        submitted, submitted_text = response.submitted_at, claimed
        started = response.started_at.isoformat() if response.started_at else None
    local = submitted.astimezone(zone)
    answers, profile = response.content.answers, response.content.profile
    return (response.id, kiosk_id, response.seq, response.unit, response.service, response.counter,
            response.officer, response.channel, response.questionnaire_version,
            *_SCORES(answers), *map(profile.get, _PROFILE_NAMES),
            response.content.comment, started, submitted_text, claimed, clock_skew_ms, local.date().isoformat(),
            local.hour,
            response.duration_ms, response.suspect, response.suspect_reason, received_at, batch_id, content_hash)


# The order response_values writes in: the table's own.
assert RESPONSE_COLUMNS == ("id", "kiosk_id", "seq", "unit", "service", "counter", "officer", "channel",
                            "questionnaire_version", *CODES, *_PROFILE_NAMES, "comment", "started_at",
                            "submitted_at", "claimed_submitted_at", "clock_skew_ms", "local_day", "local_hour",
                            "duration_ms", "suspect", "suspect_reason", "received_at", "batch_id", "content_hash")


def response_row(response: WireResponse, kiosk_id: str | None, zone: ZoneInfo, batch_id: str,
                 received_at: str, content_hash: str, clock_skew_ms: int = 0) -> dict:
    """The stored row as a mapping of column to value (``response_values`` by name)."""
    return dict(zip(RESPONSE_COLUMNS, response_values(response, kiosk_id, zone, batch_id, received_at,
                                                      content_hash, clock_skew_ms)))


def ingest(engine: Engine, kiosk_id: str, batch_id: str, source: str, valid: list[tuple[WireResponse, str]],
           invalid: list[Outcome], zone: ZoneInfo, clock_skew_ms: int = 0,
           lexicon: Lexicon | None = None, arrival: Arrival | None = None) -> tuple[list[Outcome], InstallNote | None]:
    """Store a batch in one transaction: the new responses, their aggregates (the comments' themes counted
    with ``lexicon``, the app's: see ``themes.counting_lexicon``), conflicts kept aside; and, for a push over
    the API (``arrival``), the kiosk's contact and the batch noted under its install (``kiosks.note_arrival``),
    whose note comes back beside the outcomes (None without ``arrival``).

    ``valid`` pairs each validated response with its content hash. Safe to run twice: a response
    already stored with the same content is a duplicate, with other content a conflict.

    The ids are claimed in one statement (``claim``): on PostgreSQL an ``INSERT ... ON CONFLICT (id) DO
    NOTHING RETURNING id`` into ``response_keys``, whose returned ids are the accepted ones even when another
    transaction stores the same ids at the same time; on SQLite, whose write transactions hold the database's
    one write lock from ``BEGIN IMMEDIATE``, a look-up of the stored ones. Then the accepted rows go into
    ``responses`` (partitioned by month on PostgreSQL).

    One response the database refuses although it passed validation (a limit of ``skm.limits`` out of
    step with a column) must not block the kiosk's outbox: the batch is then stored again one response
    at a time, each in its own savepoint, and the refused ones are answered ``invalid`` with the reason.
    A fault of the database itself (disk full, locked, gone) still fails the whole batch, to be resent.
    """
    received_at = now_iso()
    rows = [response_values(response, kiosk_id, zone, batch_id, received_at, digest, clock_skew_ms)
            for response, digest in valid]
    prepare_for_days(engine, {date.fromisoformat(day) for day in {row[_DAY] for row in rows}})
    try:
        with engine.begin() as conn:
            before = before_arrival(conn, arrival) if arrival is not None else []
            outcomes = _store_responses(conn, kiosk_id, batch_id, received_at, valid, rows, lexicon)
            return _record_batch(conn, kiosk_id, batch_id, source, received_at, invalid + outcomes, arrival, before)
    except REFUSED_VALUES as error:
        if not _refused_by_the_data(error):
            raise
    with engine.begin() as conn:
        before = before_arrival(conn, arrival) if arrival is not None else []
        outcomes = []
        for pair, row in zip(valid, rows):
            try:
                with conn.begin_nested():
                    outcomes.extend(_store_responses(conn, kiosk_id, batch_id, received_at, [pair], [row],
                                                     lexicon))
            except REFUSED_VALUES as error:
                if not _refused_by_the_data(error):
                    raise
                outcomes.append(Outcome(row[_ID], "invalid", f"the collector's database cannot store it: "
                                                             f"{_first_line(error)}"))
        return _record_batch(conn, kiosk_id, batch_id, source, received_at, invalid + outcomes, arrival, before)


# What a database driver raises for a value it cannot take: SQLAlchemy's wrapped errors, and the sqlite3
# module's own for an integer past 64 bits or text that is not encodable.
REFUSED_VALUES = (exc.StatementError, OverflowError, UnicodeEncodeError)


def _refused_by_the_data(error: Exception) -> bool:
    """Whether the database refused these values (too long, out of range, not encodable), rather than
    failed as a database (disk full, locked, connection lost), which a resend may get past."""
    return not isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.InternalError,
                                  exc.ProgrammingError))


def _first_line(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]


def _store_responses(conn: Connection, kiosk_id: str, batch_id: str, received_at: str,
                     valid: list[tuple[WireResponse, str]], rows: list[tuple],
                     lexicon: Lexicon | None = None) -> list[Outcome]:
    """Claim the ids, insert the new responses and their aggregates, keep conflicts aside."""
    outcomes: dict[str, Outcome] = {}
    fingerprint = counting_lexicon(conn, lexicon)  # before any response of this batch is stored
    inserted, stored = claim(conn, [(row[_ID], row[_HASH]) for row in rows])
    new_rows, conflicts = [], []
    for (response, digest), row in zip(valid, rows):
        if response.id in inserted:
            inserted.discard(response.id)  # a second copy in the same list is then a resend of the first
            stored[response.id] = digest
            new_rows.append(row)
            outcomes[response.id] = Outcome(response.id, "accepted")
        elif stored.get(response.id) == digest:
            outcomes[response.id] = Outcome(response.id, "duplicate")
        else:
            conflicts.append((response.id, kiosk_id, batch_id, received_at, digest,
                              json.dumps(dict(response.data), ensure_ascii=False)))
            outcomes[response.id] = Outcome(response.id, "conflict", "conflict")
    sql = _sql(conn.dialect.name)
    if conflicts:
        conn.exec_driver_sql(sql.conflicts, conflicts)
    if new_rows:
        _insert_responses(conn, sql, new_rows)
        add_rows_to_aggregates(conn, new_rows)
        add_theme_counts(conn, fingerprint, lexicon, (_COMMENT_OF(row) for row in new_rows if not row[_SUSPECT]))
    return list(outcomes.values())


def _record_batch(conn: Connection, kiosk_id: str, batch_id: str, source: str, received_at: str,
                  outcomes: list[Outcome], arrival: Arrival | None,
                  before: list[tuple[int, str]]) -> tuple[list[Outcome], InstallNote | None]:
    """The batch's record with its counts (a resent batch keeps its first record), one outcome per id, and
    the arrival noted (``before``: what the kiosk had under the batch's seqs before it was stored)."""
    outcomes = list({o.id: o for o in outcomes}.values())
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status] += 1
    conn.exec_driver_sql(_sql(conn.dialect.name).batch, (batch_id, kiosk_id, source, received_at, counts["accepted"],
                                                         counts["duplicate"], counts["conflict"], counts["invalid"]))
    if arrival is None:
        return outcomes, None
    stored = {o.id for o in outcomes if o.status in ("accepted", "duplicate")}
    return outcomes, note_arrival(conn, arrival, stored, before)


# -- the SQL text, built once per dialect -----------------------------------------------------------------

@dataclass(frozen=True)
class _Sql:
    dialect: str
    mark: str  # the driver's placeholder
    conflicts: str
    batch: str
    responses: str  # executemany INSERT (SQLite) or COPY (PostgreSQL)
    upserts: dict[str, str]  # aggregate table -> its adding upsert


def _columns_sql(names: Iterable[str]) -> str:
    return ", ".join(names)


def _values_sql(mark: str, count: int) -> str:
    return "(" + ", ".join([mark] * count) + ")"


_PG_ARRAY_TYPES = {"VARCHAR": "text[]", "TEXT": "text[]", "DATE": "date[]", "BOOLEAN": "boolean[]",
                   "INTEGER": "integer[]", "BIGINT": "bigint[]"}


@lru_cache(maxsize=None)
def _sql(dialect: str) -> _Sql:
    mark = "%s" if dialect == "postgresql" else "?"
    conflict_columns = ("response_id", "kiosk_id", "batch_id", "received_at", "content_hash", "body")
    batch_columns = ("id", "kiosk_id", "source", "received_at", "accepted", "duplicate", "conflict", "invalid")
    if dialect == "postgresql":
        responses = f"COPY responses ({_columns_sql(RESPONSE_COLUMNS)}) FROM STDIN"
    else:
        responses = (f"INSERT INTO responses ({_columns_sql(RESPONSE_COLUMNS)}) "
                     f"VALUES {_values_sql(mark, len(RESPONSE_COLUMNS))}")
    upserts = {}
    for table, keys in AGGREGATE_TABLES:
        values = _aggregate_values(table, keys)
        columns = (*keys, *values)
        adding = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in values)
        if dialect == "postgresql":
            arrays = ", ".join(f"{mark}::{_pg_array_type(table.c[c])}" for c in columns)
            source = f"SELECT * FROM unnest({arrays}) AS d ({_columns_sql(columns)}) ORDER BY {_columns_sql(keys)}"
        else:
            source = f"VALUES {_values_sql(mark, len(columns))}"
        upserts[table.name] = (f"INSERT INTO {table.name} ({_columns_sql(columns)}) {source} "
                               f"ON CONFLICT ({_columns_sql(keys)}) DO UPDATE SET {adding}")
    return _Sql(dialect, mark,
                conflicts=f"INSERT INTO conflicts ({_columns_sql(conflict_columns)}) "
                          f"VALUES {_values_sql(mark, len(conflict_columns))}",
                batch=f"INSERT INTO batches ({_columns_sql(batch_columns)}) "
                      f"VALUES {_values_sql(mark, len(batch_columns))} ON CONFLICT (id) DO NOTHING",
                responses=responses, upserts=upserts)


def _pg_array_type(column) -> str:
    from sqlalchemy.dialects import postgresql
    return _PG_ARRAY_TYPES[column.type.compile(dialect=postgresql.dialect()).split("(")[0]]


def sqlite_values(row: tuple) -> tuple:
    """A ``response_values`` tuple as SQLite keeps it: the UUIDs and the content hash as BLOBs (what the
    column types of ``schema.responses`` do for Core statements; collector/columns.py)."""
    values = list(row)
    values[_ID], values[_KIOSK], values[_BATCH] = sqlite_uuid(row[_ID]), sqlite_uuid(row[_KIOSK]), \
        sqlite_uuid(row[_BATCH])
    values[_HASH] = sqlite_hex(row[_HASH])
    return tuple(values)


def _insert_responses(conn: Connection, sql: _Sql, rows: list[tuple]) -> None:
    if sql.dialect != "postgresql":
        conn.exec_driver_sql(sql.responses, [sqlite_values(row) for row in rows])
        return
    import psycopg
    try:
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(sql.responses) as copy:
                for row in rows:
                    copy.write_row(row)
    except psycopg.Error as error:  # wrapped as SQLAlchemy wraps what goes through it
        raise exc.DBAPIError.instance(sql.responses, None, error, psycopg.Error, dialect=conn.dialect) from error


# -- claiming ids ----------------------------------------------------------------------------------------

_CLAIM_CHUNK = 500


def claim(conn: Connection, keys: Sequence[tuple[str, str]]) -> tuple[set[str], dict[str, str]]:
    """Of (id, content hash) pairs: the ids this transaction takes (not stored before), and the stored
    content hash of the others. In one statement on PostgreSQL (another transaction taking the same id at
    the same moment waits on the key, then finds it)."""
    if not keys:
        return set(), {}
    ids = [response_id for response_id, _digest in keys]
    if conn.dialect.name == "postgresql":
        pairs = sorted(dict(keys).items())
        inserted: set[str] = set(conn.exec_driver_sql(
            "INSERT INTO response_keys (id, content_hash) SELECT id, content_hash FROM unnest(%s::text[], "
            "%s::text[]) AS k (id, content_hash) ORDER BY id ON CONFLICT (id) DO NOTHING RETURNING id",
            ([i for i, _h in pairs], [h for _i, h in pairs])).scalars())
        others = [i for i in ids if i not in inserted]
        stored: dict[str, str] = {}
        if others:
            stored.update(conn.exec_driver_sql("SELECT id, content_hash FROM response_keys WHERE id = ANY(%s)",
                                               (others,)).all())
        return inserted, stored
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so what it does not find stored, no one
    # else stores before it commits; a unique key broken all the same fails the insert and nothing is kept.
    stored = {}
    for i in range(0, len(ids), _CLAIM_CHUNK):
        chunk = ids[i:i + _CLAIM_CHUNK]
        stored.update((uuid_text(key), hex_text(digest)) for key, digest in conn.exec_driver_sql(
            f"SELECT id, content_hash FROM {SQLITE_KEYS} WHERE id IN ({', '.join('?' * len(chunk))})",
            tuple(map(sqlite_uuid, chunk))))
    return {i for i in ids if i not in stored}, stored


SQLITE_KEYS = "responses"  # its primary key is the id (no response_keys on SQLite since m013)


# -- aggregates ------------------------------------------------------------------------------------------

AGGREGATE_TABLES = ((t.daily_aggregates, t.AGGREGATE_KEY), (t.monthly_aggregates, t.MONTHLY_KEY),
                    (t.hourly_aggregates, ("unit", "day", "hour", "suspect")),
                    (t.officer_daily, ("officer", "unit", "day", "suspect")))


def _aggregate_values(table, keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.name for c in table.c if c.name not in keys)


def _layout(table, keys: tuple[str, ...]) -> tuple[int, list[int], list[list[int]]]:
    """Where a table's value list keeps its sums and its score counts: (size, sum index per unsur,
    [unused, count index of score 1..4] per unsur)."""
    names = _aggregate_values(table, keys)
    position = {name: i for i, name in enumerate(names)}
    sums = [position.get(f"{code}_sum", -1) for code in CODES]
    counts = [[-1, *(position.get(f"{code}_{s}", -1) for s in (1, 2, 3, 4))] for code in CODES]
    return len(names), sums, counts


_DAILY = _layout(t.daily_aggregates, t.AGGREGATE_KEY)
# The monthly rows are the daily ones summed per month: the same value columns, in the same order.
assert _aggregate_values(t.monthly_aggregates, t.MONTHLY_KEY) == _aggregate_values(t.daily_aggregates, t.AGGREGATE_KEY)
_OFFICER = _layout(t.officer_daily, ("officer", "unit", "day", "suspect"))
_DAILY_NAMES = _aggregate_values(t.daily_aggregates, t.AGGREGATE_KEY)
_DAILY_PROFILE = [{value: _DAILY_NAMES.index(t.PROFILE_COLUMNS[(f.name, value)]) for value in (*f.values, None)}
                  for f in PROFILE]
_COLUMN = {name: i for i, name in enumerate(RESPONSE_COLUMNS)}
_FIRST_CODE, _FIRST_PROFILE = _COLUMN[CODES[0]], _COLUMN[_PROFILE_NAMES[0]]
assert RESPONSE_COLUMNS[_FIRST_CODE:_FIRST_CODE + len(CODES)] == CODES
assert RESPONSE_COLUMNS[_FIRST_PROFILE:_FIRST_PROFILE + len(PROFILE)] == _PROFILE_NAMES


def aggregate_values(rows: Iterable[tuple]) -> dict[str, dict[tuple, list[int]]]:
    """The aggregate deltas of response rows (``response_values`` tuples), per aggregate table: key -> the
    values of its non-key columns, in table order (what ``aggregates.aggregate_rows`` gives, flat)."""
    daily: dict[tuple, list[int]] = {}
    monthly: dict[tuple, list[int]] = {}
    hourly: dict[tuple, list[int]] = {}
    officer: dict[tuple, list[int]] = {}
    unit_at, service_at, counter_at, channel_at = _COLUMN["unit"], _COLUMN["service"], _COLUMN["counter"], \
        _COLUMN["channel"]
    officer_at, hour_at, suspect_at = _COLUMN["officer"], _COLUMN["local_hour"], _COLUMN["suspect"]
    first_code, last_code = _FIRST_CODE, _FIRST_CODE + len(CODES)
    first_profile, last_profile = _FIRST_PROFILE, _FIRST_PROFILE + len(PROFILE)
    daily_size, daily_sums, daily_counts = _DAILY
    officer_size, officer_sums, officer_counts = _OFFICER
    profile_at = _DAILY_PROFILE
    unsur = range(len(CODES))
    for row in rows:
        unit, day, suspect = row[unit_at], row[_DAY], bool(row[suspect_at])
        scores = row[first_code:last_code]
        total = sum(scores)
        key: tuple = (unit, row[service_at], row[counter_at], row[channel_at], day, suspect)
        cells = daily.get(key)
        if cells is None:
            cells = daily[key] = [0] * daily_size
        cells[0] += 1
        for i in unsur:
            score = scores[i]
            cells[daily_sums[i]] += score
            cells[daily_counts[i][score]] += 1
        for field, value in enumerate(row[first_profile:last_profile]):
            cells[profile_at[field][value]] += 1
        key = (unit, day, row[hour_at], suspect)
        cells = hourly.get(key)
        if cells is None:
            cells = hourly[key] = [0, 0]
        cells[0] += 1
        cells[1] += total
        if row[officer_at]:
            key = (row[officer_at], unit, day, suspect)
            cells = officer.get(key)
            if cells is None:
                cells = officer[key] = [0] * officer_size
            cells[0] += 1
            cells[1] += total
            cells[2] += total * total
            for i in unsur:
                score = scores[i]
                cells[officer_sums[i]] += score
                cells[officer_counts[i][score]] += 1
    for (unit, service, counter, channel, day, suspect), cells in daily.items():  # a few keys a batch
        key = (unit, service, counter, channel, day[:8] + "01", suspect)  # the month's first day
        month = monthly.get(key)
        if month is None:
            monthly[key] = list(cells)
        else:
            for i, n in enumerate(cells):
                month[i] += n
    return {t.daily_aggregates.name: daily, t.monthly_aggregates.name: monthly, t.hourly_aggregates.name: hourly,
            t.officer_daily.name: officer}


def add_rows_to_aggregates(conn: Connection, rows: Iterable[tuple]) -> None:
    """Add the response rows to every aggregate: one statement per table, its keys in order, so that
    concurrent ingests lock the rows they share in the same order (no deadlock on PostgreSQL)."""
    sql = _sql(conn.dialect.name)
    for name, deltas in aggregate_values(rows).items():
        if not deltas:
            continue
        if sql.dialect == "postgresql":
            records = [(*key, *deltas[key]) for key in deltas]
            conn.exec_driver_sql(sql.upserts[name], tuple(list(column) for column in zip(*records)))
        else:
            conn.exec_driver_sql(sql.upserts[name], [(*key, *deltas[key]) for key in sorted(deltas)])
