"""Every SQL statement of the collector: the organisation tree, kiosks, ingest and the daily aggregates
(the schema's revisions are in ``collector.migrations``). SQLAlchemy Core, so the same code runs on SQLite (default) and PostgreSQL."""
from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, create_engine, event, exc, func, insert, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite

from skm import CODES, PROFILE, wire
from skm.wire import WireResponse

from . import schema as t


# -- engine --------------------------------------------------------------------------------------

def make_engine(url: str) -> Engine:
    """An engine for a database URL. SQLite gets WAL, synchronous=FULL and write transactions that take
    the lock up front (BEGIN IMMEDIATE), so concurrent ingests queue instead of failing midway."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


# -- monthly partitions (PostgreSQL) ---------------------------------------------------------------------

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


# -- the organisation tree ------------------------------------------------------------------------------

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


def save_pemda(engine: Engine, code: str, name: str) -> None:
    with engine.begin() as conn:
        upsert(conn, t.pemda, {"code": code, "name": name})


def save_opd(engine: Engine, code: str, pemda: str, name: str) -> None:
    with engine.begin() as conn:
        _require(conn, t.pemda, pemda, "pemda")
        upsert(conn, t.opd, {"code": code, "pemda": pemda, "name": name})


def save_unit(engine: Engine, code: str, opd: str, name: str, timezone_name: str = "Asia/Jakarta") -> None:
    ZoneInfo(timezone_name)  # raises for an unknown zone
    with engine.begin() as conn:
        _require(conn, t.opd, opd, "OPD")
        upsert(conn, t.units, {"code": code, "opd": opd, "name": name, "timezone": timezone_name})


def save_counter(engine: Engine, unit: str, code: str, name: str, services: list[tuple[str, str]]) -> None:
    """Add or replace a counter of a unit with its services (code, name); services are shared in the unit."""
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        position = conn.execute(select(func.count()).select_from(t.counters).where(t.counters.c.unit == unit)).scalar()
        existing = conn.execute(select(t.counters.c.position).where(
            (t.counters.c.unit == unit) & (t.counters.c.code == code))).scalar()
        upsert(conn, t.counters, {"unit": unit, "code": code, "name": name,
                                  "position": existing if existing is not None else position})
        conn.execute(t.counter_services.delete().where(
            (t.counter_services.c.unit == unit) & (t.counter_services.c.counter == code)))
        for i, (s_code, s_name) in enumerate(services):
            upsert(conn, t.services, {"unit": unit, "code": s_code, "name": s_name})
            conn.execute(insert(t.counter_services).values(unit=unit, counter=code, service=s_code, position=i))


def _require(conn: Connection, table, code: str, what: str) -> None:
    if conn.execute(select(table.c.code).where(table.c.code == code)).first() is None:
        raise NotFound(f"{what} {code!r} does not exist")


def org_tree(engine: Engine) -> list[dict]:
    """Pemda -> OPD -> unit -> counters with services, as nested dicts."""
    with engine.connect() as conn:
        pemdas = rows(conn.execute(select(t.pemda).order_by(t.pemda.c.code)))
        opds = rows(conn.execute(select(t.opd).order_by(t.opd.c.code)))
        units = rows(conn.execute(select(t.units).order_by(t.units.c.code)))
    for p in pemdas:
        p["opd"] = [o for o in opds if o["pemda"] == p["code"]]
        for o in p["opd"]:
            o["units"] = [u for u in units if u["opd"] == o["code"]]
            for u in o["units"]:
                u["counters"] = unit_counters(engine, u["code"])
    return pemdas


def get_unit(engine: Engine, code: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(t.units).where(t.units.c.code == code)).first()
    if row is None:
        raise NotFound(f"unit {code!r} does not exist")
    return dict(row._mapping)


def unit_counters(engine: Engine, unit: str) -> list[dict]:
    with engine.connect() as conn:
        result = conn.execute(
            select(t.counters.c.code, t.counters.c.name, t.services.c.code.label("s_code"),
                   t.services.c.name.label("s_name"))
            .select_from(t.counters.outerjoin(t.counter_services, (t.counter_services.c.unit == t.counters.c.unit)
                                              & (t.counter_services.c.counter == t.counters.c.code))
                         .outerjoin(t.services, (t.services.c.unit == t.counter_services.c.unit)
                                    & (t.services.c.code == t.counter_services.c.service)))
            .where(t.counters.c.unit == unit)
            .order_by(t.counters.c.position, t.counters.c.code, t.counter_services.c.position))
        counters: dict[str, dict] = {}
        for code, name, s_code, s_name in result:
            counter = counters.setdefault(code, {"code": code, "name": name, "services": []})
            if s_code:
                counter["services"].append({"code": s_code, "name": s_name})
    return list(counters.values())


def kiosk_config(engine: Engine, kiosk: Mapping[str, Any]) -> dict:
    """What a kiosk pulls when it syncs: its unit, counters and services."""
    unit = get_unit(engine, kiosk["unit"])
    return {"unit": {"code": unit["code"], "name": unit["name"], "timezone": unit["timezone"]},
            "counters": unit_counters(engine, unit["code"]),
            "officers": [{"nip": o["nip"], "name": o["name"], "pin_hash": o["pin_hash"]}
                         for o in unit_officers(engine, unit["code"])]}


# -- kiosks ---------------------------------------------------------------------------------------------------

ENROLL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


def add_kiosk(engine: Engine, unit: str, name: str | None = None, valid_days: int = 7) -> tuple[str, str]:
    """Register a kiosk for a unit; returns its id and a one-time enrollment code."""
    raw = "".join(secrets.choice(ENROLL_ALPHABET) for _ in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    kiosk_id = str(uuid.uuid4())
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        conn.execute(insert(t.kiosks).values(
            id=kiosk_id, unit=unit, name=name or f"kiosk {kiosk_id[:8]}", enroll_code_hash=_hash_code(code),
            enroll_expires_at=(datetime.now(timezone.utc) + timedelta(days=valid_days)).isoformat(),
            created_at=now_iso()))
    return kiosk_id, code


def enroll(engine: Engine, code: str) -> dict:
    """Exchange a one-time code for the kiosk's id and secret. The code works once."""
    with engine.begin() as conn:
        row = conn.execute(select(t.kiosks).where(t.kiosks.c.enroll_code_hash == _hash_code(code))).first()
        if row is None:
            raise Refused("enroll_code_unknown", "this enrollment code is unknown or was already used")
        kiosk = dict(row._mapping)
        if kiosk["revoked_at"]:
            raise Refused("revoked", "this kiosk was revoked")
        if datetime.fromisoformat(kiosk["enroll_expires_at"]) < datetime.now(timezone.utc):
            raise Refused("enroll_code_expired", "this enrollment code has expired; ask for a new one")
        secret = secrets.token_hex(32)
        conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk["id"]).values(
            secret=secret, enroll_code_hash=None, enrolled_at=now_iso()))
    return {**kiosk, "secret": secret}


