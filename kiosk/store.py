"""The kiosk's local store (sqlite-utils): configuration, responses with their outbox state, abandonments.

Durability first: WAL with ``synchronous=FULL``, so a response is on disk when ``record_response``
returns; every write that belongs together runs in one ``BEGIN IMMEDIATE`` transaction. Schema changes
are recorded migrations, applied in order at start-up and never dropping anything.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

import sqlite_utils

from skm import CODES, PROFILE
from skmweb import backups

SCHEMA_MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    SCHEMA_MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["counters"].create({"code": str, "name": str, "position": int}, pk="code")
    db["services"].create({"code": str, "name": str}, pk="code")
    db["counter_services"].create({"counter": str, "service": str, "position": int}, pk=("counter", "service"),
                                  foreign_keys=[("counter", "counters", "code"), ("service", "services", "code")])
    columns: dict[str, Any] = {
        "id": str, "seq": int, "kiosk_id": str, "unit": str, "service": str, "counter": str, "officer": str,
        "channel": str, "questionnaire_version": str,
    }
    columns.update({code: int for code in CODES})
    columns.update({field.name: str for field in PROFILE})
    columns.update({
        "comment": str, "started_at": str, "submitted_at": str, "duration_ms": int, "suspect": int,
        "suspect_reason": str, "sync_state": str, "synced_at": str, "sync_note": str,
    })
    db["responses"].create(columns, pk="id", not_null={"seq", "counter", "service", "submitted_at", *CODES},
                           defaults={"suspect": 0, "sync_state": "pending", "channel": "kiosk"})
    db["responses"].create_index(["seq"], unique=True)
    db["responses"].create_index(["sync_state", "seq"])
    db["responses"].create_index(["counter", "submitted_at"])
    db["abandonments"].create({"id": str, "counter": str, "service": str, "reached": str, "step": int,
                               "started_at": str, "abandoned_at": str}, pk="id")


@migration
def m002_receipts(db: sqlite_utils.Database) -> None:
    """Receipt tokens issued for the QR survey, kept so the collector can count answers per token issued."""
    db["receipts"].create({"nonce": str, "counter": str, "service": str, "issued_at": int, "sync_state": str},
                          pk="nonce", defaults={"sync_state": "pending"}, not_null={"counter", "service", "issued_at"})
    db["receipts"].create_index(["sync_state"])


@migration
def m003_officers(db: sqlite_utils.Database) -> None:
    """Officers of the unit (from the collector) and their shifts at the counters."""
    db["officers"].create({"nip": str, "name": str, "pin_hash": str}, pk="nip")
    db["shifts"].create({"id": int, "nip": str, "counter": str, "started_at": str, "ended_at": str}, pk="id",
                        not_null={"nip", "counter", "started_at"})
    db["shifts"].create_index(["counter", "ended_at"])


class StoreError(Exception):
    """The kiosk store was asked for something it cannot do."""


class UnknownCounter(StoreError):
    pass


def connect(path: str) -> sqlite_utils.Database:
    """Open the store with the durability settings; callers close ``db.conn``."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return sqlite_utils.Database(conn)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken up front so concurrent writers queue instead of failing midway."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:  # SQLite has already rolled back after a full disk or an I/O error
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    done = []
    for name, step in SCHEMA_MIGRATIONS:
        if name in applied:
            continue
        with transaction(db):
            step(db)
            db.conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now_iso()))
        done.append(name)
    return done


def now_iso(tz=None) -> str:
    return datetime.now(tz).astimezone(tz).isoformat(timespec="milliseconds")


# -- settings and configuration ------------------------------------------------------------------------

def get_setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_settings(db: sqlite_utils.Database, **values: str) -> None:
    with transaction(db):
        for key, value in values.items():
            db.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


@dataclass(frozen=True)
class Service:
    code: str
    name: str


@dataclass(frozen=True)
class Counter:
    code: str
    name: str
    services: tuple[Service, ...]


def save_configuration(db: sqlite_utils.Database, unit: dict[str, str], counters: list[Counter]) -> None:
    """Replace the unit and its counters and services (from ``skm kiosk init`` or the collector).

    Responses keep the codes they were recorded with, so replacing the configuration loses nothing.
    """
    with transaction(db):
        for key in ("code", "name", "timezone"):
            db.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"unit_{key}", unit[key]))
        db.conn.execute("DELETE FROM counter_services")
        db.conn.execute("DELETE FROM counters")
        db.conn.execute("DELETE FROM services")
        services = {s.code: s for c in counters for s in c.services}
        db["services"].insert_all([{"code": s.code, "name": s.name} for s in services.values()])
        db["counters"].insert_all([{"code": c.code, "name": c.name, "position": i} for i, c in enumerate(counters)])
        db["counter_services"].insert_all([{"counter": c.code, "service": s.code, "position": i}
                                           for c in counters for i, s in enumerate(c.services)])


def unit(db: sqlite_utils.Database) -> dict[str, str | None]:
    return {key: get_setting(db, f"unit_{key}") for key in ("code", "name", "timezone")}


