"""The kiosk's local store (sqlite-utils): configuration, responses with their outbox state, abandonments.

Durability first: WAL with ``synchronous=FULL``, so a response is on disk when ``record_response``
returns; every write that belongs together runs in one ``BEGIN IMMEDIATE`` transaction. Schema changes
are recorded migrations, applied in order at start-up and never dropping anything.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

import sqlite_utils

from skm import CODES, PROFILE
from skmweb import backups

from . import clock

# Schema steps, applied in order at start-up (one kiosk process, one file), each in its own BEGIN IMMEDIATE
# transaction that also reads and records it in _migrations, so two processes starting at once cannot both
# apply a step. A shipped step is frozen: literal DDL (what sqlite-utils made for it when it shipped), never
# built from live code such as CODES or PROFILE, and never edited. To change the schema, append a step:
#
#     @migration
#     def m004_what_it_adds(db):
#         run_sql(db, """ALTER TABLE responses ADD COLUMN ...;
#                        CREATE INDEX ...""")
#
# with any backfill as SQL in the same step. A step must keep every unsynced response (tests/kiosk/test_upgrade.py
# upgrades a kiosk database of each earlier release).
SCHEMA_MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    SCHEMA_MIGRATIONS.append((fn.__name__, fn))
    return fn


def run_sql(db: sqlite_utils.Database, script: str) -> None:
    """Run ';'-separated statements inside the caller's transaction (executescript would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.conn.execute(statement)


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    run_sql(db, """
        CREATE TABLE "settings" ("key" TEXT PRIMARY KEY, "value" TEXT);
        CREATE TABLE "counters" ("code" TEXT PRIMARY KEY, "name" TEXT, "position" INTEGER);
        CREATE TABLE "services" ("code" TEXT PRIMARY KEY, "name" TEXT);
        CREATE TABLE "counter_services" (
           "counter" TEXT REFERENCES "counters"("code"),
           "service" TEXT REFERENCES "services"("code"),
           "position" INTEGER,
           PRIMARY KEY ("counter", "service"));
        CREATE TABLE "responses" (
           "id" TEXT PRIMARY KEY, "seq" INTEGER NOT NULL, "kiosk_id" TEXT, "unit" TEXT,
           "service" TEXT NOT NULL, "counter" TEXT NOT NULL, "officer" TEXT, "channel" TEXT DEFAULT 'kiosk',
           "questionnaire_version" TEXT,
           "persyaratan" INTEGER NOT NULL, "prosedur" INTEGER NOT NULL, "waktu" INTEGER NOT NULL,
           "biaya" INTEGER NOT NULL, "produk" INTEGER NOT NULL, "kompetensi" INTEGER NOT NULL,
           "perilaku" INTEGER NOT NULL, "pengaduan" INTEGER NOT NULL, "sarana" INTEGER NOT NULL,
           "jenis_kelamin" TEXT, "usia" TEXT, "pendidikan" TEXT, "pekerjaan" TEXT,
           "comment" TEXT, "started_at" TEXT, "submitted_at" TEXT NOT NULL, "duration_ms" INTEGER,
           "suspect" INTEGER DEFAULT 0, "suspect_reason" TEXT,
           "sync_state" TEXT DEFAULT 'pending', "synced_at" TEXT, "sync_note" TEXT);
        CREATE UNIQUE INDEX "idx_responses_seq" ON "responses" ("seq");
        CREATE INDEX "idx_responses_sync_state_seq" ON "responses" ("sync_state", "seq");
        CREATE INDEX "idx_responses_counter_submitted_at" ON "responses" ("counter", "submitted_at");
        CREATE TABLE "abandonments" (
           "id" TEXT PRIMARY KEY, "counter" TEXT, "service" TEXT, "reached" TEXT, "step" INTEGER,
           "started_at" TEXT, "abandoned_at" TEXT)""")


@migration
def m002_receipts(db: sqlite_utils.Database) -> None:
    """Receipt tokens issued for the QR survey, kept so the collector can count answers per token issued."""
    run_sql(db, """
        CREATE TABLE "receipts" (
           "nonce" TEXT PRIMARY KEY, "counter" TEXT NOT NULL, "service" TEXT NOT NULL,
           "issued_at" INTEGER NOT NULL, "sync_state" TEXT DEFAULT 'pending');
        CREATE INDEX "idx_receipts_sync_state" ON "receipts" ("sync_state")""")


@migration
def m003_officers(db: sqlite_utils.Database) -> None:
    """Officers of the unit (from the collector) and their shifts at the counters."""
    run_sql(db, """
        CREATE TABLE "officers" ("nip" TEXT PRIMARY KEY, "name" TEXT, "pin_hash" TEXT);
        CREATE TABLE "shifts" (
           "id" INTEGER PRIMARY KEY, "nip" TEXT NOT NULL, "counter" TEXT NOT NULL,
           "started_at" TEXT NOT NULL, "ended_at" TEXT);
        CREATE INDEX "idx_shifts_counter_ended_at" ON "shifts" ("counter", "ended_at")""")


@migration
def m004_tablets(db: sqlite_utils.Database) -> None:
    """The counter tablets as their heartbeats report them: answers held unsent, the counter, last seen."""
    run_sql(db, """
        CREATE TABLE "tablets" (
           "id" TEXT PRIMARY KEY, "counter" TEXT, "unsent" INTEGER NOT NULL, "last_seen" TEXT NOT NULL)""")


@migration
def m005_pin_attempts(db: sqlite_utils.Database) -> None:
    """Wrong-PIN counters (the staff PIN, each officer's check-in PIN), in the file so that every server
    thread counts the same attempts."""
    run_sql(db, """
        CREATE TABLE "pin_attempts" (
           "key" TEXT PRIMARY KEY, "failures" INTEGER NOT NULL, "paused_until" REAL NOT NULL)""")


@migration
def m006_officer_verifiers(db: sqlite_utils.Database) -> None:
    """Each officer's sealed PIN verifier (kiosk/officer_pins.py); the app seals and clears pin_hash at start."""
    run_sql(db, """ALTER TABLE "officers" ADD COLUMN "pin_verifier" TEXT""")


class StoreError(Exception):
    """The kiosk store was asked for something it cannot do."""


class UnknownCounter(StoreError):
    pass


_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str) -> threading.RLock:
    """The lock this process's writers of one database file queue on (see ``transaction``)."""
    key = path if path == ":memory:" or path.startswith("file:") else os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