def kiosks_by_reference(engine: Engine, reference: str) -> list[dict]:
    """The kiosk with this id, or for a compact receipt token every kiosk whose id starts with these
    8 hex digits (one, nearly always; the token's signature tells which)."""
    column = t.kiosks.c.id
    match = column == reference if len(reference) == 36 else column.startswith(reference, autoescape=True)
    with engine.connect() as conn:
        return rows(conn.execute(select(t.kiosks).where(match)))


def get_kiosk(engine: Engine, kiosk_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.kiosks).where(t.kiosks.c.id == kiosk_id)).first()
    return dict(row._mapping) if row else None


def list_kiosks(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return rows(conn.execute(select(t.kiosks).order_by(t.kiosks.c.unit, t.kiosks.c.created_at)))


def revoke_kiosk(engine: Engine, kiosk_id: str) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(
            revoked_at=now_iso(), enroll_code_hash=None))
    if done.rowcount == 0:
        raise NotFound(f"kiosk {kiosk_id!r} does not exist")


def touch_kiosk(engine: Engine, kiosk_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(last_seen_at=now_iso()))


# -- ingest ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    id: str
    status: str  # accepted | duplicate | conflict | invalid
    reason: str | None = None


def response_row(response: WireResponse, kiosk_id: str | None, zone: ZoneInfo, batch_id: str,
                 received_at: str, content_hash: str) -> dict:
    row = {
        "id": response.id, "kiosk_id": kiosk_id, "seq": response.seq, "unit": response.unit,
        "service": response.service, "counter": response.counter, "officer": response.officer,
        "channel": response.channel, "questionnaire_version": response.questionnaire_version,
        "comment": response.content.comment,
        "started_at": response.started_at.isoformat() if response.started_at else None,
        "submitted_at": response.submitted_at.isoformat(), "local_day": response.submitted_at.astimezone(zone).date(),
        "local_hour": response.submitted_at.astimezone(zone).hour,
        "duration_ms": response.duration_ms, "suspect": response.suspect, "suspect_reason": response.suspect_reason,
        "received_at": received_at, "batch_id": batch_id, "content_hash": content_hash,
    }
    row.update({code: response.content.answers[code] for code in CODES})
    row.update({f.name: response.content.profile.get(f.name) for f in PROFILE})
    return row