def is_configured(db: sqlite_utils.Database) -> bool:
    return get_setting(db, "unit_code") is not None


def counters(db: sqlite_utils.Database) -> list[Counter]:
    rows = db.conn.execute(
        "SELECT c.code, c.name, s.code, s.name FROM counters c "
        "LEFT JOIN counter_services cs ON cs.counter = c.code LEFT JOIN services s ON s.code = cs.service "
        "ORDER BY c.position, cs.position").fetchall()
    grouped: dict[str, tuple[str, list[Service]]] = {}
    for code, name, service_code, service_name in rows:
        grouped.setdefault(code, (name, []))
        if service_code:
            grouped[code][1].append(Service(service_code, service_name))
    return [Counter(code, name, tuple(services)) for code, (name, services) in grouped.items()]


def counter(db: sqlite_utils.Database, code: str) -> Counter:
    for c in counters(db):
        if c.code == code:
            return c
    raise UnknownCounter(code)


# -- responses --------------------------------------------------------------------------------------------

RESPONSE_FIELDS = ("id", "seq", "kiosk_id", "unit", "service", "counter", "officer", "channel",
                   "questionnaire_version", *CODES, *(f.name for f in PROFILE), "comment", "started_at",
                   "submitted_at", "duration_ms", "suspect", "suspect_reason", "sync_state")


def record_response(db: sqlite_utils.Database, row: dict[str, Any],
                    suspicion: Callable[[sqlite_utils.Database, dict[str, Any]], str | None]) -> tuple[dict, bool]:
    """Store one response durably, once. Returns the stored row and whether it was new.

    The id is minted when the survey starts, so a double tap or a resend finds the first row and
    changes nothing. ``suspicion`` decides, inside the same transaction, whether the row is suspect.
    """
    with transaction(db):
        existing = get_response(db, row["id"])
        if existing is not None:
            return existing, False
        seq = db.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM responses").fetchone()[0]
        reason = suspicion(db, row)
        stored = {**row, "seq": seq, "suspect": int(reason is not None), "suspect_reason": reason,
                  "sync_state": "pending"}
        columns = [c for c in RESPONSE_FIELDS if c in stored]
        db.conn.execute(f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [stored[c] for c in columns])
    return get_response(db, row["id"]), True


def get_response(db: sqlite_utils.Database, response_id: str) -> dict | None:
    cursor = db.conn.execute("SELECT * FROM responses WHERE id = ?", (response_id,))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def count_recent(db: sqlite_utils.Database, counter_code: str, since_iso: str) -> int:
    """Responses at a counter submitted at or after ``since_iso`` (ISO 8601 strings in one offset compare)."""
    return db.conn.execute("SELECT COUNT(*) FROM responses WHERE counter = ? AND submitted_at >= ?",
                           (counter_code, since_iso)).fetchone()[0]


