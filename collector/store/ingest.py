"""Storing a validated batch exactly once: ids claimed, rows inserted, conflicts kept aside, the batch recorded."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, exc, insert, select

from skm import CODES, PROFILE
from skm.wire import WireResponse

from .. import schema as t
from .aggregates import add_to_aggregates, aggregate_rows
from .engine import _insert, now_iso, prepare_for_days


@dataclass(frozen=True)
class Outcome:
    id: str
    status: str  # accepted | duplicate | conflict | invalid
    reason: str | None = None


def response_row(response: WireResponse, kiosk_id: str | None, zone: ZoneInfo, batch_id: str,
                 received_at: str, content_hash: str, clock_skew_ms: int = 0) -> dict:
    """The stored row: times corrected by the kiosk's clock skew (ms, its clock minus the server's), filed
    under the corrected local day and hour; the claimed submit time kept beside them."""
    skew = timedelta(milliseconds=clock_skew_ms)
    submitted = response.submitted_at - skew
    row = {
        "id": response.id, "kiosk_id": kiosk_id, "seq": response.seq, "unit": response.unit,
        "service": response.service, "counter": response.counter, "officer": response.officer,
        "channel": response.channel, "questionnaire_version": response.questionnaire_version,
        "comment": response.content.comment,
        "started_at": (response.started_at - skew).isoformat() if response.started_at else None,
        "submitted_at": submitted.isoformat(), "claimed_submitted_at": response.submitted_at.isoformat(),
        "clock_skew_ms": clock_skew_ms, "local_day": submitted.astimezone(zone).date(),
        "local_hour": submitted.astimezone(zone).hour,
        "duration_ms": response.duration_ms, "suspect": response.suspect, "suspect_reason": response.suspect_reason,
        "received_at": received_at, "batch_id": batch_id, "content_hash": content_hash,
    }
    row.update({code: response.content.answers[code] for code in CODES})
    row.update({f.name: response.content.profile.get(f.name) for f in PROFILE})
    return row


def ingest(engine: Engine, kiosk_id: str, batch_id: str, source: str, valid: list[tuple[WireResponse, str]],
           invalid: list[Outcome], zone: ZoneInfo, clock_skew_ms: int = 0) -> list[Outcome]:
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
    rows = [response_row(response, kiosk_id, zone, batch_id, received_at, digest, clock_skew_ms)
            for response, digest in valid]
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
        # SQLAlchemy 2.1's Row unpacks as object under mypy, though its items are typed Any.
        hashes.update((response_id, digest) for response_id, digest in result)  # type: ignore[misc]
    return hashes