def ingest(engine: Engine, kiosk_id: str, batch_id: str, source: str, valid: list[tuple[WireResponse, str]],
           invalid: list[Outcome], zone: ZoneInfo) -> list[Outcome]:
    """Store a batch in one transaction: the new responses, their aggregates, conflicts kept aside.

    ``valid`` pairs each validated response with its content hash. Safe to run twice: a response
    already stored with the same content is a duplicate, with other content a conflict.

    The ids are taken in ``response_keys`` with one multi-row ``INSERT ... ON CONFLICT (id) DO NOTHING
    RETURNING id``: the ids it returns are the accepted ones, even when another transaction stores the
    same ids at the same time (PostgreSQL); the others are compared with the stored content hash. Then
    the accepted rows go into ``responses`` (partitioned by month on PostgreSQL). A database without
    ``INSERT ... RETURNING`` (SQLite before 3.35) takes the ids one row at a time.

    One response the database refuses although it passed validation (a limit of ``skm.limits`` out of
    step with a column) must not block the kiosk's outbox: the batch is then stored again one response
    at a time, each in its own savepoint, and the refused ones are answered ``invalid`` with the reason.
    A fault of the database itself (disk full, locked, gone) still fails the whole batch, to be resent.
    """
    received_at = now_iso()
    rows = [response_row(response, kiosk_id, zone, batch_id, received_at, digest) for response, digest in valid]
    prepare_for_days(engine, {row["local_day"] for row in rows})
    try:
        with engine.begin() as conn:
            outcomes = _store_responses(conn, kiosk_id, batch_id, received_at, valid, rows)
            return _record_batch(conn, kiosk_id, batch_id, source, received_at, invalid + outcomes)
    except REFUSED_VALUES as error:
        if not _refused_by_the_data(error):
            raise
    with engine.begin() as conn:
        outcomes = []
        for pair, row in zip(valid, rows):
            try:
                with conn.begin_nested():
                    outcomes.extend(_store_responses(conn, kiosk_id, batch_id, received_at, [pair], [row]))
            except REFUSED_VALUES as error:
                if not _refused_by_the_data(error):
                    raise
                outcomes.append(Outcome(row["id"], "invalid", f"the collector's database cannot store it: "
                                                              f"{_first_line(error)}"))
        return _record_batch(conn, kiosk_id, batch_id, source, received_at, invalid + outcomes)


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
                     valid: list[tuple[WireResponse, str]], rows: list[dict]) -> list[Outcome]:
    """Claim the ids, insert the new responses and their aggregates, keep conflicts aside."""
    outcomes: dict[str, Outcome] = {}
    inserted = _claim_ids(conn, rows)
    stored = _stored_hashes(conn, [row["id"] for row in rows if row["id"] not in inserted])
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
            conflicts.append({"response_id": response.id, "kiosk_id": kiosk_id, "batch_id": batch_id,
                              "received_at": received_at, "content_hash": digest,
                              "body": json.dumps(dict(response.data), ensure_ascii=False)})
            outcomes[response.id] = Outcome(response.id, "conflict", "conflict")
    if conflicts:
        conn.execute(insert(t.conflicts), conflicts)
    if new_rows:
        conn.execute(insert(t.responses), new_rows)
    add_to_aggregates(conn, aggregate_rows(new_rows))
    return list(outcomes.values())