def record_abandonment(db: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    """Count a survey left mid-way, once per survey id. Returns whether it was new."""
    with transaction(db):
        if get_response(db, row["id"]) is not None:
            return False  # it was finished after all
        cursor = db.conn.execute(
            "INSERT OR IGNORE INTO abandonments (id, counter, service, reached, step, started_at, abandoned_at) "
            "VALUES (:id, :counter, :service, :reached, :step, :started_at, :abandoned_at)", row)
        return cursor.rowcount == 1


# -- the staff page ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterToday:
    code: str
    name: str
    responses: int
    suspect: int
    abandoned: int


def today_per_counter(db: sqlite_utils.Database, day_start_iso: str, day_end_iso: str) -> list[CounterToday]:
    rows = db.conn.execute(
        "SELECT c.code, c.name, "
        " (SELECT COUNT(*) FROM responses r WHERE r.counter = c.code AND r.submitted_at >= :start "
        "  AND r.submitted_at < :end),"
        " (SELECT COUNT(*) FROM responses r WHERE r.counter = c.code AND r.suspect = 1 "
        "  AND r.submitted_at >= :start AND r.submitted_at < :end),"
        " (SELECT COUNT(*) FROM abandonments a WHERE a.counter = c.code AND a.abandoned_at >= :start "
        "  AND a.abandoned_at < :end) "
        "FROM counters c ORDER BY c.position", {"start": day_start_iso, "end": day_end_iso}).fetchall()
    return [CounterToday(*row) for row in rows]


def outbox_backlog(db: sqlite_utils.Database) -> int:
    return db.conn.execute("SELECT COUNT(*) FROM responses WHERE sync_state = 'pending'").fetchone()[0]


def abandoned_steps(db: sqlite_utils.Database, day_start_iso: str, day_end_iso: str) -> list[tuple[str, int]]:
    """Where today's abandoned surveys stopped: (step reached, count), most first."""
    return db.conn.execute(
        "SELECT reached, COUNT(*) FROM abandonments WHERE abandoned_at >= ? AND abandoned_at < ? "
        "GROUP BY reached ORDER BY COUNT(*) DESC, reached", (day_start_iso, day_end_iso)).fetchall()


def set_aside(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    """Responses the collector did not take (conflict or invalid), with its reason, newest first."""
    cursor = db.conn.execute("SELECT id, seq, counter, submitted_at, sync_state, sync_note FROM responses "
                             "WHERE sync_state IN ('conflict', 'invalid') ORDER BY seq DESC LIMIT ?", (limit,))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def last_sync(db: sqlite_utils.Database) -> dict | None:
    raw = get_setting(db, "last_sync")
    return json.loads(raw) if raw else None


def day_bounds(day_start: datetime) -> tuple[str, str]:
    return day_start.isoformat(timespec="milliseconds"), (day_start + timedelta(days=1)).isoformat(
        timespec="milliseconds")


# -- receipts ---------------------------------------------------------------------------------------------------

def record_receipt(db: sqlite_utils.Database, nonce: str, counter_code: str, service: str, issued_at: int) -> None:
    with transaction(db):
        db.conn.execute("INSERT INTO receipts (nonce, counter, service, issued_at) VALUES (?, ?, ?, ?)",
                        (nonce, counter_code, service, issued_at))


def pending_receipts(db: sqlite_utils.Database, limit: int) -> list[dict]:
    cursor = db.conn.execute("SELECT nonce, counter, service, issued_at FROM receipts WHERE sync_state = 'pending' "
                             "ORDER BY issued_at LIMIT ?", (limit,))
    return [dict(zip(("nonce", "counter", "service", "issued_at"), row)) for row in cursor]


def mark_receipts_synced(db: sqlite_utils.Database, nonces: list[str]) -> None:
    with transaction(db):
        db.conn.executemany("UPDATE receipts SET sync_state = 'synced' WHERE nonce = ?", [(n,) for n in nonces])


# -- backup and restore ---------------------------------------------------------------------------------------

def backup(db: sqlite_utils.Database, target: str) -> None:
    """A consistent copy of the live database (SQLite's online backup), safe while the kiosk runs."""
    backups.copy_database(db.conn, target)


def integrity(path: str) -> str:
    return backups.integrity(path)


# -- officers and shifts ---------------------------------------------------------------------------------------

def save_officers(db: sqlite_utils.Database, officers: list[dict]) -> None:
    """Replace the unit's officers with the collector's list; shifts keep the NIPs they were recorded with."""
    with transaction(db):
        db.conn.execute("DELETE FROM officers")
        db.conn.executemany("INSERT INTO officers (nip, name, pin_hash) VALUES (?, ?, ?)",
                            [(o["nip"], o["name"], o["pin_hash"]) for o in officers])


def officers(db: sqlite_utils.Database) -> list[dict]:
    cursor = db.conn.execute("SELECT nip, name, pin_hash FROM officers ORDER BY name")
    return [dict(zip(("nip", "name", "pin_hash"), row)) for row in cursor]


def check_in(db: sqlite_utils.Database, nip: str, counter_code: str, at: str) -> int:
    """Start a shift; ends the officer's open shift elsewhere and whoever was on duty at this counter."""
    with transaction(db):
        db.conn.execute("UPDATE shifts SET ended_at = ? WHERE ended_at IS NULL AND (nip = ? OR counter = ?)",
                        (at, nip, counter_code))
        cursor = db.conn.execute("INSERT INTO shifts (nip, counter, started_at) VALUES (?, ?, ?)",
                                 (nip, counter_code, at))
        return cursor.lastrowid


def check_out(db: sqlite_utils.Database, shift_id: int, at: str) -> bool:
    with transaction(db):
        return db.conn.execute("UPDATE shifts SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                               (at, shift_id)).rowcount == 1


def on_duty(db: sqlite_utils.Database, counter_code: str, day_start: str) -> str | None:
    """The officer on duty at a counter now: an open shift started today (shifts end with the day)."""
    row = db.conn.execute("SELECT nip FROM shifts WHERE counter = ? AND ended_at IS NULL AND started_at >= ? "
                          "ORDER BY started_at DESC LIMIT 1", (counter_code, day_start)).fetchone()
    return row[0] if row else None


def open_shifts(db: sqlite_utils.Database, day_start: str) -> list[dict]:
    cursor = db.conn.execute(
        "SELECT s.id, s.nip, o.name, s.counter, s.started_at FROM shifts s LEFT JOIN officers o ON o.nip = s.nip "
        "WHERE s.ended_at IS NULL AND s.started_at >= ? ORDER BY s.counter", (day_start,))
    return [dict(zip(("id", "nip", "name", "counter", "started_at"), row)) for row in cursor]


# -- readiness ------------------------------------------------------------------------------------------------

def schema_is_current(db: sqlite_utils.Database) -> bool:
    """Whether every migration of this version is recorded in the file (a cheap read, for /readyz)."""
    if not db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").fetchone():
        return False
    applied = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    return all(name in applied for name, _step in SCHEMA_MIGRATIONS)