def connect(path: str) -> sqlite_utils.Database:
    """Open the store with the durability settings; callers close ``db.conn``."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    db = sqlite_utils.Database(conn)
    db.skm_write_lock = _write_lock(path)  # type: ignore[attr-defined]
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken up front so concurrent writers queue instead of failing midway.

    Writers in this process (the server's threads, the sync agent) first queue on one lock per file: the
    next one starts the moment the previous commits, where SQLite's busy handler would have slept in
    steps of up to 100 ms (six counters at once saw a p99 of 150 ms). Other processes (a CLI command)
    still meet SQLite's lock and its busy timeout."""
    lock = getattr(db, "skm_write_lock", None) or contextlib.nullcontext()
    with lock:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:  # SQLite has already rolled back after a full disk or an I/O error
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction that first reads whether it is
    recorded (so a concurrent start waits on the lock, then skips it); return the names applied."""
    db.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = []
    for name, step in SCHEMA_MIGRATIONS:
        with transaction(db):
            if db.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue
            step(db)
            db.conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now_iso()))
        done.append(name)
    return done


def now_iso(tz=None) -> str:
    return clock.now(tz).isoformat(timespec="milliseconds")


# -- settings and configuration ------------------------------------------------------------------------

def get_setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def get_settings(db: sqlite_utils.Database, *keys: str) -> dict[str, str | None]:
    """Several settings in one query; a missing one is None."""
    found = dict(db.conn.execute(f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' * len(keys))})",
                                 keys).fetchall())
    return {key: found.get(key) for key in keys}


def set_settings(db: sqlite_utils.Database, **values: str) -> None:
    with transaction(db):
        for key, value in values.items():
            db.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def take_pin_attempt(db: sqlite_utils.Database, key: str, limit: int, pause_seconds: float, now: float) -> float:
    """Count one PIN attempt for ``key`` before its PIN is compared, in one write transaction, so concurrent
    attempts cannot all read the same count. Returns 0 when the PIN may be compared, else the seconds left
    of the pause. The ``limit``-th attempt is still compared, and starts the pause."""
    with transaction(db):
        row = db.conn.execute("SELECT failures, paused_until FROM pin_attempts WHERE key = ?", (key,)).fetchone()
        failures, paused_until = row or (0, 0.0)
        if now < paused_until:
            return paused_until - now
        failures += 1
        if failures >= limit:
            failures, paused_until = 0, now + pause_seconds
        db.conn.execute("INSERT INTO pin_attempts (key, failures, paused_until) VALUES (?, ?, ?) ON CONFLICT(key) "
                        "DO UPDATE SET failures = excluded.failures, paused_until = excluded.paused_until",
                        (key, failures, paused_until))
    return 0.0


def clear_pin_attempts(db: sqlite_utils.Database, key: str) -> None:
    """The right PIN was given: its attempts no longer count."""
    with transaction(db):
        db.conn.execute("DELETE FROM pin_attempts WHERE key = ?", (key,))


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
        db.table("services").insert_all([{"code": s.code, "name": s.name} for s in services.values()])
        db.table("counters").insert_all([{"code": c.code, "name": c.name, "position": i}
                                         for i, c in enumerate(counters)])
        db.table("counter_services").insert_all([{"counter": c.code, "service": s.code, "position": i}
                                                 for c in counters for i, s in enumerate(c.services)])


def unit(db: sqlite_utils.Database) -> dict[str, str | None]:
    return {key: get_setting(db, f"unit_{key}") for key in ("code", "name", "timezone")}


def is_configured(db: sqlite_utils.Database) -> bool:
    return get_setting(db, "unit_code") is not None


COUNTERS_SQL = ("SELECT c.code, c.name, s.code, s.name FROM counters c "
                "LEFT JOIN counter_services cs ON cs.counter = c.code LEFT JOIN services s ON s.code = cs.service")


def counters(db: sqlite_utils.Database) -> list[Counter]:
    return _grouped(db.conn.execute(f"{COUNTERS_SQL} ORDER BY c.position, cs.position").fetchall())


def _grouped(rows: list[Any]) -> list[Counter]:
    grouped: dict[str, tuple[str, list[Service]]] = {}
    for code, name, service_code, service_name in rows:
        grouped.setdefault(code, (name, []))
        if service_code:
            grouped[code][1].append(Service(service_code, service_name))
    return [Counter(code, name, tuple(services)) for code, (name, services) in grouped.items()]


def counter(db: sqlite_utils.Database, code: str) -> Counter:
    """One counter with its services (every request of a survey looks its counter up: one counter's rows,
    by primary key, rather than every counter's)."""
    found = _grouped(db.conn.execute(f"{COUNTERS_SQL} WHERE c.code = ? ORDER BY cs.position", (code,)).fetchall())
    if not found:
        raise UnknownCounter(code)
    return found[0]


# -- responses --------------------------------------------------------------------------------------------

RESPONSE_FIELDS = ("id", "seq", "kiosk_id", "unit", "service", "counter", "officer", "channel",
                   "questionnaire_version", *CODES, *(f.name for f in PROFILE), "comment", "started_at",
                   "submitted_at", "duration_ms", "suspect", "suspect_reason", "sync_state")


def record_response(db: sqlite_utils.Database, row: dict[str, Any],
                    suspicion: Callable[[sqlite_utils.Database, dict[str, Any]], str | None]) -> tuple[dict, bool]:
    """Store one response durably, once. Returns the stored row and whether it was new.

    The id is minted when the survey starts, so a double tap or a resend finds the first row and
    changes nothing. ``suspicion`` decides, inside the same transaction, whether the row is suspect.
    Responses submitted at the same moment at several counters share one transaction and one fsync
    (``GroupCommit``); each call still returns only after the commit that holds its row.
    """
    existing, new = group_commit(db).run(db, lambda tx: _insert_response(tx, row, suspicion))
    if not new:
        return existing, False
    recorded = get_response(db, row["id"])
    assert recorded is not None  # committed before run() returned
    return recorded, True


def _insert_response(tx: sqlite_utils.Database, row: dict[str, Any],
                     suspicion: Callable[[sqlite_utils.Database, dict[str, Any]], str | None]) -> tuple[Any, bool]:
    """Insert ``row`` unless its id is stored: the insert itself finds a double tap or a resend (ON CONFLICT),
    so a new answer costs no look-up first; a known one is read back and nothing changes."""
    seq = tx.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM responses").fetchone()[0]
    reason = suspicion(tx, row)
    stored = {**row, "seq": seq, "suspect": int(reason is not None), "suspect_reason": reason,
              "sync_state": "pending"}
    columns = [c for c in RESPONSE_FIELDS if c in stored]
    inserted = tx.conn.execute(f"INSERT INTO responses ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' * len(columns))}) ON CONFLICT (id) DO NOTHING",
                               [stored[c] for c in columns]).rowcount
    if inserted:
        return None, True
    return get_response(tx, row["id"]), False


class _Job:
    __slots__ = ("work", "done", "lead", "result", "error")

    def __init__(self, work: Callable[[sqlite_utils.Database], Any]):
        self.work, self.done, self.lead = work, threading.Event(), False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Writes that arrive together share one ``BEGIN IMMEDIATE ... COMMIT`` (one fsync), each in its own
    savepoint so that one failing write leaves the others in. The first caller leads: it runs every queued
    write on its own connection and commits; callers arriving meanwhile wait, and one of them leads the
    next group. Nobody returns before the commit that holds its write (durability as one transaction each)."""

    MOST = 64  # writes in one group at most

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.queue: list[_Job] = []
        self.leading = False

    def run(self, db: sqlite_utils.Database, work: Callable[[sqlite_utils.Database], Any]) -> Any:
        job = _Job(work)
        with self.guard:
            self.queue.append(job)
            lead = not self.leading
            self.leading = True
        if not lead:
            job.done.wait()
            if job.lead:
                job.done.clear()
                lead = True
        if lead:
            self.lead(db)
            job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def lead(self, db: sqlite_utils.Database) -> None:
        with self.guard:
            group, self.queue = self.queue[:self.MOST], self.queue[self.MOST:]
        try:
            self.commit(db, group)
        finally:
            with self.guard:
                if self.queue:
                    self.queue[0].lead = True
                    self.queue[0].done.set()  # the next group's leader
                else:
                    self.leading = False
            for job in group:
                job.done.set()

    @staticmethod
    def commit(db: sqlite_utils.Database, group: list[_Job]) -> None:
        try:
            with transaction(db):
                for job in group:
                    db.conn.execute("SAVEPOINT skm_write")
                    try:
                        job.result = job.work(db)
                    except Exception as exc:  # noqa: BLE001 - this write's own failure, raised to its caller
                        job.error = exc
                        if not db.conn.in_transaction:  # SQLite rolled the whole transaction back
                            raise
                        db.conn.execute("ROLLBACK TO skm_write")
                    db.conn.execute("RELEASE skm_write")
        except BaseException as exc:
            for job in group:  # nothing of the group was committed
                if job.error is None:
                    job.error = exc
            if not isinstance(exc, Exception):
                raise


_GROUPS: dict[int, GroupCommit] = {}


def group_commit(db: sqlite_utils.Database) -> GroupCommit:
    """The group commit of the database file ``db`` writes to (one per write lock, so per file)."""
    lock = getattr(db, "skm_write_lock", None)
    if lock is None:
        return GroupCommit()  # a connection made elsewhere: a group of its own
    with _WRITE_LOCKS_GUARD:
        return _GROUPS.setdefault(id(lock), GroupCommit())


def get_response(db: sqlite_utils.Database, response_id: str) -> dict | None:
    cursor = db.conn.execute("SELECT * FROM responses WHERE id = ?", (response_id,))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def count_recent(db: sqlite_utils.Database, counter_code: str, since_iso: str, until_iso: str) -> int:
    """Responses at a counter submitted from ``since_iso`` to ``until_iso`` (ISO 8601 strings in one offset
    compare). The upper bound matters for answers delivered late: later surveys are not their burst."""
    return db.conn.execute("SELECT COUNT(*) FROM responses WHERE counter = ? AND submitted_at >= ? "
                           "AND submitted_at <= ?", (counter_code, since_iso, until_iso)).fetchone()[0]


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
    """Replace the unit's officers with the collector's list (each with its sealed ``pin_verifier``, see
    officer_pins.py); shifts keep the NIPs they were recorded with."""
    with transaction(db):
        db.conn.execute("DELETE FROM officers")
        db.conn.executemany("INSERT INTO officers (nip, name, pin_verifier) VALUES (?, ?, ?)",
                            [(o["nip"], o["name"], o["pin_verifier"]) for o in officers])


def officers(db: sqlite_utils.Database) -> list[dict]:
    cursor = db.conn.execute("SELECT nip, name, pin_verifier FROM officers ORDER BY name")
    return [dict(zip([c[0] for c in cursor.description], row)) for row in cursor.fetchall()]


def officers_with_pin_hash(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(nip, pin_hash) of officers an older kiosk kept with the collector's hash itself."""
    return db.conn.execute("SELECT nip, pin_hash FROM officers WHERE pin_hash IS NOT NULL").fetchall()


def replace_pin_hashes(db: sqlite_utils.Database, verifiers: dict[str, str | None]) -> None:
    """Keep each officer's sealed verifier instead of the hash; the hash's bytes are overwritten (secure_delete)."""
    with transaction(db):
        db.conn.execute("PRAGMA secure_delete=ON")
        db.conn.executemany("UPDATE officers SET pin_verifier = ?, pin_hash = NULL WHERE nip = ?",
                            [(v, nip) for nip, v in verifiers.items()])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the write-ahead log too


def check_in(db: sqlite_utils.Database, nip: str, counter_code: str, at: str) -> int:
    """Start a shift; ends the officer's open shift elsewhere and whoever was on duty at this counter."""
    with transaction(db):
        db.conn.execute("UPDATE shifts SET ended_at = ? WHERE ended_at IS NULL AND (nip = ? OR counter = ?)",
                        (at, nip, counter_code))
        cursor = db.conn.execute("INSERT INTO shifts (nip, counter, started_at) VALUES (?, ?, ?)",
                                 (nip, counter_code, at))
        assert cursor.lastrowid is not None  # set by the INSERT
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


def on_duty_at(db: sqlite_utils.Database, counter_code: str, at_iso: str) -> str | None:
    """The officer whose shift at a counter covered ``at_iso``, for a survey delivered after it started.
    Shifts end with the day, as in ``on_duty``: one started on an earlier date (``at_iso[:10]``) does not count."""
    row = db.conn.execute("SELECT nip FROM shifts WHERE counter = ? AND started_at <= ? AND started_at >= ? "
                          "AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at DESC LIMIT 1",
                          (counter_code, at_iso, at_iso[:10], at_iso)).fetchone()
    return row[0] if row else None


def open_shifts(db: sqlite_utils.Database, day_start: str) -> list[dict]:
    cursor = db.conn.execute(
        "SELECT s.id, s.nip, o.name, s.counter, s.started_at FROM shifts s LEFT JOIN officers o ON o.nip = s.nip "
        "WHERE s.ended_at IS NULL AND s.started_at >= ? ORDER BY s.counter", (day_start,))
    return [dict(zip(("id", "nip", "name", "counter", "started_at"), row)) for row in cursor]


# -- counter tablets --------------------------------------------------------------------------------------------

def record_tablet(db: sqlite_utils.Database, tablet_id: str, counter_code: str | None, unsent: int, at: str) -> None:
    """A tablet's heartbeat: how many answers it holds unsent now, at which counter."""
    with transaction(db):
        db.conn.execute("INSERT INTO tablets (id, counter, unsent, last_seen) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET counter = COALESCE(excluded.counter, counter), "
                        "unsent = excluded.unsent, last_seen = excluded.last_seen",
                        (tablet_id, counter_code, unsent, at))


def tablets_holding_answers(db: sqlite_utils.Database) -> list[dict]:
    """Tablets whose last heartbeat reported answers not yet delivered, most recently seen first."""
    cursor = db.conn.execute("SELECT id, counter, unsent, last_seen FROM tablets WHERE unsent > 0 "
                             "ORDER BY last_seen DESC")
    return [dict(zip(("id", "counter", "unsent", "last_seen"), row)) for row in cursor]


# -- readiness ------------------------------------------------------------------------------------------------

def schema_is_current(db: sqlite_utils.Database) -> bool:
    """Whether every migration of this version is recorded in the file (a cheap read, for /readyz)."""
    if not db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").fetchone():
        return False
    applied = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    return all(name in applied for name, _step in SCHEMA_MIGRATIONS)


# -- the outbox, as the sync agent reads and marks it ----------------------------------------------------------

def claim_pending_for(db: sqlite_utils.Database, unit: str, kiosk_id: str) -> None:
    """At enrollment: the kiosk serves one unit, so rows recorded before it belong to the collector's unit."""
    with transaction(db):
        db.conn.execute("UPDATE responses SET unit = ?, kiosk_id = ? WHERE sync_state = 'pending'", (unit, kiosk_id))


def pending_responses(db: sqlite_utils.Database, limit: int) -> list[dict]:
    """The oldest unsynced responses, in seq order, as stored rows."""
    cursor = db.conn.execute("SELECT * FROM responses WHERE sync_state = 'pending' ORDER BY seq LIMIT ?", (limit,))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def pending_response_chunks(db: sqlite_utils.Database, chunk: int) -> Iterator[list[dict]]:
    """Every unsynced response in seq order, ``chunk`` rows at a time, from one read transaction (a
    consistent snapshot however long the reader takes; writers go on meanwhile, WAL)."""
    db.conn.execute("BEGIN")
    try:
        cursor = db.conn.execute("SELECT * FROM responses WHERE sync_state = 'pending' ORDER BY seq")
        names = [c[0] for c in cursor.description]
        while rows := cursor.fetchmany(chunk):
            yield [dict(zip(names, row)) for row in rows]
    finally:
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")  # read only: ends the snapshot


def pending_count(db: sqlite_utils.Database) -> int:
    return db.conn.execute("SELECT COUNT(*) FROM responses WHERE sync_state = 'pending'").fetchone()[0]


def mark_sent(db: sqlite_utils.Database, marks: list[tuple[str, str, str | None]]) -> None:
    """Mark (id, state, note) from a genuine ack in one transaction; a row no longer pending stays as it is."""
    synced_at = now_iso()
    with transaction(db):
        db.conn.executemany("UPDATE responses SET sync_state = ?, synced_at = ?, sync_note = ? WHERE id = ? "
                            "AND sync_state = 'pending'",
                            [(state, synced_at, note, response_id) for response_id, state, note in marks])


def delete_synced_before(db: sqlite_utils.Database, cutoff: str) -> int:
    """Prune synced rows older than ``cutoff``; unsynced, conflict and invalid rows are never deleted."""
    with transaction(db):
        return db.conn.execute("DELETE FROM responses WHERE sync_state = 'synced' AND synced_at < ?",
                               (cutoff,)).rowcount


def requeue_invalid(db: sqlite_utils.Database) -> int:
    """Put rows the collector called invalid back in the outbox (after its tree was fixed)."""
    with transaction(db):
        return db.conn.execute("UPDATE responses SET sync_state = 'pending', sync_note = NULL "
                               "WHERE sync_state = 'invalid'").rowcount