def _record_batch(conn: Connection, kiosk_id: str, batch_id: str, source: str, received_at: str,
                  outcomes: list[Outcome]) -> list[Outcome]:
    """The batch's record with its counts; a resent batch keeps its first record. One outcome per id."""
    outcomes = list({o.id: o for o in outcomes}.values())
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status] += 1
    conn.execute(_insert(conn, t.batches).values(
        id=batch_id, kiosk_id=kiosk_id, source=source, received_at=received_at, accepted=counts["accepted"],
        duplicate=counts["duplicate"], conflict=counts["conflict"], invalid=counts["invalid"],
    ).on_conflict_do_nothing(index_elements=["id"]))
    return outcomes


def _claim_ids(conn: Connection, rows: list[dict]) -> set[str]:
    """Take the ids not stored yet, in multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING``; return
    them. Another transaction taking the same id at the same moment waits on the key, then finds it."""
    if not rows:
        return set()
    keys = [{"id": row["id"], "content_hash": row["content_hash"]} for row in rows]
    stmt = _insert(conn, t.response_keys).on_conflict_do_nothing(index_elements=["id"])
    if conn.dialect.insert_returning and conn.dialect.use_insertmanyvalues:
        return set(conn.execute(stmt.returning(t.response_keys.c.id), keys).scalars())
    return {key["id"] for key in keys if conn.execute(stmt.values(**key)).rowcount == 1}


def _stored_hashes(conn: Connection, ids: list[str], chunk: int = 500) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for i in range(0, len(ids), chunk):
        result = conn.execute(select(t.response_keys.c.id, t.response_keys.c.content_hash)
                              .where(t.response_keys.c.id.in_(ids[i:i + chunk])))
        hashes.update((response_id, digest) for response_id, digest in result)
    return hashes


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
    with engine.connect() as conn:
        return rows(conn.execute(select(t.daily_aggregates).order_by(*[t.daily_aggregates.c[k]
                                                                       for k in t.AGGREGATE_KEY])))


def all_aggregates(engine: Engine) -> tuple[list[dict], ...]:
    """Every kind of aggregate row, for checking that a rebuild gives what the incremental path gave."""
    return aggregates(engine), hourly(engine), officer_aggregates(engine), monthly(engine)


def monthly(engine: Engine) -> list[dict]:
    table = t.monthly_aggregates
    with engine.connect() as conn:
        return rows(conn.execute(select(table).order_by(table.c.unit, table.c.month, table.c.suspect)))


def officer_aggregates(engine: Engine) -> list[dict]:
    table = t.officer_daily
    with engine.connect() as conn:
        return rows(conn.execute(select(table).order_by(table.c.officer, table.c.unit, table.c.day, table.c.suspect)))


def hourly(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        table = t.hourly_aggregates
        return rows(conn.execute(select(table).order_by(table.c.unit, table.c.day, table.c.hour, table.c.suspect)))


def response_count(engine: Engine, **where: Any) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(t.responses)
        for column, value in where.items():
            stmt = stmt.where(t.responses.c[column] == value)
        return conn.execute(stmt).scalar()


def response_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.responses.c.id))]


def conflict_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.conflicts)).scalar()


def known_codes(engine: Engine, unit: str) -> tuple[set[str], set[str]]:
    """The counter codes and service codes registered for a unit."""
    with engine.connect() as conn:
        counters = {r[0] for r in conn.execute(select(t.counters.c.code).where(t.counters.c.unit == unit))}
        services = {r[0] for r in conn.execute(select(t.services.c.code).where(t.services.c.unit == unit))}
    return counters, services


# -- dashboard reads: aggregates only, except comments and exports -----------------------------------------

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


def units_under(engine: Engine, level: str, code: str) -> list[str]:
    """The unit codes of a unit, an OPD or a pemda, for pooling."""
    u, o = t.units, t.opd
    stmt = {"unit": select(u.c.code).where(u.c.code == code),
            "opd": select(u.c.code).where(u.c.opd == code),
            "pemda": select(u.c.code).join(o, o.c.code == u.c.opd).where(o.c.pemda == code)}[level]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt.order_by(u.c.code))]


def all_units(engine: Engine) -> list[dict]:
    """Every unit with its OPD and pemda names, in tree order."""
    u, o, p = t.units, t.opd, t.pemda
    stmt = (select(u, o.c.name.label("opd_name"), o.c.pemda, p.c.name.label("pemda_name"))
            .join(o, o.c.code == u.c.opd).join(p, p.c.code == o.c.pemda).order_by(p.c.code, o.c.code, u.c.code))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def service_names(engine: Engine, unit: str) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(t.services.c.code, t.services.c.name).where(t.services.c.unit == unit)).all())


