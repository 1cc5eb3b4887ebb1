"""The ingest's store step as it was before the driver-speed path (main at 1b3a755), kept only as the reference
the equivalence test compares the fast path with: one dict per row, SQLAlchemy Core statements, the aggregate
deltas of ``store.aggregate_rows`` added by ``store.add_to_aggregates``. The one change: on SQLite the ids are
looked up in ``responses`` (m013 dropped ``response_keys`` there), under the write lock of BEGIN IMMEDIATE."""
from __future__ import annotations

import json
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select

from collector import schema as t
from collector.store import Outcome, add_to_aggregates, aggregate_rows, prepare_for_days
from collector.store.engine import _insert
from skm import CODES, PROFILE
from skm.wire import WireResponse
from datetime import timedelta


def response_row(response: WireResponse, kiosk_id: str | None, zone: ZoneInfo, batch_id: str,
                 received_at: str, content_hash: str, clock_skew_ms: int = 0) -> dict:
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
           invalid: list[Outcome], zone: ZoneInfo, clock_skew_ms: int, received_at: str) -> list[Outcome]:
    rows = [response_row(response, kiosk_id, zone, batch_id, received_at, digest, clock_skew_ms)
            for response, digest in valid]
    prepare_for_days(engine, {row["local_day"] for row in rows})
    with engine.begin() as conn:
        outcomes = _store_responses(conn, kiosk_id, batch_id, received_at, valid, rows)
        return _record_batch(conn, kiosk_id, batch_id, source, received_at, invalid + outcomes)


def _store_responses(conn: Connection, kiosk_id: str, batch_id: str, received_at: str,
                     valid: list[tuple[WireResponse, str]], rows: list[dict]) -> list[Outcome]:
    outcomes: dict[str, Outcome] = {}
    inserted = _claim_ids(conn, rows)
    stored = _stored_hashes(conn, [row["id"] for row in rows if row["id"] not in inserted])
    new_rows, conflicts = [], []
    for (response, digest), row in zip(valid, rows):
        if response.id in inserted:
            inserted.discard(response.id)
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
    outcomes = list({o.id: o for o in outcomes}.values())
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status] += 1
    conn.execute(_insert(conn, t.batches).values(
        id=batch_id, kiosk_id=kiosk_id, source=source, received_at=received_at, accepted=counts["accepted"],
        duplicate=counts["duplicate"], conflict=counts["conflict"], invalid=counts["invalid"],
    ).on_conflict_do_nothing(index_elements=["id"]))
    return outcomes


def _keys(conn: Connection):
    return t.response_keys if conn.dialect.name == "postgresql" else t.responses


def _claim_ids(conn: Connection, rows: list[dict]) -> set[str]:
    if not rows:
        return set()
    if conn.dialect.name != "postgresql":
        stored = _stored_hashes(conn, [row["id"] for row in rows])
        return {row["id"] for row in rows if row["id"] not in stored}
    keys = [{"id": row["id"], "content_hash": row["content_hash"]} for row in rows]
    stmt = _insert(conn, t.response_keys).on_conflict_do_nothing(index_elements=["id"])
    return set(conn.execute(stmt.returning(t.response_keys.c.id), keys).scalars())


def _stored_hashes(conn: Connection, ids: list[str], chunk: int = 500) -> dict[str, str]:
    keys = _keys(conn)
    hashes: dict[str, str] = {}
    for i in range(0, len(ids), chunk):
        result = conn.execute(select(keys.c.id, keys.c.content_hash).where(keys.c.id.in_(ids[i:i + chunk])))
        hashes.update((response_id, digest) for response_id, digest in result)
    return hashes