def counter_names(engine: Engine, unit: str) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(t.counters.c.code, t.counters.c.name).where(t.counters.c.unit == unit)).all())


# -- populations and follow-up plans ----------------------------------------------------------------------------

def population(engine: Engine, unit: str, period: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(t.populations.c.recipients).where(
            (t.populations.c.unit == unit) & (t.populations.c.period == period))).scalar()


def populations(engine: Engine, units: Iterable[str], period: str) -> dict[str, int]:
    p = t.populations
    with engine.connect() as conn:
        return dict(conn.execute(select(p.c.unit, p.c.recipients).where(p.c.unit.in_(list(units)),
                                                                          p.c.period == period)).all())


def set_population(engine: Engine, unit: str, period: str, recipients: int, by: str) -> None:
    with engine.begin() as conn:
        upsert(conn, t.populations, {"unit": unit, "period": period, "recipients": recipients, "updated_by": by,
                                     "updated_at": now_iso()})


def set_monthly_volume(engine: Engine, unit: str, volume: int | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.units).where(t.units.c.code == unit).values(monthly_volume=volume))


def followups(engine: Engine, unit: str, period: str) -> list[dict]:
    f = t.followups
    with engine.connect() as conn:
        return rows(conn.execute(select(f).where((f.c.unit == unit) & (f.c.period == period)).order_by(f.c.id)))


def add_followup(engine: Engine, unit: str, period: str, unsur: str, action: str, person: str,
                 deadline: date | None, status: str, by: str) -> int:
    with engine.begin() as conn:
        result = conn.execute(insert(t.followups).values(
            unit=unit, period=period, unsur=unsur, action=action, person=person, deadline=deadline, status=status,
            updated_by=by, updated_at=now_iso()))
        return result.inserted_primary_key[0]


def set_followup_status(engine: Engine, unit: str, followup_id: int, status: str, by: str) -> bool:
    f = t.followups
    with engine.begin() as conn:
        done = conn.execute(update(f).where((f.c.id == followup_id) & (f.c.unit == unit)).values(
            status=status, updated_by=by, updated_at=now_iso()))
    return done.rowcount == 1


# -- users and the audit log ---------------------------------------------------------------------------------------

def save_user(engine: Engine, username: str, name: str, password_hash: str, role: str, units: list[str]) -> None:
    with engine.begin() as conn:
        for unit in units:
            _require(conn, t.units, unit, "unit")
        upsert(conn, t.users, {"username": username, "name": name, "password_hash": password_hash, "role": role,
                               "created_at": now_iso(), "failed_logins": 0, "next_attempt_at": None,
                               "disabled": False})
        conn.execute(t.user_units.delete().where(t.user_units.c.username == username))
        for unit in units:
            conn.execute(insert(t.user_units).values(username=username, unit=unit))


def get_user(engine: Engine, username: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        if row is None:
            return None
        user = dict(row._mapping)
        user["units"] = [r[0] for r in conn.execute(select(t.user_units.c.unit).where(
            t.user_units.c.username == username).order_by(t.user_units.c.unit))]
    return user


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(select(t.users.c.username).order_by(t.users.c.username))]
    return [get_user(engine, n) for n in names]


def record_login_failure(engine: Engine, username: str, next_attempt_at: str | None) -> int:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(
            failed_logins=t.users.c.failed_logins + 1, next_attempt_at=next_attempt_at))
        return conn.execute(select(t.users.c.failed_logins).where(t.users.c.username == username)).scalar() or 0


def record_login_success(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(failed_logins=0,
                                                                                   next_attempt_at=None))


def audit(engine: Engine, action: str, username: str | None, target: str | None = None, detail: str | None = None,
          ip: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.audit_log).values(at=now_iso(), username=username, action=action, target=target,
                                                detail=detail, ip=ip))


def audit_entries(engine: Engine, limit: int = 200, action: str | None = None) -> list[dict]:
    a = t.audit_log
    stmt = select(a).order_by(a.c.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(a.c.action == action)
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


# -- QR receipts and the public survey ----------------------------------------------------------------------

def record_public_response(engine: Engine, row: dict, receipt: tuple[str, str] | None) -> bool:
    """Store a response from the public survey with its aggregates, in one transaction. With a receipt
    (kiosk id, nonce), the receipt is taken in the same transaction: False when it was already used."""
    prepare_for_days(engine, [row["local_day"]])
    try:
        with engine.begin() as conn:
            if not _claim_ids(conn, [row]):
                raise _AlreadyAnswered  # the same page sent twice: its first answer stands
            if receipt is not None:
                taken = conn.execute(_insert(conn, t.used_receipts).values(
                    kiosk_id=receipt[0], nonce=receipt[1], response_id=row["id"], used_at=now_iso(),
                ).on_conflict_do_nothing(index_elements=["kiosk_id", "nonce"]).returning(t.used_receipts.c.nonce)
                ).first()
                if taken is None:
                    raise _AlreadyAnswered
            conn.execute(insert(t.responses).values(**row))
            add_to_aggregates(conn, aggregate_rows([row]))
    except _AlreadyAnswered:
        return False  # rolled back: nothing of this attempt stays
    return True


class _AlreadyAnswered(Exception):
    pass


def is_stored_as(engine: Engine, row: Mapping[str, Any]) -> bool:
    """Whether the response with ``row``'s id holds the same answers from the same opened page (its start
    time comes from the page's signed ticket): a repeated submission, not another citizen's answer."""
    r = t.responses
    with engine.connect() as conn:
        stored = conn.execute(select(r.c.content_hash, r.c.started_at).where(r.c.id == row["id"])).first()
    return stored is not None and tuple(stored) == (row["content_hash"], row["started_at"])


def receipt_used(engine: Engine, kiosk_id: str, nonce: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(t.used_receipts.c.nonce).where(
            (t.used_receipts.c.kiosk_id == kiosk_id) & (t.used_receipts.c.nonce == nonce))).first() is not None


def store_receipts_issued(engine: Engine, kiosk: Mapping[str, Any], receipts: list[dict], zone: ZoneInfo) -> int:
    """Record the receipt tokens a kiosk reports as issued, with the short code of compact ones (computed
    here with the kiosk's key, not taken from the report); a report sent twice counts once."""
    rows = [{"kiosk_id": kiosk["id"], "nonce": r["nonce"], "unit": kiosk["unit"], "counter": r["counter"],
             "service": r["service"], "issued_at": datetime.fromtimestamp(r["issued_at"], timezone.utc).isoformat(),
             "day": datetime.fromtimestamp(r["issued_at"], zone).date(),
             "code": wire.receipt_code(kiosk["secret"], r["nonce"]) if wire.is_compact_nonce(r["nonce"]) else None}
            for r in receipts]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(_insert(conn, t.receipts_issued).values(**row).on_conflict_do_nothing(
                index_elements=["kiosk_id", "nonce"]))
    return len(rows)


def receipts_with_code(engine: Engine, unit: str, code: str, since: date) -> list[dict]:
    """The receipts of a unit issued on or after ``since`` whose short code is ``code`` (one, nearly always)."""
    r = t.receipts_issued
    with engine.connect() as conn:
        return rows(conn.execute(select(r).where((r.c.unit == unit) & (r.c.code == code) & (r.c.day >= since))))


def receipts_issued_count(engine: Engine, units: Iterable[str], start: date, end: date) -> int:
    r = t.receipts_issued
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(r).where(
            r.c.unit.in_(list(units)), r.c.day >= start, r.c.day < end)).scalar()


def receipts_answered_count(engine: Engine, units: Iterable[str], start: date, end: date) -> int:
    """Receipt tokens issued in the period that have been answered (at any time since)."""
    r, u = t.receipts_issued, t.used_receipts
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(r.join(
            u, (u.c.kiosk_id == r.c.kiosk_id) & (u.c.nonce == r.c.nonce))).where(
            r.c.unit.in_(list(units)), r.c.day >= start, r.c.day < end)).scalar()


def allow_hit(engine: Engine, key: str, window_seconds: int, limit: int, now: int | None = None) -> bool:
    """Count one hit on ``key`` in the current fixed window; False once more than ``limit`` came in it."""
    now = int(now if now is not None else time.time())
    start = now - now % window_seconds
    table = t.rate_limits
    with engine.begin() as conn:
        stmt = _insert(conn, table).values(key=key, window_start=start, hits=1)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "hits": case((table.c.window_start == start, table.c.hits + 1), else_=1),
            "window_start": start})
        conn.execute(stmt)
        hits = conn.execute(select(table.c.hits).where(table.c.key == key)).scalar()
    return hits <= limit


# -- copying a collector to another database (a city's SQLite to a province's PostgreSQL) -------------------

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
    for table in t.metadata.sorted_tables:
        count = 0
        with source.connect() as read, target.begin() as write:
            result = read.execute(select(table).execution_options(yield_per=chunk))
            for part in result.partitions():
                batch = [dict(r._mapping) for r in part]
                write.execute(insert(table), batch)
                count += len(batch)
                if progress:
                    progress(table.name, count)
        copied[table.name] = count
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
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar()
                for table in t.metadata.sorted_tables}



# -- officers --------------------------------------------------------------------------------------------------

def save_officer(engine: Engine, nip: str, name: str, unit: str, pin_hash: str) -> None:
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        upsert(conn, t.officers, {"nip": nip, "name": name, "unit": unit, "pin_hash": pin_hash, "active": True})


def get_officer(engine: Engine, nip: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.officers).where(t.officers.c.nip == nip)).first()
    return dict(row._mapping) if row else None


def unit_officers(engine: Engine, unit: str) -> list[dict]:
    with engine.connect() as conn:
        return rows(conn.execute(select(t.officers).where((t.officers.c.unit == unit) & t.officers.c.active.is_(True))
                                 .order_by(t.officers.c.name)))


def officer_totals(engine: Engine, officers: Iterable[str], start: date, end: date,
                   group_by: tuple[str, ...] = ("officer",)) -> list[dict]:
    """Sums of the officers' daily figures (trusted responses only) over [start, end)."""
    table = t.officer_daily
    columns = ("responses", "score_sum", "score_sq_sum", *(f"{c}_sum" for c in CODES), *t.SCORE_COLUMNS)
    keys = [table.c[g] for g in group_by]
    stmt = (select(*keys, *[func.sum(table.c[c]).label(c) for c in columns])
            .where(table.c.officer.in_(list(officers)), table.c.day >= start, table.c.day < end,
                   table.c.suspect.is_(False)).group_by(*keys))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def officer_comments(engine: Engine, officer: str, start: date, end: date, limit: int = 50) -> list[dict]:
    r = t.responses
    stmt = (select(r.c.submitted_at, r.c.service, r.c.counter, r.c.comment)
            .where(r.c.officer == officer, r.c.local_day >= start, r.c.local_day < end, r.c.comment.is_not(None),
                   r.c.comment != "").order_by(r.c.local_day.desc(), r.c.submitted_at.desc()).limit(limit))
    with engine.connect() as conn:
        return rows(conn.execute(stmt))


def add_officer_note(engine: Engine, officer: str, period: str, note: str, by: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.officer_notes).values(officer=officer, period=period, note=note, created_by=by,
                                                    created_at=now_iso()))


def officer_notes(engine: Engine, officer: str, period: str) -> list[dict]:
    n = t.officer_notes
    with engine.connect() as conn:
        return rows(conn.execute(select(n).where((n.c.officer == officer) & (n.c.period == period)).order_by(n.c.id)))


def set_officer_ranking(engine: Engine, unit: str, enabled: bool) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.units).where(t.units.c.code == unit).values(officer_ranking=enabled))
    if done.rowcount == 0:
        raise NotFound(f"unit {unit!r} does not exist")


def link_user_to_officer(engine: Engine, username: str, nip: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(officer=nip))


# -- readiness ------------------------------------------------------------------------------------------------

def schema_is_current(engine: Engine) -> bool:
    """Whether the database answers and its schema is at head: every entry of ``MIGRATIONS`` is recorded.
    The one place that knows what "at head" means (for /readyz); cheap, it reads no response."""
    with engine.connect() as conn:
        conn.execute(select(1))
        if not inspect(conn).has_table(t.migrations.name):
            return False
        applied = set(conn.execute(select(t.migrations.c.name)).scalars())
    return all(name in applied for name, _step in MIGRATIONS)

